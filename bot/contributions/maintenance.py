"""Periodic work of the contributions domain, for ``civicbot serve`` and ``civicbot maintenance``.

- every minute: publish the results of the polls that just closed;
- every ``open311_poll_seconds``: follow the statuses of reports in the Open311 back end;
- every hour: forget the positions shared longer ago than ``location_retention_hours``;
- every day: cut the links between residents and contributions older than ``retention_days``,
  and delete the messages of hand-over tickets closed more than ``handover_retention_days`` ago.

``civicbot maintenance`` also purges the delivered messages older than
``delivery_retention_days`` (which the delivery engine of ``civicbot serve`` does hourly).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from bot.contributions.followup import poll_open311
from bot.contributions.polls import publish_due_results
from bot.contributions.privacy import cut_old_links
from bot.delivery.retention import purge_delivered
from bot.handover.store import forget_old_handover_messages
from bot.positions import forget_old_positions

if TYPE_CHECKING:
    from bot.app import CivicBot

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0
DAY_SECONDS = 86400.0


async def retention(bot: CivicBot) -> int:
    async with bot.sessions() as session:
        cut = await cut_old_links(session, bot.settings.retention_days)
        await session.commit()
    if cut:
        log.info("retention: %d links between residents and contributions cut", cut)
    return cut


async def purge_delivered_messages(bot: CivicBot) -> int:
    """Delete the delivered messages (they keep a chat address) past their retention."""
    async with bot.sessions() as session:
        purged = await purge_delivered(session, bot.settings.delivery_retention_days)
        await session.commit()
    return purged


async def run_maintenance(bot: CivicBot) -> dict[str, int]:
    """One pass of everything; what ``civicbot maintenance`` prints."""
    return {"links_cut": await retention(bot), "polls_closed": await publish_due_results(bot),
            "statuses_changed": await poll_open311(bot),
            "handover_messages_deleted": await forget_old_handover_messages(bot),
            "delivered_messages_purged": await purge_delivered_messages(bot),
            "positions_forgotten": await forget_old_positions(bot)}


async def run(bot: CivicBot, stop: asyncio.Event) -> None:
    """The background service of the process that leads (the feature's ``leader_services``)."""
    last: dict[str, float] = {}
    jobs = ((retention, DAY_SECONDS), (publish_due_results, TICK_SECONDS),
            (poll_open311, float(bot.settings.open311_poll_seconds)),
            (forget_old_handover_messages, DAY_SECONDS), (forget_old_positions, 3600.0))
    while not stop.is_set():
        for job, period in jobs:
            if time.monotonic() - last.get(job.__name__, -period) >= period:
                last[job.__name__] = time.monotonic()
                try:
                    await job(bot)
                except Exception:  # one failed pass must not stop the service
                    log.exception("contributions maintenance: %s failed", job.__name__)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), TICK_SECONDS)
