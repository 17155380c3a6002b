"""The outbox: everything civicbot must send later is a database row first.

A row is committed in the same transaction as the fact that caused it (a publication, a
contribution), so a crash can delay a send but never lose it. Workers claim due rows, hand each
to the handler registered for its ``kind``, and record the outcome:

- the handler returns: the row is ``sent``;
- it raises :class:`RetryLater`: the row waits ``delay`` seconds (or exponential backoff);
- it raises :class:`PermanentFailure`: the row ends with that status (``failed``, ``blocked``).

The delivery engine (rate limits per platform, worker pools) is built on this module.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow

log = logging.getLogger(__name__)

PRIORITY_REPLY = 0
PRIORITY_FORWARD = 10
PRIORITY_BROADCAST = 50
MAX_BACKOFF_SECONDS = 3600.0


class OutboxEntry(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "not_before"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(default=PRIORITY_BROADCAST)
    # The resident a message is for, so that erasing them removes what still waits for them.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str | None] = mapped_column(String(32))
    chat_id: Mapped[str | None] = mapped_column(String(255))
    batch: Mapped[str | None] = mapped_column(String(64), index=True)  # e.g. "publication:12"
    payload: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class RetryLater(Exception):
    """Try this row again later: after ``delay`` seconds, or with exponential backoff."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class PermanentFailure(Exception):
    """Never try this row again; ``status`` says why (``failed``, ``blocked``, ...)."""

    def __init__(self, reason: str, status: str = "failed") -> None:
        super().__init__(reason)
        self.status = status


Handler = Callable[[OutboxEntry], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


def enqueue(session: AsyncSession, kind: str, payload: dict[str, Any], *,
            priority: int = PRIORITY_BROADCAST, platform: str | None = None,
            chat_id: str | None = None, user_id: int | None = None, batch: str | None = None,
            not_before: datetime | None = None) -> OutboxEntry:
    """Add a row to the session; it is sent once the caller's transaction commits."""
    entry = OutboxEntry(kind=kind, payload=payload, priority=priority, platform=platform,
                        chat_id=chat_id, user_id=user_id, batch=batch, not_before=not_before or utcnow())
    session.add(entry)
    return entry


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_SECONDS, 2.0 ** attempts)


async def claim(session: AsyncSession, limit: int, lease_seconds: float = 60.0,
                kinds: tuple[str, ...] | None = None) -> list[OutboxEntry]:
    """Claim up to ``limit`` due rows, best priority first, for ``lease_seconds``.

    On PostgreSQL rows locked by another worker are skipped, so several processes share the
    work. A claim whose worker died expires with its lease and the row is claimed again.
    """
    now = utcnow()
    query = (
        select(OutboxEntry)
        .where(OutboxEntry.status == "pending", OutboxEntry.not_before <= now,
               (OutboxEntry.claimed_until.is_(None)) | (OutboxEntry.claimed_until < now))
        .order_by(OutboxEntry.priority, OutboxEntry.id)
        .limit(limit)
    )
    if kinds:
        query = query.where(OutboxEntry.kind.in_(kinds))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    entries = list((await session.execute(query)).scalars())
    if entries:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_([entry.id for entry in entries]))
            .values(claimed_until=now + timedelta(seconds=lease_seconds))
        )
    await session.commit()
    return entries


async def process(session: AsyncSession, entry: OutboxEntry) -> None:
    """Run the row's handler and record the outcome (the caller commits)."""
    handler = HANDLERS.get(entry.kind)
    values: dict[str, Any] = {"claimed_until": None, "attempts": entry.attempts + 1}
    if handler is None:
        values.update(status="failed", last_error=f"no handler for kind {entry.kind!r}")
    else:
        try:
            await handler(entry)
            values.update(status="sent", sent_at=utcnow(), last_error=None)
        except RetryLater as retry:
            delay = retry.delay if retry.delay is not None else backoff(entry.attempts)
            values.update(not_before=utcnow() + timedelta(seconds=delay), last_error=str(retry))
        except PermanentFailure as failure:
            values.update(status=failure.status, last_error=str(failure))
        except Exception as error:  # a bug in a handler must not stop the others
            log.exception("outbox handler %s failed", entry.kind)
            values.update(not_before=utcnow() + timedelta(seconds=backoff(entry.attempts)),
                          last_error=f"{type(error).__name__}: {error}")
    await session.execute(update(OutboxEntry).where(OutboxEntry.id == entry.id).values(**values))
