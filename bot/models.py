"""Core tables: pseudonymous residents, their conversation state, and messages held for them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow


class User(Base):
    """A resident, known only by a keyed hash of their platform id."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "user_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))  # explicit choice; None: detect
    home_area: Mapped[str | None] = mapped_column(String(128))  # remembered only with consent
    active: Mapped[bool] = mapped_column(default=True)  # False once the resident blocked the bot
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """Where a resident is in a multi-turn flow, and the choices last offered to them."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(default=dict)
    choices: Mapped[list] = mapped_column(default=list)  # [[label, value], ...]
    language: Mapped[str | None] = mapped_column(String(8))  # language of the last message
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConnectorState(Base):
    """Small values a connector keeps across restarts, e.g. the Matrix sync token."""

    __tablename__ = "connector_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HeldMessage(Base):
    """A message for a resident whose page fetches what waits for it (the web chat): kept until
    the page has shown it (``bot.mailbox``)."""

    __tablename__ = "webchat_inbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
