"""Web chat round trip: visitors talk to the bot over the web chat's WebSocket, each sending a
message, waiting for the answer, and sending the next one (every other time pressing a button
of the answer, as a page does). Printed: replies per second and the p50/p99 latency from the
frame sent to the reply received; then the same against a bare aiohttp WebSocket echo server in
the same run, so the ratio shows what civicbot itself costs.

    python bench/webchat_roundtrip.py [--visitors 50] [--messages 10] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.features import create_bot
from bot.serve import start_up_heap_frozen
from tests.support.network import on_loopback
from tests.support.scratch import scratch_database
from tests.support.webchat import Page, Site, serving

TEXTS = ["bonjour", "quels sont les horaires de la mairie ?", "/aide", "hello, what can you do?",
         "je voudrais signaler un nid-de-poule", "qui est l'élu de mon quartier ?"]


@dataclass
class Result:
    latencies: list[float]
    seconds: float

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def line(self, name: str) -> str:
        return (f"{name:<10} {len(self.latencies) / self.seconds:8.1f} replies/s   "
                f"p50 {self.percentile(0.5) * 1000:7.1f} ms   p99 {self.percentile(0.99) * 1000:7.1f} ms   "
                f"({len(self.latencies)} replies)")


async def _visitor(site: Site, number: int, count: int, latencies: list[float]) -> None:
    async with Page.open(site) as page:
        answer: dict = {}
        for turn in range(count):
            started = time.perf_counter()
            if turn % 2 and answer.get("choices"):
                answer = await page.say(answer["choices"][0]["value"])
            else:
                answer = await page.say(TEXTS[(number + turn) % len(TEXTS)])
            latencies.append(time.perf_counter() - started)
            if answer["type"] != "reply":
                raise SystemExit(f"a visitor got {answer} (flood control? fewer --messages)")


async def _measure(site: Site, visitors: int, messages: int) -> Result:
    await asyncio.gather(*(_visitor(site, number, 1, []) for number in range(visitors)))  # warm-up
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_visitor(site, number, messages, latencies) for number in range(visitors)))
    return Result(latencies, time.perf_counter() - started)


async def pipeline(visitors: int, messages: int, database_url: str) -> Result:
    with tempfile.TemporaryDirectory() as data_dir:
        async with scratch_database(database_url or f"sqlite+aiosqlite:///{data_dir}/bench.db") as url:
            bot = await create_bot(Settings(data_dir=Path(data_dir), database_url=url, secret="bench"))
            with start_up_heap_frozen():  # as civicbot serve
                try:
                    async with serving(bot) as served:
                        return await _measure(served, visitors, messages)
                finally:
                    await bot.close()


@contextlib.asynccontextmanager
async def echo_server() -> AsyncIterator[Site]:
    """A bare aiohttp WebSocket server that answers each text frame with a reply frame."""

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            frame = message.json()
            await ws.send_json({"type": "ready"} if frame["type"] == "hello" else
                               {"type": "reply", "text": frame.get("text", ""), "choices": []})
        return ws

    app = web.Application()
    app.router.add_get("/webchat/socket", socket)
    async with on_loopback(app) as url:
        yield Site(url)


async def echo(visitors: int, messages: int) -> Result:
    async with echo_server() as site:
        return await _measure(site, visitors, messages)


async def main(arguments: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    print(f"{arguments.visitors} visitors x {arguments.messages} messages over the WebSocket, database "
          f"{arguments.database_url or '(SQLite in a temporary directory)'}")
    civicbot = await pipeline(arguments.visitors, arguments.messages, arguments.database_url)
    print(civicbot.line("civicbot"))
    bare = await echo(arguments.visitors, arguments.messages)
    print(bare.line("echo"))
    print(f"civicbot / echo: p50 x{civicbot.percentile(0.5) / bare.percentile(0.5):.1f}, "
          f"p99 x{civicbot.percentile(0.99) / bare.percentile(0.99):.1f}")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    for name, default in (("visitors", 50), ("messages", 10)):  # flood control answers 15 in 30 s
        parser.add_argument(f"--{name}", type=int, default=default)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_options()))
