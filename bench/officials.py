"""Official look-up benchmark: fuzzy name search over 500,000 generated RNE rows.
Target: p95 < 30 ms.

    python bench/officials.py [--rows 500000] [--queries 300] [--database-url URL [--reuse]]

The rows are imported from a generated elus-conseillers-municipaux-cm.csv (every commune kept).
Queries are names of officials drawn from the table: half as written, half with a typo in the
surname (a letter dropped, doubled or replaced), some with the first name too. The kept
look-ups (``knowledge.cache``) are dropped before each query: every one reaches the database.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.import_rne import run_import
from bench.rne_data import write_file
from bot import db
from knowledge.cache import forget_all
from knowledge.models import Official
from knowledge.officials import find_by_name


def typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word))
    kind = rng.choice(("drop", "double", "replace"))
    if kind == "drop":
        return word[:position] + word[position + 1:]
    if kind == "double":
        return word[:position] + word[position] + word[position:]
    return word[:position] + rng.choice("aeiou") + word[position + 1:]


async def fill(url: str, rows: int, folder: Path) -> float:
    path = folder / "elus.csv"
    write_file(path, rows)
    elapsed, _stored = await run_import(url, path, set())
    return elapsed


async def measure(url: str, count: int, rng: random.Random) -> tuple[list[float], int, int]:
    engine = db.create_engine(url)
    latencies, found = [], 0
    async with db.session_factory(engine)() as session:
        total = await session.scalar(select(func.count(Official.id)))
        people = (await session.execute(select(Official.first_name, Official.last_name).order_by(
            func.random()).limit(count))).all()
        await find_by_name(session, "warm up")
        for first, last in people:
            surname = typo(last, rng) if rng.random() < 0.5 else last
            query = f"{first} {surname}" if rng.random() < 0.5 else surname
            forget_all(engine.sync_engine)
            began = time.perf_counter()
            results = await find_by_name(session, query)
            latencies.append((time.perf_counter() - began) * 1000)
            found += any(official.last_name == last for official, _score in results)
    await engine.dispose()
    return latencies, found, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--reuse", action="store_true",
                        help="the database given already holds the officials: do not fill it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/officials.db"
        if not args.reuse:
            filled = asyncio.run(fill(url, args.rows, Path(folder)))
            print(f"imported {args.rows} officials in {filled:.1f} s")
        latencies, found, total = asyncio.run(measure(url, args.queries, random.Random(3)))
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} look-ups over {total} officials, {found} found the person meant: "
          f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms "
          f"(target p95 < 30 ms)")


if __name__ == "__main__":
    main()
