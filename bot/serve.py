"""``civicbot serve``: the configured connectors, the HTTP server and background services.

Background services are ``async def run(bot, stop: asyncio.Event) -> None`` functions that the
features declare (``Feature.services``: every process, e.g. the outbox workers;
``Feature.leader_services``: the one process that leads, e.g. the daily maintenance); each runs
until ``stop`` is set. They start once the connectors run (find one with ``connectors.registry.running``).

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
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Iterator

from aiohttp import web

from bot.app import CivicBot
from bot.config import Settings
from bot.feature import Feature, Service
from bot.features import FEATURES
from bot.http import READINESS_KEY, create_app
from bot.leadership import Leadership
from connectors.base import Connector
from connectors.registry import create_connectors, set_running

NO_CONNECTOR = ("no chat platform is configured: serving the HTTP API, the agent console and the "
                "background services only (set CIVICBOT_TELEGRAM_TOKEN, or CIVICBOT_MATRIX_HOMESERVER "
                "with CIVICBOT_MATRIX_USER_ID and a password or access token, or CIVICBOT_WEBCHAT_ENABLED=1, "
                "to talk with residents)")

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

    def start(self, leader: bool) -> None:
        """Start the features' services of every process, and those of the leader if ``leader``."""
        self.stopping = asyncio.Event()
        services = [service for feature in self.bot.features
                    for service in (*feature.services, *(feature.leader_services if leader else ()))]
        self.tasks = [asyncio.create_task(_run_service(service, self.bot, self.stopping),
                                          name=service.__qualname__) for service in services]

    async def stop(self) -> None:
        self.stopping.set()
        await _within_grace(asyncio.gather(*self.tasks), "the background services")
        self.tasks = []


def run(settings: Settings, features: tuple[Feature, ...] = FEATURES) -> None:
    """Serve until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        await serve(settings, stop, features)

    asyncio.run(main())


async def serve(settings: Settings, stop: asyncio.Event, features: tuple[Feature, ...] = FEATURES) -> None:
    """Run the connectors, the HTTP server and the features' background services until ``stop``
    is set."""
    bot = await CivicBot.create(settings, features=features)
    try:
        with start_up_heap_frozen():
            await _serve(bot, stop)
    finally:
        await bot.close()


@contextlib.contextmanager
def start_up_heap_frozen() -> Iterator[None]:
    """Leave what exists once the bot is built (the NLU's model, the catalogs, the knowledge
    caches: some 150,000 objects) out of the garbage collector's full passes while serving.

    A full pass over them takes about 130 ms on an idle machine and 230 ms on a busy one, a pause
    in which no reply and no broadcast goes out: during a broadcast on Telegram, eight turns in a
    row came too late, a loss of about 1 % of the rate. Frozen objects are still freed when no
    longer referenced; they are given back to the collector at the end."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
            services.start(leader=False)
            app[READINESS_KEY].serving = True
            log.info("standing by: another process leads (polling, Matrix sync, maintenance)")
            if not await leadership.acquire(stop):
                return
            log.info("this process leads now")
            await services.stop()
        if not await _start_all([c for c in connectors if c.exclusive], started, stop):
            return
        set_running(started)
        services.start(leader=True)
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


async def _run_service(service: Service, bot: CivicBot, stop: asyncio.Event) -> None:
    try:
        await service(bot, stop)
    except Exception:
        log.exception("background service %s.%s failed", service.__module__, service.__qualname__)


async def _within_grace(step: Awaitable, what: str) -> None:
    try:
        await asyncio.wait_for(step, SHUTDOWN_GRACE_SECONDS)
    except TimeoutError:
        log.warning("%s did not stop within %.0fs; what it held was not acknowledged and will "
                    "come back", what, SHUTDOWN_GRACE_SECONDS)
