"""``civicbot serve``: the configured connectors, the HTTP server and background services.

Background services are ``async def run(bot, stop: asyncio.Event) -> None`` functions named in
``BACKGROUND_SERVICES`` ("module:function"); each runs until ``stop`` is set (e.g. outbox
workers, daily maintenance).
"""
from __future__ import annotations

BACKGROUND_SERVICES: list[str] = []
