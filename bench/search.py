"""Search benchmark: 100,000 generated documents, queries of one to three words (one in five
misspelt); latency p50/p95/p99 of ``knowledge.search.search`` (uncached: every query reaches the
database). Target: p95 < 50 ms on SQLite.

    python bench/search.py [--documents 100000] [--queries 300] [--database-url URL]

Words follow a Zipf law, as in real text; queries draw their words from the same law without
its 50 most frequent words (which behave like stop words).
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

from bot import db
from knowledge import store
from knowledge.importers import prepare_bulk
from knowledge.search import search

SYLLABLES = ("ca", "len", "dé", "ri", "mon", "tra", "vé", "lo", "pis", "ci", "bu", "get", "é",
             "co", "le", "ma", "ri", "on", "ter", "ran", "quar", "tier", "par", "ment", "ture")
BATCH = 2000


def vocabulary(rng: random.Random, size: int = 8000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))))
    return sorted(words, key=lambda _: rng.random())


def documents(count: int, words: list[str], rng: random.Random):
    weights = [1 / rank for rank in range(1, len(words) + 1)]
    for number in range(count):
        title = " ".join(rng.choices(words, weights, k=rng.randint(4, 8))).capitalize()
        text = " ".join(rng.choices(words, weights, k=rng.randint(30, 60)))
        yield {"key": f"doc-{number}", "kind": "deliberation", "title": title, "date": None,
               "body": "Conseil municipal", "subject": "", "text": text, "meeting_key": "",
               "votes_for": None, "votes_against": None, "votes_abstention": None, "url": "",
               "source": "bench", "source_url": "", "licence": "", "source_date": None,
               "demo": False}


def misspell(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word))
    return word[:position] + word[position + 1:]


async def fill(url: str, count: int, words: list[str], rng: random.Random) -> float:
    engine = db.create_engine(url)
    await db.migrate(engine)
    began = time.perf_counter()
    async with db.session_factory(engine)() as session:
        await prepare_bulk(session)
        batch = []
        for row in documents(count, words, rng):
            batch.append(row)
            if len(batch) == BATCH:
                await store.save(session, "document", batch)
                batch = []
        await store.save(session, "document", batch)
        await session.commit()
    await engine.dispose()
    return time.perf_counter() - began


async def measure(url: str, queries: list[str]) -> tuple[list[float], int]:
    engine = db.create_engine(url)
    latencies, answered = [], 0
    async with db.session_factory(engine)() as session:
        await search.uncached(session, queries[0])  # warm up
        for query in queries:
            began = time.perf_counter()
            hits = await search.uncached(session, query)
            latencies.append((time.perf_counter() - began) * 1000)
            answered += bool(hits)
    await engine.dispose()
    return latencies, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--reuse", action="store_true",
                        help="the database given already holds the documents: do not fill it")
    args = parser.parse_args()
    rng = random.Random(11)
    words = vocabulary(rng)
    query_words = words[50:]
    weights = [1 / rank for rank in range(51, len(words) + 1)]
    queries = []
    for _ in range(args.queries):
        chosen = rng.choices(query_words, weights, k=rng.randint(1, 3))
        if rng.random() < 0.2:
            chosen[0] = misspell(chosen[0], rng)
        queries.append(" ".join(chosen))
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/search.db"
        if not args.reuse:
            filled = asyncio.run(fill(url, args.documents, words, rng))
            print(f"indexed {args.documents} documents in {filled:.1f} s")
        latencies, answered = asyncio.run(measure(url, queries))
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{len(queries)} queries, {answered} with hits: p50 {cuts[49]:.1f} ms, "
          f"p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms (target p95 < 50 ms on SQLite)")


if __name__ == "__main__":
    main()
