"""Purging delivered messages: an outbox row keeps a chat address, so once a message is done
(sent, failed or blocked) for ``delivery_retention_days`` it is deleted. A publication's counts
are kept on the publication first, so its progress still shows."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, cast, delete, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.db import affected_rows, utcnow
from bot.delivery.compose import DELIVERY_KINDS
from bot.email.store import EMAIL_KIND
from bot.outbox import PENDING, OutboxEntry
from bot.publications.models import Publication

BATCH_PREFIX = "publication:"
PURGED_KINDS = (*DELIVERY_KINDS, EMAIL_KIND)  # rows that name a resident and what they were sent
FREEZE_AT_ONCE = 200


async def purge_delivered(session: AsyncSession, days: int) -> int:
    """Keep the counts of publications older than ``days`` whose delivery is over, then delete
    the finished message rows older than that; returns how many rows went (the caller commits)."""
    cutoff = utcnow() - timedelta(days=days)
    unfrozen = list((await session.execute(
        select(Publication).where(Publication.final_counts.is_(None), Publication.created_at < cutoff)
        .order_by(Publication.id).limit(FREEZE_AT_ONCE)
    )).scalars())
    counts = await outbox.batch_counts(session, [publication.batch for publication in unfrozen])
    for publication in unfrozen:
        if counts[publication.batch][PENDING] == 0:
            publication.final_counts = counts[publication.batch]
    await session.flush()
    frozen = select(literal(BATCH_PREFIX) + cast(Publication.id, String)).where(Publication.final_counts.is_not(None))
    result = await session.execute(
        delete(OutboxEntry).where(
            OutboxEntry.kind.in_(PURGED_KINDS), OutboxEntry.status != PENDING, OutboxEntry.created_at < cutoff,
            or_(OutboxEntry.batch.is_(None), ~OutboxEntry.batch.startswith(BATCH_PREFIX),
                OutboxEntry.batch.in_(frozen)))
    )
    return affected_rows(result)
