"""Tables of the contributions domain."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

PERSONAL = {"personal": True}  # cleared with the link to the resident


def _user_link() -> Mapped[int | None]:
    return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)


class FollowUpAddress:
    """Where to tell a linked resident what became of their contribution (only if opted in)."""

    platform: Mapped[str | None] = mapped_column(String(32), info=PERSONAL)
    chat_id: Mapped[str | None] = mapped_column(String(255), info=PERSONAL)
    language: Mapped[str | None] = mapped_column(String(8))


class Contribution(FollowUpAddress, Base):
    """A report (``kind="report"``) or an idea (``kind="idea"``)."""

    __tablename__ = "contributions"
    __table_args__ = (Index("ix_contributions_kind_category_status", "kind", "category", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = _user_link()
    category: Mapped[str] = mapped_column(String(128))  # Open311 service_code, local code or topic
    category_label: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)  # an address or a quartier, in words
    area: Mapped[str | None] = mapped_column(String(128))
    media: Mapped[str | None] = mapped_column(String(1024))  # the platform's photo reference
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="received")
    status_notes: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(String(16))  # "open311", "webhook" or None
    remote_id: Mapped[str | None] = mapped_column(String(128), index=True)
    remote_token: Mapped[str | None] = mapped_column(String(128))
    remote_updated_at: Mapped[datetime | None]
    support_count: Mapped[int] = mapped_column(default=0)
    city_notified_at: Mapped[datetime | None]
    forwarded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Support(FollowUpAddress, Base):
    """A "+1" on a contribution; a linked supporter with an address follows it."""

    __tablename__ = "contribution_supports"
    __table_args__ = (UniqueConstraint("contribution_id", "supporter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = _user_link()
    # A keyed hash per resident and contribution: one support each, even when anonymous.
    supporter_key: Mapped[str | None] = mapped_column(String(64), info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContributionEvent(Base):
    """The status history of a contribution, with the city's notes."""

    __tablename__ = "contribution_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # "bot" or "city"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Poll(Base):
    """A poll or a consultation the city opened through the HTTP API."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="poll")  # or "consultation"
    question: Mapped[dict] = mapped_column(JSON)  # {"fr": ..., "en": ...}
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime] = mapped_column(index=True)
    areas: Mapped[list] = mapped_column(JSON, default=list)  # empty: the whole city
    allow_opinion: Mapped[bool] = mapped_column(default=True)
    results_published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollOption(Base):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[dict] = mapped_column(JSON)  # {"fr": ..., "en": ...}


class Vote(FollowUpAddress, Base):
    """One resident's vote in a poll; changeable until the close."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("poll_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_options.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = _user_link()
    # A keyed hash per resident and poll: one vote each, even when anonymous; cleared at the close.
    voter_key: Mapped[str | None] = mapped_column(String(64), info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Opinion(Base):
    """The free text that goes with a vote."""

    __tablename__ = "opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
