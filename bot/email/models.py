"""E-mail tables. Both hang off ``users.id`` with ON DELETE CASCADE: "forget me" erases the
address with the resident, and the export includes it. The address is stored for this purpose
only (sending what the resident chose) and never logged."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow
from bot.subscriptions.models import FollowedThing

PENDING, ACTIVE, STOPPED, BOUNCED = "pending", "active", "stopped", "bounced"


class EmailAddress(Base):
    """A resident's address: waiting for its confirmation, receiving, stopped by them, or refused
    for good by their mail server (a bounce: like a blocked chat, nothing more is sent)."""

    __tablename__ = "email_addresses"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # Links carry it: a new address (or a new confirmation) makes the older links void.
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(200))  # why it stopped, without the address


class EmailChoice(FollowedThing, Base):
    """One thing a resident receives by e-mail (matched like a chat subscription)."""

    __tablename__ = "email_choices"
    __table_args__ = (UniqueConstraint("user_id", "kind", "value", "area", name="uq_email_choices_choice"),)


class ConfirmationSent(Base):
    """A confirmation e-mail queued in the last day, to cap how many go to one address and for
    one resident (nobody may use the bot to flood a mailbox). The address is kept only as its
    keyed hash; rows older than a day are deleted as new ones come. Forgetting the resident
    unlinks their rows but keeps the address's count: "forget me" does not reset the cap."""

    __tablename__ = "email_confirmations_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    address_key: Mapped[str] = mapped_column(String(64), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
