"""Tables of the hand-over: tickets and the messages of their conversation."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

OPEN, CLOSED = "open", "closed"
RESIDENT, AGENT, SYSTEM = "resident", "agent", "system"  # who wrote a message
OPENED, CLOSED_BY_RESIDENT, CLOSED_BY_AGENT = "opened", "closed_by_resident", "closed_by_agent"
_ONLY_OPEN = text("status = 'open'")


class Ticket(Base):
    """A resident's request to talk to a person; its number is what agents know them by."""

    __tablename__ = "handover_tickets"
    # One open ticket per resident, enforced by the database.
    __table_args__ = (Index("ix_handover_tickets_open_user", "user_id", unique=True,
                            sqlite_where=_ONLY_OPEN, postgresql_where=_ONLY_OPEN),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    # Where replies go: kept only while the ticket is open.
    platform: Mapped[str | None] = mapped_column(String(32))
    chat_id: Mapped[str | None] = mapped_column(String(255))
    agent: Mapped[str | None] = mapped_column(String(100))  # the token that answered first
    waiting_since: Mapped[datetime | None]  # the oldest resident message not answered yet
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # last message or change
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(16))


class TicketMessage(Base):
    """One message of a ticket's conversation, or an event of it (``event``, no text).

    ``user_id`` is the resident's, so that their export and erasure include these rows.
    """

    __tablename__ = "handover_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("handover_tickets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_reference: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
