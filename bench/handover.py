"""Hand-over figures: residents' messages relayed to their tickets, and the agents' API.

    python bench/handover.py [--residents 200] [--messages 10] [--concurrency 10] [--requests 50]
                             [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Every resident opens a ticket and sends ``--messages`` messages (each goes through the router to
their ticket); then an agent lists the open tickets, reads one and answers, ``--requests`` times
each, over HTTP on a loopback port. Without --database-url it runs on a fresh SQLite file.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, web

from bot.api.tokens import create_token
from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.http import create_app
from bot.messages import IncomingMessage
from tests.support.scratch import scratch_database


def figures(name: str, latencies: list[float], elapsed: float) -> str:
    latencies = sorted(latencies)
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    return (f"{name:28s} n={len(latencies):<6d} rate={len(latencies) / elapsed:,.0f}/s "
            f"p50={statistics.median(latencies) * 1000:.2f} ms p99={p99 * 1000:.2f} ms")


async def timed(calls: list[Callable[[], Awaitable[object]]], concurrency: int) -> tuple[list[float], float]:
    queue = list(reversed(calls))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            call = queue.pop()
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def residents_relay(bot: CivicBot, args: argparse.Namespace) -> None:
    def say(number: int, words: str):
        user = f"resident-{number}"
        return lambda: bot.handle(IncomingMessage("bench", user, user, words))

    opened, elapsed = await timed([say(number, "/humain") for number in range(args.residents)], args.concurrency)
    print(figures("tickets opened", opened, elapsed))
    messages = [say(number, f"Message {turn} : le trottoir est toujours encombré")
                for turn in range(args.messages) for number in range(args.residents)]
    relayed, elapsed = await timed(messages, args.concurrency)
    print(figures("messages relayed", relayed, elapsed))


async def agent_api(bot: CivicBot, args: argparse.Namespace) -> None:
    async with bot.sessions() as session:
        _, secret = await create_token(session, "bench agent", ["agent"])
        await session.commit()
    runner = web.AppRunner(create_app(bot))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/handover/tickets"
    try:
        async with ClientSession(headers={"Authorization": f"Bearer {secret}"}) as http:
            async def call(method: str, url: str, **kwargs) -> None:
                async with http.request(method, url, **kwargs) as response:
                    assert response.status < 300, await response.text()
                    await response.read()

            work = {
                f"list {args.residents} open tickets": lambda: call("GET", f"{base}?limit=200"),
                f"read a ticket ({args.messages + 1} msgs)": lambda: call("GET", f"{base}/1"),
                "answer a ticket": lambda: call("POST", f"{base}/1/messages", json={"text": "Nous regardons."}),
            }
            for name, request in work.items():
                latencies, elapsed = await timed([request] * args.requests, 1)
                print(figures(name, latencies, elapsed))
    finally:
        await runner.cleanup()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with scratch_database(args.database_url, prefix="bench") as url:
            bot = await create_bot(Settings(data_dir=Path(directory), database_url=url, secret="bench"))
            print(f"backend {bot.engine.dialect.name}, {args.residents} residents, concurrency {args.concurrency}")
            try:
                await residents_relay(bot, args)
                await agent_api(bot, args)
            finally:
                await bot.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default="")
    asyncio.run(main(parser.parse_args()))
