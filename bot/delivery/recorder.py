"""Group commit of delivery outcomes.

Each sender hands over the outcome of its send and waits until it is committed before it takes
its next row, so a crash can repeat at most one message per sender: the one whose outcome was not
committed yet (the platforms offer no idempotency key to make a repeated send harmless). The
outcomes of all senders are written together, one transaction for many sends.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import outbox
from bot.models import User
from bot.outbox import BLOCKED, DELIVERY_KINDS, PENDING, OutboxEntry, Outcome
from bot.subscriptions.models import Subscriber

log = logging.getLogger(__name__)
MAX_RETRY_SECONDS = 30.0


@dataclass
class _Item:
    outcome: Outcome
    entry: OutboxEntry
    done: asyncio.Future


class Recorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._items: list[_Item] = []
        self._wake = asyncio.Event()
        self._closing = False

    async def record(self, outcome: Outcome, entry: OutboxEntry) -> None:
        """Queue an outcome and wait until it is committed."""
        item = _Item(outcome, entry, asyncio.get_running_loop().create_future())
        self._items.append(item)
        self._wake.set()
        await asyncio.shield(item.done)

    def close(self) -> None:
        """Write what is queued, then stop :meth:`run`."""
        self._closing = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            items, self._items = self._items, []
            if items:
                await self._commit(items)
            if self._closing and not self._items:
                return

    async def _commit(self, items: list[_Item]) -> None:
        attempt = 0
        while True:
            try:
                async with self.sessions() as session:
                    await outbox.record(session, [item.outcome for item in items])
                    await _consequences(session, items)
                    await session.commit()
                break
            except Exception:  # the database is away: keep the outcomes and try again
                attempt += 1
                log.exception("could not record %d delivery outcomes (attempt %d)", len(items), attempt)
                await asyncio.sleep(min(MAX_RETRY_SECONDS, 0.5 * 2 ** attempt))
        for item in items:
            if not item.done.done():
                item.done.set_result(None)


async def _consequences(session: AsyncSession, items: list[_Item]) -> None:
    """A chat gone for good stops everything waiting for it; a moved chat moves its address."""
    for item in items:
        entry, outcome = item.entry, item.outcome
        if outcome.status == BLOCKED:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.status == PENDING, OutboxEntry.kind.in_(DELIVERY_KINDS),
                       OutboxEntry.platform == entry.platform, OutboxEntry.chat_id == entry.chat_id)
                .values(status=BLOCKED, last_error=outcome.error, claimed_by=None, claimed_until=None)
            )
            if entry.user_id is not None:
                await session.execute(update(User).where(User.id == entry.user_id).values(active=False))
        new_chat = outcome.changes.get("chat_id")
        if new_chat and new_chat != entry.chat_id:
            for table in (OutboxEntry, Subscriber):
                await session.execute(
                    update(table).where(table.platform == entry.platform, table.chat_id == entry.chat_id)
                    .values(chat_id=new_chat)
                )
