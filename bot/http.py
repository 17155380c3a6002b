"""The project's aiohttp server: health, readiness and metrics, and the routes each subsystem adds.

A subsystem adds routes with a ``setup_routes(app, bot)`` function named in ``ROUTE_MODULES``
(e.g. the Telegram webhook, the publications API).

``/healthz`` says the process is alive; ``/readyz`` that it can serve: the database answers,
every migration is applied and the connectors have started (``civicbot serve`` says so through
:class:`Readiness`); ``/metrics`` is for Prometheus (``bot.metrics``).
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot import db, metrics
from bot.app import CivicBot
from bot.gauges import read_gauges

BOT_KEY = web.AppKey("bot", CivicBot)
ROUTE_MODULES: list[str] = ["bot.publications.api", "bot.contributions.api", "bot.handover.api",
                            "bot.email.routes"]

log = logging.getLogger(__name__)


@dataclass
class Readiness:
    """Set by ``civicbot serve`` once its connectors and services run."""

    serving: bool = False


READINESS_KEY = web.AppKey("readiness", Readiness)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    checks = {"database": False, "migrations": False, "connectors": request.app[READINESS_KEY].serving}
    try:
        checks["migrations"] = await db.schema_is_current(bot.engine)
        checks["database"] = True
    except (SQLAlchemyError, OSError) as error:
        log.warning("readiness: the database cannot be reached (%s)", type(error).__name__)
    status = 200 if all(checks.values()) else 503
    return web.json_response({"status": "ready" if status == 200 else "not ready", "checks": checks},
                             status=status)


async def metrics_page(request: web.Request) -> web.Response:
    async with request.app[BOT_KEY].sessions() as session:
        await read_gauges(session)
    return web.Response(body=metrics.exposition(), headers={"Content-Type": metrics.CONTENT_TYPE})


def create_app(bot: CivicBot) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[BOT_KEY] = bot
    app[READINESS_KEY] = Readiness()
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics_page)
    for name in ROUTE_MODULES:
        importlib.import_module(name).setup_routes(app, bot)
    return app
