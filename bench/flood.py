"""Flood: one resident sends a burst while the others converse, through the loopback Bot API
enforcing Telegram's limits (1 message/s per chat, 30/s in all), as ``civicbot serve`` runs it.

Prints the other residents' reply latency p50/p99 with and without the burst (issue 14's audit:
211 s behind a burst of 300), and what the flooder got (answers, notices).

    python bench/flood.py [--burst 300] [--residents 50] [--messages 3] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.telegram_roundtrip import TEXTS, Result, _describe, _resident
from bot.app import CivicBot
from bot.config import Settings
from bot.delivery.limits import telegram_limiter
from connectors.telegram import TelegramConnector
from tests.support.scratch import scratch_database
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer

FLOODER = 5_000


async def run(burst: int, residents: int, messages: int, database_url: str) -> tuple[Result, list[str]]:
    async with scratch_database(database_url) as url:
        with tempfile.TemporaryDirectory() as data_dir:
            async with TelegramApiServer(limits=RateLimits()) as server:
                settings = Settings(data_dir=Path(data_dir), database_url=url, secret="bench",
                                    telegram_token=server.token, telegram_base_url=server.base_url)
                bot = await CivicBot.create(settings)
                connector = TelegramConnector(bot)
                connector.limiter = telegram_limiter(settings)
                await connector.start()
                try:
                    for number in range(burst):
                        server.say(FLOODER, TEXTS[number % len(TEXTS)])
                    latencies: list[float] = []
                    started = time.perf_counter()
                    await asyncio.gather(*(_resident(server, chat, messages, latencies)
                                           for chat in range(10_000, 10_000 + residents)))
                    elapsed = time.perf_counter() - started
                    await asyncio.sleep(2.0)  # what the flooder still gets
                    flooder = [message.text for message in server.sent_to(FLOODER)]
                finally:
                    await connector.stop()
                    await bot.close()
            rejected = server.stats.rejected_429
    return Result(len(latencies), elapsed, latencies, rejected), flooder


async def main(arguments: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    database = arguments.database_url or "(SQLite in a temporary directory)"
    print(f"{arguments.residents} residents x {arguments.messages} messages, Telegram's limits, "
          f"polling, database {database}")
    quiet, _ = await run(0, arguments.residents, arguments.messages, arguments.database_url)
    print(_describe("no burst", quiet))
    flooded, flooder = await run(arguments.burst, arguments.residents, arguments.messages,
                                 arguments.database_url)
    print(_describe(f"burst {arguments.burst}", flooded))
    notices = sum("beaucoup de messages" in text for text in flooder)
    print(f"the flooder, 2 s after the others finished: {len(flooder) - notices} answers received "
          f"(at most flood_messages={Settings().flood_messages}, 1/s), {notices} notice(s); "
          f"the rest of the {arguments.burst} dropped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3, help="per other resident")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    asyncio.run(main(parser.parse_args()))
