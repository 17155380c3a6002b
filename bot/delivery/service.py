"""The delivery worker of ``civicbot serve`` (listed in ``bot.serve.BACKGROUND_SERVICES``).

It delivers through the connectors serve runs (``connectors.registry.running``) and runs the
handlers other subsystems registered (``bot.outbox.register_handler``).
"""
from __future__ import annotations

import asyncio

from bot.app import CivicBot
from bot.delivery.engine import DeliveryEngine
from connectors.registry import CONNECTORS, running


async def run(bot: CivicBot, stop: asyncio.Event) -> None:
    connectors = {entry.name: connector for entry in CONNECTORS if (connector := running(entry.name))}
    await DeliveryEngine(bot.sessions, bot.settings, bot.catalog, connectors).run(stop)
