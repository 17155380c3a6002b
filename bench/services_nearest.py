"""Nearest-service benchmark: 100,000 generated services around a metropolis (the 40 OSM
categories of ``knowledge/service_kinds.yaml``, Zipf-sized: the largest holds a quarter of the
rows, the rarest a few hundred), nearest three of a category from random points. Latency
p50/p95/p99 of ``knowledge.services.nearest``, and of the whole look-up a request makes
(``asked_kind`` on the resident's word for the category — full-text search and the categories
named — then ``nearest``). Target: p95 < 50 ms on SQLite and PostgreSQL. Each answer is checked
against an exact haversine scan of every row of the category.

    python bench/services_nearest.py [--services 100000] [--queries 300] [--database-url URL]
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

import yaml
from sqlalchemy import text

from bot import db
from knowledge import store
from knowledge.geo import distance_m
from knowledge.importers import prepare_bulk
from knowledge.services import KINDS_FILE, Kind, asked_kind, nearest

CENTRE = (47.2184, -1.5536)  # Nantes
SPREAD = 0.35  # degrees around the centre (about 40 km north-south)
KINDS = yaml.safe_load(KINDS_FILE.read_text(encoding="utf-8"))
CATEGORIES = list(KINDS)
# the first word residents use for only this category ("pressing" is a laundry or a dry cleaner);
# a category all of whose words another one shares (an alias such as "déchèterie", a wine shop
# that is also an off-licence) cannot be asked by a word of its own and is not queried
WORD = {category: unique[0] for category, words in KINDS.items()
        if (unique := [word for word in words if sum(word in other for other in KINDS.values()) == 1])}
ASKED = list(WORD)
BATCH = 5000
SHOWN = 3
IGNORED = frozenset({"plus", "proche"})  # what find_service leaves out of its search


def services(count: int, rng: random.Random):
    weights = [1 / rank for rank in range(1, len(CATEGORIES) + 1)]
    for number in range(count):
        yield {"key": f"service-{number}", "name": f"Lieu {number}",
               "category": rng.choices(CATEGORIES, weights)[0], "address": "",
               "latitude": round(CENTRE[0] + rng.uniform(-SPREAD, SPREAD), 6),
               "longitude": round(CENTRE[1] + rng.uniform(-SPREAD, SPREAD) * 1.5, 6),
               "area": "", "hours": "", "phone": "", "email": "", "url": "", "keywords": [],
               "source": "bench", "source_url": "", "licence": "", "source_date": None,
               "demo": False}


async def fill(url: str, count: int, rng: random.Random) -> list[dict]:
    engine = db.create_engine(url)
    await db.migrate(engine)
    rows = list(services(count, rng))
    async with db.session_factory(engine)() as session:
        await prepare_bulk(session)
        for start in range(0, len(rows), BATCH):
            await store.save(session, "service", rows[start:start + BATCH])
        await session.commit()
        await session.execute(text("ANALYZE kb_services"))
        await session.commit()
    await engine.dispose()
    return rows


def exact(rows: list[dict], category: str, latitude: float, longitude: float) -> list[str]:
    of_kind = [row for row in rows if row["category"] == category]
    of_kind.sort(key=lambda row: distance_m(latitude, longitude, row["latitude"], row["longitude"]))
    return [row["key"] for row in of_kind[:SHOWN]]


async def measure(url: str, rows: list[dict], queries: int, rng: random.Random, whole: bool
                  ) -> tuple[list[float], int]:
    """Latencies of ``nearest`` (or of the whole look-up), and how many answers were wrong."""
    engine = db.create_engine(url)
    latencies, wrong = [], 0
    async with db.session_factory(engine)() as session:
        for _ in range(queries):
            category = rng.choice(ASKED)  # rare categories as often as common ones
            latitude = CENTRE[0] + rng.uniform(-SPREAD, SPREAD)
            longitude = CENTRE[1] + rng.uniform(-SPREAD, SPREAD) * 1.5
            began = time.perf_counter()
            kind = (await asked_kind(session, f"{WORD[category]} la plus proche", IGNORED)
                    if whole else Kind((), frozenset({category})))
            found = await nearest(session, kind, latitude, longitude, SHOWN)
            latencies.append(time.perf_counter() - began)
            wrong += [service.key for service in found] != exact(rows, category, latitude, longitude)
    await engine.dispose()
    return latencies, wrong


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    arguments = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        began = time.perf_counter()
        rows = await fill(url, arguments.services, rng)
        print(f"{arguments.services} services written in {time.perf_counter() - began:.1f} s "
              f"({url.split(':')[0]})")
        for label, whole in (("nearest", False), ("word → kind → nearest", True)):
            latencies, wrong = await measure(url, rows, arguments.queries, rng, whole)
            milliseconds = [latency * 1000 for latency in latencies]
            print(f"{label}, {SHOWN} of a category, {arguments.queries} queries: "
                  f"p50 {statistics.median(milliseconds):.1f} ms, "
                  f"p95 {percentile(milliseconds, 0.95):.1f} ms, "
                  f"p99 {percentile(milliseconds, 0.99):.1f} ms; "
                  f"answers differing from an exact scan: {wrong}")


if __name__ == "__main__":
    asyncio.run(main())
