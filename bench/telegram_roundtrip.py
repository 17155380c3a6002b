"""Telegram round trip: residents write to the bot through a loopback Bot API in polling mode,
which enforces Telegram's flood limits (30 messages a second in all, one a second in a chat, an
edit counting as a message) and answers 429 beyond them.

Each simulated resident sends a message, waits for the bot's answer, and sends the next one;
every other time, when the answer has buttons, it presses one instead (the bot marks the
pressed button by editing its message). Target: zero 429 answers.
Measured from the moment the update is queued at the Bot API until the bot's sendMessage
reaches it: messages per second for the whole pipeline (python-telegram-bot, the router, the
NLU, the database, the reply) and its p50/p99 latency; then the same with an echo handler in
place of the core, so the ratio shows what civicbot itself costs.

    python bench/telegram_roundtrip.py [--residents 50] [--messages 10] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bot.config import Settings
from bot.features import create_bot
from bot.messages import IncomingMessage, Reply
from bot.serve import start_up_heap_frozen
from connectors.telegram import TelegramConnector
from tests.support.scratch import scratch_database
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer

TEXTS = ["bonjour", "quels sont les horaires de la mairie ?", "/aide", "hello, what can you do?",
         "je voudrais signaler un nid-de-poule", "qui est l'élu de mon quartier ?"]


class EchoRouter:
    """Stands in for the core: answers each message with its own text."""

    async def handle(self, message: IncomingMessage) -> Reply:
        return Reply(message.text or "…")

    async def close(self) -> None:
        """Nothing to let finish."""


@dataclass
class Result:
    messages: int
    seconds: float
    latencies: list[float]
    rejected_429: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _resident(server: TelegramApiServer, chat_id: int, count: int, latencies: list[float]) -> None:
    answer = None
    for number in range(count):
        started = time.perf_counter()
        if number % 2 and answer is not None and answer.inline_buttons:
            server.press(chat_id, answer.message_id, answer.inline_buttons[0]["callback_data"])
        else:
            server.say(chat_id, TEXTS[(chat_id + number) % len(TEXTS)])
        answer = await server.next_message(chat_id, timeout=120)
        latencies.append(time.perf_counter() - started)


async def run(echo: bool, residents: int, messages: int, database_url: str) -> Result:
    async with scratch_database(database_url) as url:
        return await _run(echo, residents, messages, url)


async def _run(echo: bool, residents: int, messages: int, database_url: str) -> Result:
    with tempfile.TemporaryDirectory() as data_dir:
        async with TelegramApiServer(limits=RateLimits()) as server:
            settings = Settings(data_dir=Path(data_dir), database_url=database_url, secret="bench",
                                telegram_token=server.token, telegram_base_url=server.base_url)
            bot = await create_bot(settings)
            if echo:
                bot.router = EchoRouter()
            connector = TelegramConnector(bot)
            await connector.start()
            with start_up_heap_frozen():  # as civicbot serve
                try:
                    chats = range(10_000, 10_000 + residents)
                    await asyncio.gather(*(_resident(server, chat, 1, []) for chat in chats))  # warm-up
                    latencies: list[float] = []
                    started = time.perf_counter()
                    await asyncio.gather(*(_resident(server, chat, messages, latencies) for chat in chats))
                    elapsed = time.perf_counter() - started
                finally:
                    await connector.stop()
                    await bot.close()
            rejected = server.stats.rejected_429
    return Result(len(latencies), elapsed, latencies, rejected)


def _describe(name: str, result: Result) -> str:
    return (f"{name:<10} {result.rate:8.1f} msg/s   p50 {result.percentile(0.50) * 1000:7.1f} ms   "
            f"p99 {result.percentile(0.99) * 1000:7.1f} ms   ({result.messages} messages, "
            f"{result.rejected_429} answered 429)")


async def main(arguments: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    database = arguments.database_url or "(SQLite in a temporary directory)"
    print(f"{arguments.residents} residents x {arguments.messages} messages, polling, database {database}")
    pipeline = await run(False, arguments.residents, arguments.messages, arguments.database_url)
    print(_describe("pipeline", pipeline))
    echo = await run(True, arguments.residents, arguments.messages, arguments.database_url)
    print(_describe("echo", echo))
    print(f"pipeline / echo: throughput x{pipeline.rate / echo.rate:.2f}, "
          f"p99 latency x{pipeline.percentile(0.99) / echo.percentile(0.99):.2f}, "
          f"mean latency x{statistics.fmean(pipeline.latencies) / statistics.fmean(echo.latencies):.2f}")
    verdict = "met" if pipeline.rejected_429 == echo.rejected_429 == 0 else "NOT met"
    print(f"target (zero 429 in conversations): {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10,
                        help="per resident, after one warm-up (flood control answers 15 in 30 s)")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    asyncio.run(main(parser.parse_args()))
