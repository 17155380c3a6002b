"""Who receives a publication, written straight into the outbox.

A subscription matches a publication when:

- a topic: the publication has that topic and, if the subscription names an area, the
  publication concerns that area or the whole city (no area);
- an area: the publication concerns that area;
- an official: the publication names them.

Places and names match on their words (``"Malakoff"`` matches ``"Malakoff - Saint-Donatien"``).
The outbox rows are made by ``INSERT ... SELECT``, one statement per group of subscribers
sharing frequency, quiet hours and language, so 100,000 recipients cost a few statements and
no memory.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, and_, false, insert, literal, or_, select, true, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, SQLCoreOperations

from bot.db import affected_rows, utcnow
from bot.messages import PRIORITY_BROADCAST
from bot.models import User
from bot.outbox import DIGEST, PENDING, PUBLICATION, OutboxEntry
from bot.publications.models import Publication
from bot.subscriptions.models import AREA, IMMEDIATE, OFFICIAL, TOPIC, FollowedThing, Subscriber, Subscription
from bot.subscriptions.schedule import DeliveryClock
from bot.text import content_words, normalize


def name_key(name: str) -> str:
    """The matching key of a place or person: folded words, stop words out."""
    return " ".join(content_words(normalize(name)))


def same_name(first: str, second: str) -> bool:
    """Keys naming the same place or person: one's words all in the other's."""
    a, b = set(first.split()), set(second.split())
    return bool(a) and bool(b) and (a <= b or b <= a)


async def _fitting(session: AsyncSession, stored: SQLCoreOperations[str], kind_filter: ColumnElement,
                   names: list[str]) -> list[str]:
    """The stored keys that name one of ``names``."""
    if not names:
        return []
    keys = [name_key(name) for name in names]
    found = (await session.execute(select(stored).where(kind_filter).distinct())).scalars()
    return [key for key in found if any(same_name(key, wanted) for wanted in keys)]


async def matching(session: AsyncSession, publication: Publication,
                   table: type[FollowedThing] = Subscription) -> ColumnElement[bool] | None:
    """A condition on the rows of ``table`` (chat subscriptions, or another channel's choices)
    that match the publication (None: nobody)."""
    areas = await _fitting(
        session, union(select(table.value.label("key")).where(table.kind == AREA),
                       select(table.area.label("key")).where(table.area != "")).subquery().c.key,
        true(), publication.areas)
    officials = await _fitting(session, table.value, table.kind == OFFICIAL, publication.officials)
    conditions = []
    if publication.topics:
        where = true() if not publication.areas else or_(table.area == "", table.area.in_(areas)
                                                          if areas else false())
        conditions.append(and_(table.kind == TOPIC, table.value.in_(publication.topics), where))
    if areas:
        conditions.append(and_(table.kind == AREA, table.value.in_(areas)))
    if officials:
        conditions.append(and_(table.kind == OFFICIAL, table.value.in_(officials)))
    return or_(*conditions) if conditions else None


async def enqueue_publication(session: AsyncSession, publication: Publication, clock: DeliveryClock,
                              now: datetime | None = None) -> int:
    """One pending outbox row per subscriber the publication concerns; returns how many."""
    condition = await matching(session, publication)
    if condition is None:
        return 0
    now = now or utcnow()
    audience = (
        select(Subscriber).join(User, User.id == Subscriber.user_id)
        .where(User.active.is_(True), Subscriber.paused.is_(False),
               Subscriber.user_id.in_(select(Subscription.user_id).where(condition)))
    )
    groups = (await session.execute(
        audience.with_only_columns(Subscriber.frequency, Subscriber.quiet_hours, Subscriber.language).distinct()
    )).all()
    start = publication.scheduled_at or now
    total = 0
    for frequency, stored_quiet, language in groups:
        quiet = clock.quiet_hours(stored_quiet)
        payload = {"publication": publication.id, "lang": language, "quiet": str(quiet) if quiet else ""}
        if frequency != IMMEDIATE:
            payload["frequency"] = frequency
        same_quiet = (Subscriber.quiet_hours.is_(None) if stored_quiet is None
                      else Subscriber.quiet_hours == stored_quiet)
        rows = audience.where(Subscriber.frequency == frequency, same_quiet,
                              Subscriber.language == language).with_only_columns(
            literal(PUBLICATION if frequency == IMMEDIATE else DIGEST, String), literal(PRIORITY_BROADCAST, Integer),
            Subscriber.user_id, Subscriber.platform, Subscriber.chat_id, literal(publication.batch, String),
            literal(payload, JSON), literal(PENDING, String), literal(0, Integer),
            literal(clock.due(start, frequency, quiet), DateTime(timezone=True)),
            literal(now, DateTime(timezone=True)),
        )
        columns = ["kind", "priority", "user_id", "platform", "chat_id", "batch", "payload", "status",
                   "attempts", "not_before", "created_at"]
        result = await session.execute(insert(OutboxEntry).from_select(columns, rows))
        total += affected_rows(result)
    return total


async def queue_for_subscribers(bot: Any, session: AsyncSession, publication: Publication) -> int:
    """The subscriptions feature's audience: the chat subscribers the publication concerns."""
    return await enqueue_publication(session, publication, DeliveryClock.from_settings(bot.settings),
                                     publication.created_at)
