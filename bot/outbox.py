"""The outbox: everything civicbot must send later is a database row first.

A row is committed in the same transaction as the fact that caused it (a publication, a
contribution), so a crash can delay a send but never lose it. Workers *claim* due rows for a
lease (``claimed_by`` names the worker and that one claim, ``claimed_until`` ends it), do the
work, and *record* the outcome:

- the work succeeded: the row is ``sent``;
- :class:`RetryLater`: the row waits ``delay`` seconds (or exponential backoff) and is claimed again;
- :class:`PermanentFailure`: the row ends with that status (``failed``, ``blocked``).

A worker that dies leaves its rows claimed until their lease expires; they are then claimed
again. On PostgreSQL claims skip rows another worker has locked (``FOR UPDATE SKIP LOCKED``), so
several processes share the work. The delivery engine (:mod:`bot.delivery`) runs the workers;
other subsystems add a kind with :func:`register_handler` (e.g. forwards to the city's back end).
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, affected_rows, utcnow
from bot.messages import PRIORITY_BROADCAST

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
PENDING, SENT, FAILED, BLOCKED = "pending", "sent", "failed", "blocked"
STATUSES = (PENDING, SENT, FAILED, BLOCKED)


class OutboxEntry(Base):
    __tablename__ = "outbox"
    # Claims look for due rows of one kind (and platform), best priority first, oldest first.
    __table_args__ = (Index("ix_outbox_due", "status", "kind", "platform", "priority", "not_before", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(default=PRIORITY_BROADCAST)
    # The resident a message is for, so that erasing them removes what still waits for them.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str | None] = mapped_column(String(32))
    chat_id: Mapped[str | None] = mapped_column(String(255))
    batch: Mapped[str | None] = mapped_column(String(64), index=True)  # e.g. "publication:12"
    payload: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
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

    def __init__(self, reason: str, status: str = FAILED) -> None:
        super().__init__(reason)
        self.status = status


Handler = Callable[[OutboxEntry], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}
_wakers: set[asyncio.Event] = set()


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


def notify() -> None:
    """Tell the workers of this process that new rows are due (call after committing them)."""
    for event in _wakers:
        event.set()


def add_waker(event: asyncio.Event) -> None:
    _wakers.add(event)


def remove_waker(event: asyncio.Event) -> None:
    _wakers.discard(event)


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_SECONDS, 2.0 ** attempts)


async def claim(session: AsyncSession, limit: int, lease_seconds: float = 60.0,
                kinds: tuple[str, ...] | None = None, *, platform: str | None = None,
                worker: str | None = None) -> list[OutboxEntry]:
    """Claim up to ``limit`` due rows (of ``kinds``, of ``platform``), best priority first,
    for ``lease_seconds``, and commit the claim.

    One statement marks the rows and returns them: on PostgreSQL rows locked by another worker
    are skipped, so several processes share the work; on SQLite the statement is atomic. The
    rows' ``claimed_by`` is ``worker/<this claim>``: a row whose lease expired and that was
    claimed again cannot be given back by its former holder.
    """
    now = utcnow()
    token = f"{(worker or 'worker')[:48]}/{uuid.uuid4().hex[:12]}"
    due = (
        select(OutboxEntry.id)
        .where(OutboxEntry.status == PENDING, OutboxEntry.not_before <= now,
               OutboxEntry.claimed_until.is_(None) | (OutboxEntry.claimed_until < now))
        .order_by(OutboxEntry.priority, OutboxEntry.not_before, OutboxEntry.id)
        .limit(limit)
    )
    if kinds:
        due = due.where(OutboxEntry.kind.in_(kinds))
    if platform is not None:
        due = due.where(OutboxEntry.platform == platform)
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(due.scalar_subquery()))
        .values(claimed_by=token, claimed_until=now + timedelta(seconds=lease_seconds))
        .returning(OutboxEntry)
        .execution_options(synchronize_session=False)
    )
    entries = list((await session.execute(statement)).scalars())
    await session.commit()
    entries.sort(key=lambda entry: (entry.priority, entry.not_before, entry.id))
    return entries


@dataclass
class Outcome:
    """What became of rows claimed together; :func:`record` writes it.

    ``status`` None keeps the rows pending: they are due again at ``not_before`` (now when None),
    provided they are still held by ``claim``. ``attempt`` says whether this counts as an
    attempt (a deferral for quiet hours does not).
    """

    ids: list[int]
    claim: str | None
    status: str | None = SENT
    not_before: datetime | None = None
    error: str | None = None
    attempt: bool = True
    changes: dict[str, Any] = field(default_factory=dict)  # other columns, e.g. a moved chat_id

    @classmethod
    def of(cls, entries: list[OutboxEntry], status: str | None, **values: Any) -> Outcome:
        return cls([entry.id for entry in entries], entries[0].claimed_by, status, **values)

    @classmethod
    def sent(cls, entries: list[OutboxEntry]) -> Outcome:
        return cls.of(entries, SENT)

    @classmethod
    def retry(cls, entries: list[OutboxEntry], delay: float, error: str) -> Outcome:
        return cls.of(entries, None, not_before=utcnow() + timedelta(seconds=delay), error=error)

    @classmethod
    def final(cls, entries: list[OutboxEntry], status: str, error: str) -> Outcome:
        return cls.of(entries, status, error=error)

    @classmethod
    def defer(cls, entries: list[OutboxEntry], until: datetime) -> Outcome:
        return cls.of(entries, None, not_before=until, attempt=False)

    @classmethod
    def release(cls, entries: list[OutboxEntry]) -> Outcome:
        """Give the rows back untouched (not tried): any worker may claim them at once."""
        return cls.of(entries, None, attempt=False)


async def run_handler(entry: OutboxEntry) -> Outcome:
    """Run the handler registered for the row's kind and say what became of it."""
    handler = HANDLERS.get(entry.kind)
    if handler is None:
        return Outcome.final([entry], FAILED, f"no handler for kind {entry.kind!r}")
    try:
        await handler(entry)
        return Outcome.sent([entry])
    except RetryLater as retry:
        delay = retry.delay if retry.delay is not None else backoff(entry.attempts)
        return Outcome.retry([entry], delay, str(retry))
    except PermanentFailure as failure:
        return Outcome.final([entry], failure.status, str(failure))
    except Exception as error:  # a bug in a handler must not stop the others
        log.exception("outbox handler %s failed", entry.kind)
        return Outcome.retry([entry], backoff(entry.attempts), f"{type(error).__name__}: {error}")


def _values(outcome: Outcome, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"claimed_by": None, "claimed_until": None, **outcome.changes}
    if outcome.attempt:
        values["attempts"] = OutboxEntry.attempts + 1
    if outcome.status is None:
        values["not_before"] = outcome.not_before or now
        if outcome.attempt:
            values["last_error"] = outcome.error
    elif outcome.status == SENT:
        values.update(status=SENT, sent_at=now, last_error=None)
    else:
        values.update(status=outcome.status, last_error=outcome.error)
    return values


async def record(session: AsyncSession, outcomes: Iterable[Outcome]) -> None:
    """Write outcomes, one statement per group of alike outcomes (the caller commits).

    Only rows still pending change: a row that another worker finished meanwhile stays as it is.
    A row given back (still pending) changes only while its claim holds: once its lease expired
    and another claim took it, that claim decides.
    """
    now = utcnow()
    groups: dict[tuple, list[int]] = defaultdict(list)
    outcome_of: dict[tuple, Outcome] = {}
    for outcome in outcomes:
        key = (outcome.status, outcome.not_before, outcome.error, outcome.attempt,
               outcome.claim if outcome.status is None else None, tuple(sorted(outcome.changes.items())))
        groups[key].extend(outcome.ids)
        outcome_of.setdefault(key, outcome)
    for key, ids in groups.items():
        outcome = outcome_of[key]
        statement = update(OutboxEntry).where(OutboxEntry.id.in_(ids), OutboxEntry.status == PENDING)
        if outcome.status is None:
            statement = statement.where(OutboxEntry.claimed_by == outcome.claim)
        await session.execute(statement.values(**_values(outcome, now))
                              .execution_options(synchronize_session=False))


async def process(session: AsyncSession, entry: OutboxEntry) -> None:
    """Run the row's handler and record the outcome (the caller commits)."""
    await record(session, [await run_handler(entry)])


async def release_claims(session: AsyncSession, worker: str | None = None) -> int:
    """Give back the pending rows claimed by ``worker`` (by anyone when None); commits.

    For a worker that stops, and on SQLite at start, where only one worker may run.
    """
    statement = update(OutboxEntry).where(OutboxEntry.status == PENDING,
                                          OutboxEntry.claimed_until.is_not(None))
    if worker is not None:
        statement = statement.where(OutboxEntry.claimed_by.startswith(f"{worker[:48]}/", autoescape=True))
    result = await session.execute(statement.values(claimed_by=None, claimed_until=None))
    await session.commit()
    return affected_rows(result)


async def batch_counts(session: AsyncSession, batches: list[str]) -> dict[str, dict[str, int]]:
    """For each batch, how many rows have each status (every status present, 0 when none)."""
    counts = {batch: dict.fromkeys(STATUSES, 0) for batch in batches}
    if not batches:
        return counts
    rows = await session.execute(
        select(OutboxEntry.batch, OutboxEntry.status, func.count())
        .where(OutboxEntry.batch.in_(batches)).group_by(OutboxEntry.batch, OutboxEntry.status)
    )
    for batch, status, count in rows:
        counts[batch][status] = counts[batch].get(status, 0) + count
    return counts
