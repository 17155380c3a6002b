"""Load: residents converse at once through the loopback Bot API (Telegram's limits enforced)
while one of them floods and a publication goes to thousands of subscribers, all through
``civicbot serve``'s own code path (connectors, limiters, delivery engine, HTTP server).

Residents converse as people do: each starts at a random moment of the first ``--think``
seconds and reads each answer for about ``--think`` seconds (half to one and a half times)
before writing again; ``--think 0`` makes them all write at once and back to back, which no
platform limit can serve in 2 s (Telegram sends 30 messages a second in all).

Prints the other residents' reply latency p50/p99 (target: p99 under 2 s), what the flooder
got, the broadcast's rate against Telegram's 30 messages/s, and the 429s the server answered.

    python bench/load.py [--residents 200] [--messages 3] [--think 10] [--burst 300]
                         [--subscribers 3000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.telegram_roundtrip import TEXTS, Result, _describe
from bot import serve
from bot.config import Settings
from bot.features import create_bot
from tests.support.delivery import add_subscribers, publish
from tests.support.network import free_port, until_answers
from tests.support.scratch import scratch_database
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer

FLOODER = 5_000
RESIDENTS_FROM = 10_000
SUBSCRIBERS_FROM = 100_000


async def converse(server: TelegramApiServer, chat_id: int, messages: int, think: float,
                   latencies: list[float]) -> None:
    """One resident: a first message at a random moment, then one after reading each answer."""
    pace = random.Random(chat_id)
    await asyncio.sleep(pace.uniform(0, think))
    for number in range(messages):
        started = time.perf_counter()
        server.say(chat_id, TEXTS[(chat_id + number) % len(TEXTS)])
        await server.next_message(chat_id, timeout=600)
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(pace.uniform(think / 2, think * 1.5))


async def run(arguments: argparse.Namespace, url: str, data_dir: Path) -> None:
    async with TelegramApiServer(limits=RateLimits(), record=True) as server:
        settings = Settings(data_dir=data_dir, database_url=url, secret="bench", http_port=free_port(),
                            telegram_token=server.token, telegram_base_url=server.base_url)
        subscribers = [str(SUBSCRIBERS_FROM + n) for n in range(arguments.subscribers)]
        setup = await create_bot(settings)
        async with setup.sessions() as session:
            await add_subscribers(session, subscribers)
        stop = asyncio.Event()
        serving = asyncio.create_task(serve.serve(settings, stop))
        try:
            await until_answers(f"http://127.0.0.1:{settings.http_port}/readyz",
                                lambda: serving.result() if serving.done() else None)
            if subscribers:
                await publish(setup)
            broadcast_started = time.perf_counter()
            for number in range(arguments.burst):
                server.say(FLOODER, TEXTS[number % len(TEXTS)])
            latencies: list[float] = []
            started = time.perf_counter()
            await asyncio.gather(*(converse(server, chat, arguments.messages, arguments.think, latencies)
                                   for chat in range(RESIDENTS_FROM, RESIDENTS_FROM + arguments.residents)))
            conversing = time.perf_counter() - started
            reached = set(subscribers)
            await server.wait_until(lambda: reached <= set(server.stats.by_chat), timeout=3600)
            broadcast = time.perf_counter() - broadcast_started
            flooder = [message.text for message in server.sent_to(FLOODER)]
        finally:
            stop.set()
            await serving
            await setup.close()
    print(_describe("others", Result(len(latencies), conversing, latencies, server.stats.rejected_429)))
    notices = sum("beaucoup de messages" in text for text in flooder)
    print(f"flooder   sent {arguments.burst}: {len(flooder) - notices} answered, {notices} notice(s), "
          f"the rest dropped")
    if subscribers:
        rate = len(subscribers) / broadcast
        print(f"broadcast {len(subscribers)} subscribers reached in {broadcast:.1f} s: {rate:.1f} msg/s "
              f"while the conversations took their share of the same limit")
    print(f"all sends {server.stats.delivered} at {server.stats.rate():.1f} msg/s "
          f"({server.stats.rate() / 30 * 100:.1f} % of Telegram's 30/s); {server.stats.rejected_429} answered 429; "
          f"load average {os.getloadavg()[0]:.1f}")


async def main(arguments: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    database = arguments.database_url or "(SQLite in a temporary directory)"
    print(f"{arguments.residents} residents x {arguments.messages} messages, ~{arguments.think:g} s to read each "
          f"answer, a burst of {arguments.burst}, "
          f"{arguments.subscribers} subscribers; Telegram's limits; database {database}")
    with tempfile.TemporaryDirectory() as data_dir:
        async with scratch_database(arguments.database_url or f"sqlite+aiosqlite:///{data_dir}/load.db") as url:
            await run(arguments, url, Path(data_dir))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3, help="per resident")
    parser.add_argument("--think", type=float, default=10.0, help="seconds a resident reads an answer")
    parser.add_argument("--burst", type=int, default=300, help="messages the flooder sends at once")
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    asyncio.run(main(parser.parse_args()))
