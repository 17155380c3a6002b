"""A broadcast at Telegram's limits, through the real python-telegram-bot, to the loopback Bot API
that enforces those limits (30 messages/s in all, 1/s per chat, 20/min per group) and answers 429
beyond them, while residents converse with the bot (each writes again as soon as answered,
through the same connector and limits). Targets: achieved rate (broadcast and replies, as the
server counts them) >= 99 % of 30 messages/s, zero 429. ``--load N`` runs N processes that keep
a core busy meanwhile.

Side by side, on a fresh server with the same subscribers: the usual python-telegram-bot way, a
loop over ``send_message`` with ``AIORateLimiter`` (retrying after a 429, as it can).

    python bench/delivery_telegram.py [--subscribers 3000] [--residents 5] [--load 0] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram.ext import AIORateLimiter, ApplicationBuilder

from bot.config import Settings
from bot.delivery.engine import DeliveryEngine
from bot.features import create_bot
from bot.outbox import notify
from bot.publications import service
from bot.publications.schema import parse_publication
from bot.serve import start_up_heap_frozen
from connectors.telegram import TelegramConnector
from tests.support.delivery import add_subscribers
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer

LIMIT = 30.0
TARGET = 0.99
WORDS = ["bonjour", "aide", "qui est le maire ?", "hello, what can you do?", "merci"]
TEXT = "Travaux boulevard de Doulon : circulation alternée du 3 au 7 mars."
PUBLICATION = ('{"kind": "works", "title": {"fr": "Travaux boulevard de Doulon"}, '
               '"text": {"fr": "Circulation alternée du 3 au 7 mars."}, "topics": ["travaux"]}')


def chats(count: int) -> list[str]:
    return [str(100000 + number) for number in range(count)]


async def converse(server: TelegramApiServer, chat: int, latencies: list[float]) -> None:
    """A resident who writes again as soon as answered, until cancelled."""
    for number in range(10 ** 6):  # the server keeps counts only: wait for this chat's count
        began = time.monotonic()
        server.say(chat, WORDS[number % len(WORDS)])
        await server.wait_until(lambda answered=number: server.stats.by_chat[str(chat)] > answered,
                                timeout=60)
        latencies.append(time.monotonic() - began)


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """``count`` processes that each keep a core busy, stopped at the end."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


async def civicbot_way(settings: Settings, count: int,
                       residents: int) -> tuple[float, float, int, int, list[float]]:
    """(server rate, wall rate, delivered, 429s, reply latencies) for a publication delivered by
    civicbot while ``residents`` converse."""
    async with TelegramApiServer(limits=RateLimits(), record=False) as server:
        settings.telegram_token, settings.telegram_base_url = server.token, server.base_url
        bot = await create_bot(settings)
        connector = TelegramConnector(bot)
        await connector.start()
        stop = asyncio.Event()
        with start_up_heap_frozen():  # as civicbot serve
            try:
                async with bot.sessions() as session:
                    await add_subscribers(session, chats(count))
                engine = DeliveryEngine(bot.sessions, settings, bot.catalog, {"telegram": connector})
                worker = asyncio.create_task(engine.run(stop))
                began = time.monotonic()
                async with bot.sessions() as session:
                    await service.publish(session, parse_publication(PUBLICATION), bot, "bench")
                    await session.commit()
                notify()
                latencies: list[float] = []
                talks = [asyncio.create_task(converse(server, 900 + number, latencies))
                         for number in range(residents)]
                subscribers = chats(count)
                await server.wait_until(lambda: all(chat in server.stats.by_chat for chat in subscribers),
                                        timeout=count / 10 + 60)
                wall = (server.stats.delivered - 1) / (time.monotonic() - began)
                for talk in talks:
                    talk.cancel()
                await asyncio.gather(*talks, return_exceptions=True)
                stop.set()
                await worker
            finally:
                await connector.stop()
                await bot.close()
        return server.stats.rate(), wall, server.stats.delivered, server.stats.rejected_429, latencies


async def usual_way(count: int) -> tuple[float, float, int, int]:
    """The same for a loop over send_message with AIORateLimiter."""
    async with TelegramApiServer(limits=RateLimits(), record=False) as server:
        application = (ApplicationBuilder().token(server.token).base_url(server.base_url)
                       .rate_limiter(AIORateLimiter(max_retries=3)).build())
        await application.initialize()
        try:
            began = time.monotonic()
            for chat in chats(count):
                await application.bot.send_message(chat, TEXT)
            wall = (server.stats.delivered - 1) / (time.monotonic() - began)
        finally:
            await application.shutdown()
        return server.stats.rate(), wall, server.stats.delivered, server.stats.rejected_429


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--residents", type=int, default=5, help="conversing during the broadcast")
    parser.add_argument("--load", type=int, default=0, help="processes keeping a core busy")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), database_url=arguments.database_url,
                            secret="bench", demo_data=False, log_level="WARNING")
        print(f"{arguments.subscribers} subscribers, {arguments.residents} residents conversing, "
              f"{arguments.load} busy processes, Telegram's limits ({LIMIT:.0f} messages/s)", flush=True)
        with busy_cores(arguments.load):
            ours = await civicbot_way(settings, arguments.subscribers, arguments.residents)
        print(f"civicbot:           {ours[0]:6.2f} messages/s ({100 * ours[0] / LIMIT:.1f} % of {LIMIT:.0f}), "
              f"wall {ours[1]:.2f}/s, delivered {ours[2]}, 429 answers {ours[3]}", flush=True)
        if ours[4]:
            print(f"  meanwhile {len(ours[4])} replies to residents, p50 "
                  f"{statistics.median(ours[4]) * 1000:.0f} ms", flush=True)
        theirs = await usual_way(arguments.subscribers)
        print(f"send_message loop:  {theirs[0]:6.2f} messages/s ({100 * theirs[0] / LIMIT:.1f} % of {LIMIT:.0f}), "
              f"wall {theirs[1]:.2f}/s, delivered {theirs[2]}, 429 answers {theirs[3]}")
        print(f"ratio civicbot / send_message loop: {ours[0] / theirs[0]:.2f}")
        verdict = "met" if ours[0] >= TARGET * LIMIT and ours[3] == 0 else "NOT met"
        print(f"target (>= {TARGET:.0%} of {LIMIT:.0f}/s, zero 429): {verdict}; "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
