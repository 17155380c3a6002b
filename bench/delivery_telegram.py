"""A broadcast at Telegram's limits, through the real python-telegram-bot, to the loopback Bot API
that enforces those limits (30 messages/s in all, 1/s per chat, 20/min per group) and answers 429
beyond them. Targets: achieved rate >= 95 % of 30 messages/s, zero 429.

Side by side, on a fresh server with the same subscribers: the usual python-telegram-bot way, a
loop over ``send_message`` with ``AIORateLimiter`` (retrying after a 429, as it can).

    python bench/delivery_telegram.py [--subscribers 3000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram.ext import AIORateLimiter, ApplicationBuilder

from bot.app import CivicBot
from bot.config import Settings
from bot.delivery.engine import DeliveryEngine
from bot.outbox import notify
from bot.publications import service
from bot.publications.schema import parse_publication
from connectors.telegram import TelegramConnector
from tests.support.delivery import add_subscribers
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer

LIMIT = 30.0
TEXT = "Travaux boulevard de Doulon : circulation alternée du 3 au 7 mars."
PUBLICATION = ('{"kind": "works", "title": {"fr": "Travaux boulevard de Doulon"}, '
               '"text": {"fr": "Circulation alternée du 3 au 7 mars."}, "topics": ["travaux"]}')


def chats(count: int) -> list[str]:
    return [str(100000 + number) for number in range(count)]


async def civicbot_way(settings: Settings, count: int) -> tuple[float, float, int, int]:
    """(server rate, wall rate, delivered, 429s) for a publication delivered by civicbot."""
    async with TelegramApiServer(limits=RateLimits(), record=False) as server:
        settings.telegram_token, settings.telegram_base_url = server.token, server.base_url
        bot = await CivicBot.create(settings)
        connector = TelegramConnector(bot)
        await connector.start()
        stop = asyncio.Event()
        try:
            async with bot.sessions() as session:
                await add_subscribers(session, chats(count))
            engine = DeliveryEngine(bot.sessions, settings, bot.catalog, {"telegram": connector})
            worker = asyncio.create_task(engine.run(stop))
            began = time.monotonic()
            async with bot.sessions() as session:
                await service.publish(session, parse_publication(PUBLICATION), settings, "bench")
                await session.commit()
            notify()
            await server.wait_until(lambda: len(server.stats.by_chat) >= count, timeout=count / 10 + 60)
            wall = (server.stats.delivered - 1) / (time.monotonic() - began)
            stop.set()
            await worker
        finally:
            await connector.stop()
            await bot.close()
        return server.stats.rate(), wall, server.stats.delivered, server.stats.rejected_429


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
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), database_url=arguments.database_url,
                            secret="bench", demo_data=False, log_level="WARNING")
        print(f"{arguments.subscribers} subscribers, Telegram's limits ({LIMIT:.0f} messages/s)", flush=True)
        ours = await civicbot_way(settings, arguments.subscribers)
        print(f"civicbot:           {ours[0]:6.2f} messages/s ({100 * ours[0] / LIMIT:.1f} % of {LIMIT:.0f}), "
              f"wall {ours[1]:.2f}/s, delivered {ours[2]}, 429 answers {ours[3]}", flush=True)
        theirs = await usual_way(arguments.subscribers)
        print(f"send_message loop:  {theirs[0]:6.2f} messages/s ({100 * theirs[0] / LIMIT:.1f} % of {LIMIT:.0f}), "
              f"wall {theirs[1]:.2f}/s, delivered {theirs[2]}, 429 answers {theirs[3]}")
        print(f"ratio civicbot / send_message loop: {ours[0] / theirs[0]:.2f}")
        verdict = "met" if ours[0] >= 0.95 * LIMIT and ours[3] == 0 else "NOT met"
        print(f"target (>= 95 % of {LIMIT:.0f}/s, zero 429): {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
