"""The delivery worker of ``civicbot serve`` (a service of every process: ``bot.delivery.feature``).

It delivers through the connectors serve runs (``connectors.registry.running``) and runs the
outbox handlers the features declare (``Feature.outbox_handlers``).
"""
from __future__ import annotations

import asyncio

from bot.app import CivicBot
from bot.delivery.engine import DeliveryEngine
from connectors.registry import CONNECTORS, running


async def run(bot: CivicBot, stop: asyncio.Event) -> None:
    connectors = {entry.name: connector for entry in CONNECTORS if (connector := running(entry.name))}
    await DeliveryEngine(bot.sessions, bot.settings, bot.catalog, connectors,
                         handlers=bot.outbox_handlers).run(stop)
