"""The publications table."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

KINDS = ("council_summary", "news", "works", "consultation")


class Publication(Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    text_fr: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2048))
    topics: Mapped[list] = mapped_column(default=list)
    areas: Mapped[list] = mapped_column(default=list)
    officials: Mapped[list] = mapped_column(default=list)
    scheduled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(100))  # the API token's name, or "cli"
    targeted: Mapped[int] = mapped_column(default=0)
    # Status -> count, kept when its delivery rows are purged (they hold chat addresses).
    final_counts: Mapped[dict | None]

    @property
    def batch(self) -> str:
        """The outbox batch of its deliveries."""
        return f"publication:{self.id}"
