"""The project's aiohttp server: health check, and the routes each subsystem adds.

A subsystem adds routes with a ``setup_routes(app, bot)`` function named in ``ROUTE_MODULES``
(e.g. the Telegram webhook, the publications API).
"""
from __future__ import annotations

import importlib

from aiohttp import web

from bot.app import CivicBot

BOT_KEY = web.AppKey("bot", CivicBot)
ROUTE_MODULES: list[str] = ["bot.publications.api", "bot.contributions.api", "bot.handover.api"]


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(bot: CivicBot) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[BOT_KEY] = bot
    app.router.add_get("/healthz", health)
    for name in ROUTE_MODULES:
        importlib.import_module(name).setup_routes(app, bot)
    return app
