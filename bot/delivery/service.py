"""The delivery worker of ``civicbot serve`` (listed in ``bot.serve.BACKGROUND_SERVICES``).

It delivers through the connectors serve started (``bot.connectors``: platform name ->
connector) and runs the handlers other subsystems registered (``bot.outbox.register_handler``).
"""
from __future__ import annotations

import asyncio

from bot.app import CivicBot
from bot.delivery.engine import DeliveryEngine


async def run(bot: CivicBot, stop: asyncio.Event) -> None:
    connectors = dict(getattr(bot, "connectors", None) or {})
    await DeliveryEngine(bot.sessions, bot.settings, bot.catalog, connectors).run(stop)
