"""The delivery engine: workers that claim outbox rows in batches and send them.

Rows are served by *lanes*: one per kind of message row and platform (``publication`` on
Telegram, ``message`` on Matrix, ...) and one per other registered kind (forwards to the city's
back end...). A lane claims a batch when its queue runs low and has ``delivery_concurrency``
senders. Senders of one platform share its :class:`~bot.limits.PlatformLimiter`, which
the connector also uses for conversation replies, so replies go first.

A sender: waits for a turn, sends in one attempt, hands the outcome to the group-commit
:class:`~bot.delivery.recorder.Recorder` and waits for it to be committed before its next row.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics, outbox
from bot.config import Settings
from bot.db import as_utc, utcnow
from bot.delivery.compose import Composer, Undeliverable
from bot.delivery.recorder import Recorder
from bot.delivery.retention import purge_delivered
from bot.i18n import Catalog
from bot.limits import PlatformLimiter, limiter_for
from bot.messages import PRIORITY_BROADCAST
from bot.outbox import BLOCKED, DELIVERY_KINDS, DIGEST, FAILED, PENDING, OutboxEntry, Outcome
from bot.subscriptions.schedule import DeliveryClock
from connectors.base import ChatMoved, Connector, RateLimited, RecipientGone

log = logging.getLogger(__name__)
MAX_MOVES = 3  # a chat that keeps moving is a loop, not a migration
PURGE_EVERY_SECONDS = 3600.0
STOP_GRACE_SECONDS = 10.0  # sends in flight at a stop get this long to finish


@dataclass
class Lane:
    kind: str
    platform: str | None  # None: rows of any platform (rows for a registered handler)
    work: Callable[[list[OutboxEntry]], Awaitable[Outcome]]
    batch: int  # rows held at once
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)  # units: rows sent together
    more_waiting: bool = True  # the last claim was full: there may be more rows
    senders: list[asyncio.Task] = field(default_factory=list)


class DeliveryEngine:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 catalog: Catalog, connectors: dict[str, Connector], worker: str | None = None,
                 handlers: Mapping[str, outbox.Handler] | None = None) -> None:
        self.sessions = sessions
        self.settings = settings
        self.connectors = connectors
        self.handlers = handlers or {}  # the features' outbox handlers, by kind
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.limiters: dict[str, PlatformLimiter] = {name: limiter_for(name, settings) for name in connectors}
        self.composer = Composer(sessions, catalog, DeliveryClock.from_settings(settings))
        self.recorder = Recorder(sessions)
        self.lanes: dict[tuple[str, str | None], Lane] = {}
        self.batch_size = max(1, settings.delivery_batch_size)
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self._wake = asyncio.Event()
        self._stopping = False
        self._sending: set[asyncio.Task] = set()
        self._abandoned: list[OutboxEntry] = []
        self._next_purge = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, then finish the sends in flight and give back the rest."""
        for name, connector in self.connectors.items():
            connector.limiter = self.limiters[name]
        with contextlib.ExitStack() as held:
            if not await self._sole_worker_on_sqlite(stop, held):
                return
            await self._deliver_until(stop)

    async def _sole_worker_on_sqlite(self, stop: asyncio.Event, held: contextlib.ExitStack) -> bool:
        """On SQLite one worker delivers: another one waits (a standby) until the first stops or
        dies, then takes back every claim, since none can be alive. False if stopped meanwhile."""
        bind = self.sessions.kw["bind"]
        path = bind.url.database if bind.dialect.name == "sqlite" else None
        if not path or path == ":memory:":
            return True
        # closed by ``held``; opening a local lock file does not block the loop for long
        lock = held.enter_context(open(f"{path}.delivery-lock", "w"))  # noqa: SIM115, ASYNC230
        waiting = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting:
                    log.info("another worker delivers for this SQLite database; this one waits")
                    waiting = True
                await _first_of(stop, timeout=self.settings.delivery_poll_seconds)
                if stop.is_set():
                    return False
        async with self.sessions() as session:
            await outbox.release_claims(session)
        return True

    async def _deliver_until(self, stop: asyncio.Event) -> None:
        outbox.add_waker(self._wake)
        recorder = asyncio.create_task(self.recorder.run())
        try:
            while not stop.is_set():
                self._open_lanes()
                try:
                    await self._claim()
                    await self._purge()
                except Exception:  # the database is away: try again at the next poll
                    log.exception("could not claim (or purge) outbox rows")
                await _first_of(stop, self._wake, timeout=self.settings.delivery_poll_seconds)
                self._wake.clear()
        finally:
            outbox.remove_waker(self._wake)
            await self._shutdown()
            self.recorder.close()
            await recorder

    def _open_lanes(self) -> None:
        wanted: list[tuple[str, str | None]] = [(kind, platform) for platform in self.connectors
                                                for kind in DELIVERY_KINDS]
        wanted += [(kind, None) for kind in self.handlers if kind not in DELIVERY_KINDS]
        for key in wanted:
            if key not in self.lanes:
                work = self._deliver if key[1] is not None else self._handle
                lane = self.lanes[key] = Lane(key[0], key[1], work, self._batch(key[1]))
                lane.senders = [asyncio.create_task(self._sender(lane))
                                for _ in range(max(1, self.settings.delivery_concurrency))]

    def _batch(self, platform: str | None) -> int:
        """Rows a lane holds at once: at most half a lease's worth at the platform's rate, so that
        claims do not expire while they wait their turn."""
        rate = self.limiters[platform].rate if platform in self.limiters else 0.0
        if rate <= 0:
            return self.batch_size
        half_lease = int(rate * self.lease.total_seconds() / 2)
        return max(1, min(self.batch_size, max(half_lease, self.settings.delivery_concurrency)))

    async def _claim(self) -> None:
        for lane in self.lanes.values():
            room = lane.batch - lane.queue.qsize()
            if room < lane.batch // 2:
                continue
            async with self.sessions() as session:
                entries = await outbox.claim(session, room, self.lease.total_seconds(), (lane.kind,),
                                             platform=lane.platform, worker=self.worker)
            lane.more_waiting = len(entries) == room
            for unit in _units(lane.kind, entries):
                lane.queue.put_nowait(unit)

    async def _purge(self) -> None:
        """Once an hour, delete the delivered messages past their retention."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        async with self.sessions() as session:
            purged = await purge_delivered(session, self.settings.delivery_retention_days)
            await session.commit()
        if purged:
            log.info("purged %d delivered messages older than %d days", purged,
                     self.settings.delivery_retention_days)

    async def _sender(self, lane: Lane) -> None:
        while not self._stopping:
            unit = await lane.queue.get()
            try:
                outcome = await lane.work(unit)
            except asyncio.CancelledError:  # a stop: not sent, give it back
                self._abandoned += unit
                raise
            except Exception as error:  # e.g. the database went away while composing
                log.exception("delivery of an outbox row of kind %s failed", lane.kind)
                outcome = self._retry(unit, error)
            await self.recorder.record(outcome, unit[0])
            if lane.more_waiting and lane.queue.qsize() <= lane.batch // 2:
                self._wake.set()

    @contextlib.contextmanager
    def _in_flight(self):
        """Marks a send under way: a stop lets it finish instead of cancelling it."""
        task = asyncio.current_task()
        self._sending.add(task)
        try:
            yield
        finally:
            self._sending.discard(task)

    async def _handle(self, unit: list[OutboxEntry]) -> Outcome:
        """A row for a registered handler: it runs to its end even when a stop comes."""
        with self._in_flight():
            return await outbox.run_handler(unit[0], self.handlers)

    def _lease_ending(self, entry: OutboxEntry) -> bool:
        """True when the claim may expire before a send ends (another worker could take the row)."""
        margin = max(1.0, self.lease.total_seconds() / 4)
        assert entry.claimed_until is not None  # a claimed row
        return (as_utc(entry.claimed_until) - utcnow()).total_seconds() < margin

    async def _deliver(self, unit: list[OutboxEntry]) -> Outcome:
        """Send one row (or a resident's due digest rows) to its chat, in one attempt per turn."""
        entry = unit[0]
        deferral = self.composer.deferral(entry, utcnow())
        if deferral is not None:
            return Outcome.defer(unit, deferral)
        entries = unit + (await self._digest_siblings(entry) if entry.kind == DIGEST else [])
        try:
            reply = await self.composer.reply(entries)
        except Undeliverable as error:
            return Outcome.final(entries, FAILED, str(error))
        assert entry.platform is not None and entry.chat_id is not None  # a delivery row names its chat
        connector, limiter = self.connectors[entry.platform], self.limiters[entry.platform]
        paid = limiter.paid and entry.priority >= PRIORITY_BROADCAST
        reply.paid_broadcast, reply.priority = paid, entry.priority
        chat_id, moves = entry.chat_id, 0
        while True:
            turn = await limiter.acquire(chat_id, entry.priority, paid=paid)
            if self._stopping or self._lease_ending(entry):
                limiter.sent(turn, paid)
                return Outcome.release(entries)
            try:
                with self._in_flight():
                    try:
                        await connector.send(chat_id, reply)
                    finally:
                        limiter.sent(turn, paid)
                outcome = Outcome.sent(entries)
                metrics.DELIVERIES.labels(entry.platform, "sent").inc()
            except RateLimited as error:
                limiter.pause(error.retry_after)
                continue
            except ChatMoved as error:
                moves += 1
                if moves > MAX_MOVES:
                    return Outcome.final(entries, FAILED, "the chat keeps moving")
                chat_id = error.new_chat_id
                continue
            except RecipientGone:
                metrics.DELIVERIES.labels(entry.platform, "blocked").inc()
                await connector.on_recipient_gone(chat_id)
                return Outcome.final(entries, BLOCKED, "recipient gone")
            except Exception as error:  # noqa: BLE001 - TemporaryError, or a connector bug: try again later
                metrics.DELIVERIES.labels(entry.platform, "error").inc()
                outcome = self._retry(entries, error)
            if chat_id != entry.chat_id:
                outcome.changes["chat_id"] = chat_id
            return outcome

    def _retry(self, entries: list[OutboxEntry], error: Exception) -> Outcome:
        attempts = entries[0].attempts + 1
        reason = f"{type(error).__name__}: {error}"[:500]
        if attempts >= self.settings.delivery_max_attempts:
            return Outcome.final(entries, FAILED, f"gave up after {attempts} attempts: {reason}")
        return Outcome.retry(entries, outbox.backoff(attempts - 1), reason)

    async def _digest_siblings(self, entry: OutboxEntry) -> list[OutboxEntry]:
        """Claim the resident's other due digest rows no one holds, to send them all as one message
        (under the same claim)."""
        now = utcnow()
        async with self.sessions() as session:
            rows = await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.kind == DIGEST, OutboxEntry.status == PENDING,
                       OutboxEntry.platform == entry.platform, OutboxEntry.chat_id == entry.chat_id,
                       OutboxEntry.id != entry.id, OutboxEntry.not_before <= now,
                       OutboxEntry.claimed_until.is_(None) | (OutboxEntry.claimed_until < now))
                .values(claimed_by=entry.claimed_by, claimed_until=entry.claimed_until)
                .returning(OutboxEntry).execution_options(synchronize_session=False)
            )
            siblings = list(rows.scalars())
            await session.commit()
        return siblings

    async def _shutdown(self) -> None:
        """Let sends in flight finish (for a while), stop the senders, give back queued rows."""
        self._stopping = True
        senders = [task for lane in self.lanes.values() for task in lane.senders]
        for task in senders:
            if task not in self._sending:
                task.cancel()
        _, late = await asyncio.wait(senders, timeout=STOP_GRACE_SECONDS) if senders else (None, set())
        for task in late:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        queued = self._abandoned + [entry for lane in self.lanes.values() for _ in range(lane.queue.qsize())
                                    for entry in lane.queue.get_nowait()]
        if queued:
            async with self.sessions() as session:
                await outbox.record(session, [Outcome.release([entry]) for entry in queued])
                await session.commit()


def _units(kind: str, entries: list[OutboxEntry]) -> list[list[OutboxEntry]]:
    """Rows sent as one message: a chat's digest rows together, any other row alone."""
    if kind != DIGEST:
        return [[entry] for entry in entries]
    by_chat: dict[str | None, list[OutboxEntry]] = {}
    for entry in entries:
        by_chat.setdefault(entry.chat_id, []).append(entry)
    return list(by_chat.values())


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    """Wait until one of the events is set, or ``timeout`` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
