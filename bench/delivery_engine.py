"""The delivery engine's own throughput, rate limits lifted, on SQLite and on PostgreSQL: claims,
rendering, group commit, through a connector that sends nowhere. Target: >= 2,000 messages/s,
so that paid broadcasts (1,000/s on Telegram) are never held back by civicbot.

    python bench/delivery_engine.py [--messages 20000] [--postgres-url URL | --no-postgres]
        [--telegram 5000]   # also through python-telegram-bot to the loopback Bot API, no limits
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bot.app import CivicBot
from bot.config import Settings
from bot.delivery.engine import DeliveryEngine
from bot.features import create_bot
from bot.outbox import SENT, OutboxEntry
from bot.publications import service
from bot.publications.schema import parse_publication
from bot.serve import start_up_heap_frozen
from tests.support.delivery import RecordingConnector, add_subscribers
from tests.support.scratch import scratch_database

TARGET = 2000.0
PUBLICATION = ('{"kind": "news", "title": {"fr": "Conseil municipal du 12 mars"}, '
               '"text": {"fr": "Les délibérations adoptées sont en ligne."}, "topics": ["conseil municipal"]}')
UNLIMITED = {"telegram_rate_global": 0.0, "telegram_rate_per_chat": 0.0, "telegram_group_per_minute": 0,
             "delivery_concurrency": 64, "delivery_batch_size": 1000, "log_level": "WARNING",
             "demo_data": False, "secret": "bench"}


@asynccontextmanager
async def database(kind: str, postgres_url: str):
    """A URL to an empty database: a temporary SQLite file, or a PostgreSQL schema of its own."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{directory}/bench.db"
        return
    async with scratch_database(postgres_url, prefix="bench") as url:
        yield url


async def delivered(bot: CivicBot) -> int:
    async with bot.sessions() as session:
        return (await session.execute(select(func.count()).where(OutboxEntry.status == SENT))).scalar()


async def throughput(url: str, count: int, connector_for) -> float:
    """Messages per second from the start of the workers until every row is recorded as sent."""
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), database_url=url, **UNLIMITED)
        bot = await create_bot(settings)
        with start_up_heap_frozen():  # as civicbot serve
            try:
                async with bot.sessions() as session:
                    await add_subscribers(session, [str(200000 + n) for n in range(count)], topic="conseil municipal")
                    await service.publish(session, parse_publication(PUBLICATION), bot, "bench")
                    await session.commit()
                async with connector_for(bot) as connector:
                    engine = DeliveryEngine(bot.sessions, settings, bot.catalog, {"telegram": connector})
                    stop = asyncio.Event()
                    began = time.perf_counter()
                    worker = asyncio.create_task(engine.run(stop))
                    while await delivered(bot) < count:  # noqa: ASYNC110 - polls the database: no event to wait on
                        await asyncio.sleep(0.05)
                    elapsed = time.perf_counter() - began
                    stop.set()
                    await worker
                return count / elapsed
            finally:
                await bot.close()


@asynccontextmanager
async def nowhere(bot: CivicBot):
    yield RecordingConnector()


@asynccontextmanager
async def loopback_telegram(bot: CivicBot):
    """The real connector, to the loopback Bot API without limits (in this same process)."""
    from connectors.telegram import TelegramConnector
    from tests.support.servers.telegram_api import TelegramApiServer

    async with TelegramApiServer(record=False) as server:
        bot.settings.telegram_token, bot.settings.telegram_base_url = server.token, server.base_url
        connector = TelegramConnector(bot)
        await connector.application.initialize()
        try:
            yield connector
        finally:
            await connector.application.shutdown()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CIVICBOT_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--telegram", type=int, default=0,
                        help="also this many messages through python-telegram-bot to the loopback API")
    arguments = parser.parse_args()
    backends = ["sqlite"] + ([] if arguments.no_postgres else ["postgresql"])
    for backend in backends:
        async with database(backend, arguments.postgres_url) as url:
            rate = await throughput(url, arguments.messages, nowhere)
        verdict = "met" if rate >= TARGET else "NOT met"
        print(f"{backend:10} engine alone: {arguments.messages} messages, {rate:7.0f} messages/s "
              f"(target {TARGET:.0f}: {verdict})", flush=True)
        if arguments.telegram:
            async with database(backend, arguments.postgres_url) as url:
                rate = await throughput(url, arguments.telegram, loopback_telegram)
            print(f"{backend:10} through python-telegram-bot and the loopback API (one process, "
                  f"no limits): {rate:7.0f} messages/s", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
