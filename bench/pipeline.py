"""Messages per second through router, NLU, conversation state and database, in one process.

    python bench/pipeline.py [--messages 3000] [--residents 50] [--concurrency 1,10] [--rounds 3]
                             [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Without --database-url it runs on a fresh SQLite file. Each concurrency level runs --rounds
times; one line per level gives the median round's rate, p50 and p99, and the slowest and
fastest rounds' rates (a shared machine's speed varies from one second to the next), and the
load average of the machine (``os.getloadavg``) beside them: other jobs' load moves the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.messages import IncomingMessage
from bot.serve import start_up_heap_frozen
from tests.support.scratch import scratch_database

CONVERSATION = ["bonjour", "aide", "qui est le maire ?", "je veux signaler un nid de poule",
                "annuler", "quel est le budget de la culture", "merci, au revoir", "2"]


async def run_level(bot: CivicBot, messages: int, residents: int, concurrency: int) -> tuple[float, list[float]]:
    # Each resident plays the conversation in order; their turns are interleaved, so one
    # resident's next message comes once the others have spoken.
    queue: asyncio.Queue[IncomingMessage] = asyncio.Queue()
    for number in range(messages):
        user = f"resident-{number % residents}"
        text = CONVERSATION[number // residents % len(CONVERSATION)]
        queue.put_nowait(IncomingMessage("bench", user, user, text))
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            message = queue.get_nowait()
            started = time.perf_counter()
            await bot.handle(message)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def measure(bot: CivicBot, args: argparse.Namespace, concurrency: int
                  ) -> tuple[float, float, float, float]:
    """One round: the rate in messages per second, the p50 and p99 latencies in seconds, and
    this process's CPU time per message in seconds (all its threads: less moved by the load
    of other jobs than the rate)."""
    cpu = time.process_time()
    elapsed, latencies = await run_level(bot, args.messages, args.residents, concurrency)
    cpu = time.process_time() - cpu
    latencies.sort()
    return (args.messages / elapsed, statistics.median(latencies),
            latencies[int(len(latencies) * 0.99) - 1], cpu / args.messages)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with scratch_database(args.database_url, prefix="bench") as url:
            settings = Settings(data_dir=Path(directory), database_url=url, secret="bench")
            bot = await create_bot(settings)
            backend = bot.engine.dialect.name
            with start_up_heap_frozen():  # as civicbot serve
                try:
                    await run_level(bot, 200, args.residents, 1)  # warm-up: residents created, caches hot
                    for concurrency in args.concurrency:
                        rounds = [await measure(bot, args, concurrency) for _round in range(args.rounds)]
                        rates = sorted(rate for rate, _p50, _p99, _cpu in rounds)
                        rate, p50, p99, cpu = sorted(rounds)[len(rounds) // 2]
                        print(f"{backend:10s} concurrency={concurrency:<3d} messages={args.messages} "
                              f"rate={rate:,.0f} msg/s (rounds {rates[0]:,.0f}–{rates[-1]:,.0f}) "
                              f"p50={p50 * 1000:.2f} ms p99={p99 * 1000:.2f} ms cpu={cpu * 1000:.2f} ms/msg "
                              f"load={os.getloadavg()[0]:.1f}")
                finally:
                    await bot.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--concurrency", type=lambda v: [int(x) for x in v.split(",")], default=[1, 10])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    asyncio.run(main(parser.parse_args()))
