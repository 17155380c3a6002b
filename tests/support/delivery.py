"""Helpers for delivery tests and benchmarks: a connector that records what it is given, and
subscribers made in bulk."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.app import CivicBot
from bot.db import utcnow
from bot.delivery.engine import DeliveryEngine
from bot.messages import Reply
from bot.models import User
from bot.outbox import OutboxEntry
from bot.publications import service
from bot.publications.schema import PublicationIn
from bot.subscriptions.models import TOPIC, Subscriber, Subscription
from connectors.base import Connector, SendError


class RecordingConnector(Connector):
    """Keeps every message it is asked to send; ``failures[chat]`` lists errors to raise first."""

    def __init__(self, platform: str = "telegram", latency: float = 0.0) -> None:
        self.platform = platform
        self.latency = latency
        self.sent: list[tuple[str, str, float]] = []  # (chat, text, monotonic time)
        self.failures: dict[str, list[SendError]] = {}
        self.gone: list[str] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, chat_id: str, reply: Reply) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)
        waiting = self.failures.get(chat_id)
        if waiting:
            raise waiting.pop(0)
        self.sent.append((chat_id, reply.text, time.monotonic()))

    async def on_recipient_gone(self, chat_id: str) -> None:
        self.gone.append(chat_id)

    def per_chat(self) -> Counter:
        return Counter(chat for chat, _, _ in self.sent)

    async def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.sent)} of {count} messages after {timeout}s")
            await asyncio.sleep(0.01)


async def add_subscribers(session: AsyncSession, chats: Iterable[str], topic: str = "travaux", *,
                          platform: str = "telegram", frequency: str = "immediate",
                          quiet_hours: str | None = "", language: str = "fr", area: str = "",
                          chunk: int = 5000) -> list[int]:
    """Residents subscribed to ``topic`` (no quiet hours unless given), in bulk; their user ids."""
    chats = list(chats)
    now = utcnow()
    ids: list[int] = []
    for start in range(0, len(chats), chunk):
        part = chats[start:start + chunk]
        await session.execute(insert(User), [
            {"platform": platform, "user_hash": f"hash-{platform}-{chat}", "active": True,
             "created_at": now, "last_seen_at": now} for chat in part])
        found = dict((await session.execute(
            select(User.user_hash, User.id).where(User.platform == platform,
                                                  User.user_hash.in_([f"hash-{platform}-{c}" for c in part]))
        )).all())
        part_ids = [found[f"hash-{platform}-{chat}"] for chat in part]
        await session.execute(insert(Subscriber), [
            {"user_id": user_id, "platform": platform, "chat_id": chat, "language": language,
             "frequency": frequency, "quiet_hours": quiet_hours, "paused": False,
             "created_at": now, "updated_at": now} for user_id, chat in zip(part_ids, part, strict=True)])
        await session.execute(insert(Subscription), [
            {"user_id": user_id, "kind": TOPIC, "value": topic, "label": topic, "area": area,
             "area_label": area, "created_at": now} for user_id in part_ids])
        ids += part_ids
    await session.commit()
    return ids


@contextlib.asynccontextmanager
async def running(bot: CivicBot, connectors: dict, handlers: dict | None = None, **settings):
    """A delivery engine running with these connectors and outbox handlers (the bot's features'
    by default), stopped at the end."""
    engine = DeliveryEngine(bot.sessions, dataclasses.replace(bot.settings, **settings), bot.catalog,
                            connectors, handlers=bot.outbox_handlers if handlers is None else handlers)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    try:
        yield engine
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def publish(bot: CivicBot, topics=("travaux",), **fields):
    request = PublicationIn.model_validate({
        "kind": "works", "title": {"fr": "Travaux rue de Strasbourg", "en": "Roadworks"},
        "text": {"fr": "La rue sera fermée lundi.", "en": "The street closes on Monday."},
        "topics": list(topics), **fields})
    async with bot.sessions() as session:
        publication = await service.publish(session, request, bot, "test")
        await session.commit()
    outbox.notify()
    return publication


async def statuses(bot: CivicBot) -> dict[str, int]:
    async with bot.sessions() as session:
        rows = await session.execute(select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status))
        return dict(rows.all())


async def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def all_sent(bot: CivicBot, count: int) -> bool:
    return (await statuses(bot)).get("sent", 0) == count
