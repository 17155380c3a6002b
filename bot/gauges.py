"""The metrics that describe the database, read afresh each time ``/metrics`` is scraped."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handover.models import OPEN, Ticket
from bot.metrics import ACTIVE_FLOWS, OPEN_TICKETS, OUTBOX_AGE, OUTBOX_DEPTH
from bot.models import Conversation
from bot.outbox import PENDING, OutboxEntry


async def read_gauges(session: AsyncSession) -> None:
    """Outbox depth and age per kind, conversations in a flow, open hand-over tickets."""
    now = datetime.now(UTC)
    OUTBOX_DEPTH.clear()
    OUTBOX_AGE.clear()
    waiting = await session.execute(
        select(OutboxEntry.kind, func.count(), func.min(OutboxEntry.created_at))
        .where(OutboxEntry.status == PENDING).group_by(OutboxEntry.kind))
    for kind, count, oldest in waiting:
        OUTBOX_DEPTH.labels(kind).set(count)
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)  # SQLite gives naive UTC
        OUTBOX_AGE.labels(kind).set(max(0.0, (now - oldest).total_seconds()))
    ACTIVE_FLOWS.clear()
    flows = await session.execute(select(Conversation.flow, func.count())
                                  .where(Conversation.flow.is_not(None)).group_by(Conversation.flow))
    for flow, count in flows:
        ACTIVE_FLOWS.labels(flow).set(count)
    OPEN_TICKETS.set(await session.scalar(select(func.count()).select_from(Ticket)
                                          .where(Ticket.status == OPEN)) or 0)
