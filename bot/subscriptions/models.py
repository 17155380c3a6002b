"""Subscription tables. Everything hangs off ``users.id`` with ON DELETE CASCADE: erasing a
resident removes their choices and the chat address kept for delivering to them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

IMMEDIATE, DAILY, WEEKLY = "immediate", "daily", "weekly"
TOPIC, AREA, OFFICIAL = "topic", "area", "official"


class Subscriber(Base):
    """A resident who subscribed to something: where to deliver, in which language, how often."""

    __tablename__ = "subscribers"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(255))  # kept only to deliver publications
    language: Mapped[str] = mapped_column(String(8), default="fr")
    frequency: Mapped[str] = mapped_column(String(16), default=IMMEDIATE)
    quiet_hours: Mapped[str | None] = mapped_column(String(16))  # "22:00-08:00"; "" none; None: the city's
    paused: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FollowedThing:
    """The columns of one thing a resident follows: a topic (optionally in one area), an area, an
    official, or a contribution. ``value`` and ``area`` are matching keys; the labels are for
    display. Chat subscriptions and e-mail choices (``bot.email``) are matched alike."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(128))
    area: Mapped[str] = mapped_column(String(128), default="")  # "" everywhere
    area_label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    if TYPE_CHECKING:  # the mapped classes that use these columns take them as keywords
        def __init__(self, **columns: Any) -> None: ...


class Subscription(FollowedThing, Base):
    """One thing a resident follows in their chat."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "value", "area", name="uq_subscriptions_choice"),
        Index("ix_subscriptions_kind_value", "kind", "value"),
    )
