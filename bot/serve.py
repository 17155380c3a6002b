"""``civicbot serve``: the configured connectors, the HTTP server and background services.

Background services are ``async def run(bot, stop: asyncio.Event) -> None`` functions named in
``BACKGROUND_SERVICES`` (every process: e.g. the outbox workers) or ``LEADER_SERVICES`` (the one
process that leads: e.g. the daily maintenance), as "module:function"; each runs until ``stop``
is set. They start once the connectors run (find one with ``connectors.registry.running``).

Several processes may serve one PostgreSQL database (``bot.leadership``): each runs the HTTP
server, the connectors that receive over it (Telegram webhook) and the outbox workers; the one
that leads also runs the exclusive connectors (Telegram polling, Matrix) and the leader's
services. A process standing by takes over within seconds when the leader dies.

Stopping (SIGTERM or SIGINT) loses nothing acknowledged: the HTTP server stops taking requests
and answers those in hand (a webhook update is acknowledged by its answer), the services stop,
then each connector finishes the messages it holds and confirms them to its platform. Each step
has ``SHUTDOWN_GRACE_SECONDS``; what is cut short was not acknowledged and comes back later.
"""
from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Awaitable

from aiohttp import web

from bot.app import CivicBot
from bot.config import Settings
from bot.http import READINESS_KEY, create_app
from bot.leadership import Leadership
from connectors.base import Connector
from connectors.registry import create_connectors, set_running

NO_CONNECTOR = ("no chat platform is configured: serving the HTTP API, the agent console and the "
                "background services only (set CIVICBOT_TELEGRAM_TOKEN, or CIVICBOT_MATRIX_HOMESERVER "
                "with CIVICBOT_MATRIX_USER_ID and a password or access token, or CIVICBOT_WEBCHAT_ENABLED=1, "
                "to talk with residents)")
BACKGROUND_SERVICES: list[str] = ["bot.delivery.service:run"]
LEADER_SERVICES: list[str] = ["bot.contributions.maintenance:run"]

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 25.0


class StartError(RuntimeError):
    """A connector could not start; the message says which and why."""


class LeadLost(StartError):
    """The leader's lock connection ended: another process may lead now, so this one stops
    (its supervisor starts it again, standing by)."""


class _Services:
    """The background services running now, stopped together."""

    def __init__(self, bot: CivicBot) -> None:
        self.bot = bot
        self.tasks: list[asyncio.Task] = []
        self.stopping = asyncio.Event()

    def start(self, names: list[str]) -> None:
        self.stopping = asyncio.Event()
        self.tasks = [asyncio.create_task(_run_service(name, self.bot, self.stopping), name=name)
                      for name in names]

    async def stop(self) -> None:
        self.stopping.set()
        await _within_grace(asyncio.gather(*self.tasks), "the background services")
        self.tasks = []


def run(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        await serve(settings, stop)

    asyncio.run(main())


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the connectors, the HTTP server and the background services until ``stop`` is set."""
    bot = await CivicBot.create(settings)
    try:
        await _serve(bot, stop)
    finally:
        await bot.close()


async def _serve(bot: CivicBot, stop: asyncio.Event) -> None:
    connectors = create_connectors(bot)
    app = create_app(bot)
    for connector in connectors:
        mount = getattr(connector, "setup_routes", None)  # connectors that receive over HTTP
        if mount:
            mount(app)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_GRACE_SECONDS)
    await runner.setup()
    started: list[Connector] = []
    services = _Services(bot)
    leadership = Leadership(bot.engine)
    try:
        site = web.TCPSite(runner, bot.settings.http_host, bot.settings.http_port)
        await site.start()
        log.info("HTTP server on %s", ", ".join(f"{host}:{port}" for host, port, *_ in runner.addresses))
        if not await _start_all([c for c in connectors if not c.exclusive], started, stop):
            return
        if not await leadership.try_once():
            set_running(started)
            services.start(BACKGROUND_SERVICES)
            app[READINESS_KEY].serving = True
            log.info("standing by: another process leads (polling, Matrix sync, maintenance)")
            if not await leadership.acquire(stop):
                return
            log.info("this process leads now")
            await services.stop()
        if not await _start_all([c for c in connectors if c.exclusive], started, stop):
            return
        set_running(started)
        services.start(BACKGROUND_SERVICES + LEADER_SERVICES)
        app[READINESS_KEY].serving = True
        if connectors:
            log.info("civicbot is serving (%s)", ", ".join(c.platform for c in connectors))
        else:
            log.warning(NO_CONNECTOR)
        await _until_stop_or_lost(stop, leadership)
    finally:
        app[READINESS_KEY].serving = False
        log.info("stopping: finishing the messages in hand")
        await _within_grace(runner.cleanup(), "the HTTP server")
        await services.stop()
        await asyncio.gather(*(_within_grace(_stop(connector), connector.platform)
                               for connector in started))
        set_running([])
        await leadership.release()
        log.info("stopped")


async def _start_all(connectors: list[Connector], started: list[Connector], stop: asyncio.Event) -> bool:
    """Start each of ``connectors`` (noted in ``started``) unless ``stop`` comes first (then False)."""
    for connector in connectors:
        started.append(connector)
        if not await _start(connector, stop):
            return False
    return True


async def _until_stop_or_lost(stop: asyncio.Event, leadership: Leadership) -> None:
    stopping = asyncio.create_task(stop.wait())
    losing = asyncio.create_task(leadership.lost())
    await asyncio.wait({stopping, losing}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    losing.cancel()
    if not stop.is_set():
        raise LeadLost("the database connection that held the lead ended; stopping so that "
                       "another process can lead (start this one again: it will stand by)")


async def _start(connector: Connector, stop: asyncio.Event) -> bool:
    """Start ``connector`` unless ``stop`` comes first (then False); StartError if it fails."""
    starting = asyncio.create_task(connector.start())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not starting.done():
        starting.cancel()
        return False
    error = starting.exception()
    if error is not None:
        raise StartError(f"the {connector.platform} connector could not start: {error}") from error
    return True


async def _stop(connector: Connector) -> None:
    try:
        await connector.stop()
    except Exception:
        log.exception("%s: stopping failed", connector.platform)


async def _run_service(name: str, bot: CivicBot, stop: asyncio.Event) -> None:
    module, function = name.split(":")
    try:
        await getattr(importlib.import_module(module), function)(bot, stop)
    except Exception:
        log.exception("background service %s failed", name)


async def _within_grace(step: Awaitable, what: str) -> None:
    try:
        await asyncio.wait_for(step, SHUTDOWN_GRACE_SECONDS)
    except TimeoutError:
        log.warning("%s did not stop within %.0fs; what it held was not acknowledged and will "
                    "come back", what, SHUTDOWN_GRACE_SECONDS)
