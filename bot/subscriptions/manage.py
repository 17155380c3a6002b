"""Reading and changing a resident's subscriptions (the caller's transaction commits)."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import affected_rows
from bot.delivery.compose import DIGEST, PUBLICATION
from bot.outbox import PENDING, OutboxEntry
from bot.subscriptions.models import FollowedThing, Subscriber, Subscription


async def subscriber_of(session: AsyncSession, user_id: int) -> Subscriber | None:
    return await session.get(Subscriber, user_id)


async def ensure_subscriber(session: AsyncSession, user_id: int, platform: str, chat_id: str,
                            language: str) -> Subscriber:
    """The resident's subscriber row, created on first use; address and language kept current."""
    subscriber = await session.get(Subscriber, user_id)
    if subscriber is None:
        subscriber = Subscriber(user_id=user_id, platform=platform, chat_id=chat_id, language=language)
        session.add(subscriber)
        await session.flush()
        return subscriber
    if (subscriber.platform, subscriber.chat_id, subscriber.language) != (platform, chat_id, language):
        subscriber.platform, subscriber.chat_id, subscriber.language = platform, chat_id, language
    return subscriber


async def subscriptions_of(session: AsyncSession, user_id: int) -> list[Subscription]:
    query = select(Subscription).where(Subscription.user_id == user_id).order_by(Subscription.id)
    return list((await session.execute(query)).scalars())


async def add_subscription(session: AsyncSession, user_id: int, kind: str, value: str, label: str,
                           area: str = "", area_label: str = "",
                           table: type[FollowedThing] = Subscription) -> bool:
    """Add one choice (to the chat's subscriptions, or another channel's ``table``); False when
    the resident had it already."""
    existing = await session.execute(
        select(table.id).where(table.user_id == user_id, table.kind == kind,
                               table.value == value, table.area == area)
    )
    if existing.first() is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(table(user_id=user_id, kind=kind, value=value, label=label[:128],
                              area=area, area_label=area_label[:128]))
    except IntegrityError:  # the same choice made twice at once
        return False
    return True


async def remove_subscriptions(session: AsyncSession, subscriptions: list[Subscription]) -> None:
    if subscriptions:
        await session.execute(delete(Subscription).where(Subscription.id.in_([s.id for s in subscriptions])))


async def cancel_pending(session: AsyncSession, user_id: int) -> int:
    """Drop the publications still waiting for the resident (they unsubscribed or paused)."""
    result = await session.execute(
        delete(OutboxEntry).where(OutboxEntry.user_id == user_id, OutboxEntry.status == PENDING,
                                  OutboxEntry.kind.in_((PUBLICATION, DIGEST)))
    )
    return affected_rows(result)
