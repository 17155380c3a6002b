"""A publication to 100,000 subscribers: the time to turn it into outbox rows (one per
recipient, in the database, before anything is sent) and the memory it takes. Target: peak
memory < 200 MB. Subscribers have a mix of languages, frequencies and quiet hours.

    python bench/publication_enqueue.py [--subscribers 100000] [--postgres-url URL | --no-postgres]

Peak memory is the process's maximum resident size (everything civicbot loaded included); the
Python allocations made by the publishing itself are given too (tracemalloc).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bot.config import Settings
from bot.features import create_bot
from bot.outbox import OutboxEntry
from bot.publications import service
from bot.publications.schema import parse_publication
from tests.support.delivery import add_subscribers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from delivery_engine import database

TARGET_MB = 200
PUBLICATION = ('{"kind": "consultation", "title": {"fr": "Concertation sur le plan vélo", "en": "Cycling plan"},'
               ' "text": {"fr": "Donnez votre avis avant le 30 avril.", "en": "Have your say by 30 April."},'
               ' "topics": ["transports"], "areas": ["Nantes Nord"]}')
MIXES = [  # (share, language, frequency, quiet hours)
    (0.55, "fr", "immediate", None), (0.15, "en", "immediate", None), (0.1, "fr", "immediate", ""),
    (0.1, "fr", "daily", None), (0.05, "fr", "weekly", "21:00-07:00"), (0.05, "en", "daily", None),
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(url: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), database_url=url, secret="bench", demo_data=False,
                            log_level="WARNING")
        bot = await create_bot(settings)
        try:
            began = time.perf_counter()
            start = 0
            async with bot.sessions() as session:
                for share, language, frequency, quiet in MIXES:
                    size = round(share * count) if share != MIXES[-1][0] else count - start
                    await add_subscribers(session, [str(400000 + n) for n in range(start, start + size)],
                                          topic="transports", language=language, frequency=frequency,
                                          quiet_hours=quiet)
                    start += size
            print(f"  {count} subscribers made in {time.perf_counter() - began:.1f} s; "
                  f"peak memory so far {peak_mb():.0f} MB", flush=True)
            tracemalloc.start()
            began = time.perf_counter()
            async with bot.sessions() as session:
                publication = await service.publish(session, parse_publication(PUBLICATION), bot, "bench")
                await session.commit()
            elapsed = time.perf_counter() - began
            _, allocated = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            async with bot.sessions() as session:
                rows = (await session.execute(select(func.count()).select_from(OutboxEntry))).scalar()
            assert rows == publication.targeted == count, (rows, publication.targeted)
            peak = peak_mb()
            verdict = "met" if peak < TARGET_MB else "NOT met"
            print(f"  enqueued {rows} outbox rows in {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s); "
                  f"publishing allocated at most {allocated / 1e6:.1f} MB; process peak {peak:.0f} MB "
                  f"(target < {TARGET_MB} MB: {verdict})", flush=True)
        finally:
            await bot.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100000)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CIVICBOT_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.backend:
        async def one() -> None:
            async with database(arguments.backend, arguments.postgres_url) as url:
                await run(url, arguments.subscribers)

        asyncio.run(one())
        return
    for backend in ["sqlite"] + ([] if arguments.no_postgres else ["postgresql"]):
        print(backend, flush=True)  # each in a process of its own, so that its peak is its own
        subprocess.run([sys.executable, __file__, "--backend", backend, "--subscribers",
                        str(arguments.subscribers), "--postgres-url", arguments.postgres_url], check=True)


if __name__ == "__main__":
    main()
