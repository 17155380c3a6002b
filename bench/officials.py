"""Official look-up benchmark over 500,000 generated RNE rows: by name, by function and
commune, by delegation. Target: p95 < 30 ms.

    python bench/officials.py [--rows 500000] [--queries 300] [--database-url URL [--reuse]]

The rows are imported from a generated elus-conseillers-municipaux-cm.csv (every commune kept);
then 20,000 delegated councillors are given a delegation, through the importers' writer (so
that they are indexed as an import would). Name queries are names of officials drawn from the
table: half as written, half with a typo in the surname (a letter dropped, doubled or replaced),
some with the first name too; they time ``find_by_name``, its kept look-ups
(``knowledge.cache``) dropped before each query so that every one reaches the database.
Function and delegation questions ("qui est le 2e adjoint de Saint-Marbou ?",
"qui s'occupe de la culture à Marbou ?") go through
the whole answer (``CivicBot.handle``: language, NLU, the find_official intent) and count as
right only when the person meant is in the reply.
"""
from __future__ import annotations

import argparse
import asyncio
import os
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
from bot.config import Settings
from bot.features import create_bot
from bot.testing import ChatTester
from bot.text import normalize
from knowledge.cache import forget_all
from knowledge.importers import Writer
from knowledge.models import Official
from knowledge.officials import find_by_name

TOPICS = ("culture", "sport", "écoles", "voirie", "environnement", "logement", "finances",
          "jeunesse", "urbanisme", "propreté")
DELEGATED = 20_000


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


async def delegate(url: str) -> int:
    """Give delegated councillors a delegation each, as a city's own file would."""
    engine = db.create_engine(url)
    columns = [column.key for column in Official.__table__.columns if column.key != "id"]
    async with db.session_factory(engine)() as session:
        writer = Writer(session)
        delegated = (await session.scalars(select(Official).where(
            Official.role == "Conseiller municipal délégué").order_by(Official.id).limit(DELEGATED))).all()
        for number, official in enumerate(delegated):
            row = {name: getattr(official, name) for name in columns}
            await writer.add("official", {**row, "delegations": [TOPICS[number % len(TOPICS)]]})
        await writer.finish()
        await session.commit()
    await engine.dispose()
    return len(delegated)


def _unique_communes(pairs: list[tuple[str, str]]) -> set[str]:
    """Commune names borne by one commune only (a homonym's answer lists both: right, but not
    the one person the check looks for)."""
    codes: dict[str, set[str]] = {}
    for code, name in pairs:
        codes.setdefault(name, set()).add(code)
    return {name for name, found in codes.items() if len(found) == 1}


async def questions(url: str, count: int, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """(question, the folded name of the person meant) by kind of question, from the table."""
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as session:
        unique = _unique_communes((await session.execute(
            select(Official.commune_code, Official.commune).distinct())).all())
        deputies = (await session.execute(select(
            Official.commune, Official.role, Official.first_name, Official.last_name).where(
            Official.role.like("%adjoint au Maire")).order_by(func.random()).limit(count * 3))).all()
        delegated = (await session.execute(select(
            Official.commune, Official.delegations, Official.first_name, Official.last_name).where(
            Official.role == "Conseiller municipal délégué", Official.commune_key.isnot(None))
            .order_by(func.random()).limit(count * 3))).all()
    await engine.dispose()
    by_function, by_delegation = [], []
    for commune, role, first, last in deputies:
        if commune in unique and len(by_function) < count:
            rank = role.split(" ")[0]
            wording = rng.choice((f"qui est le {rank} adjoint de {commune} ?",
                                  f"le {rank} adjoint a {commune}",
                                  f"c'est qui le {rank} adjoint au maire de {commune.lower()}"))
            by_function.append((wording, normalize(f"{first} {last}")))
    for commune, delegations, first, last in delegated:
        if commune in unique and delegations and len(by_delegation) < count:
            topic = delegations[0]
            wording = rng.choice((f"qui s'occupe de {topic} à {commune} ?",
                                  f"l'élu chargé de {topic} de {commune}",
                                  f"adjoint {topic} {commune}"))
            by_delegation.append((wording, normalize(f"{first} {last}")))
    return {"function and commune": by_function, "delegation": by_delegation}


async def ask(url: str, folder: Path, asked: dict[str, list[tuple[str, str]]]
              ) -> dict[str, tuple[list[float], int]]:
    """Each question through the whole answer; latencies and how many named the person meant."""
    settings = Settings(data_dir=folder / "bot", database_url=url, secret="bench", demo_data=False)
    bot = await create_bot(settings)
    resident = ChatTester(bot, user="bench")
    await resident.say("qui est le maire ?")  # warm up
    results = {}
    try:
        for kind, pairs in asked.items():
            latencies, right = [], 0
            for question, person in pairs:
                began = time.perf_counter()
                reply = await resident.say(question)
                latencies.append((time.perf_counter() - began) * 1000)
                right += person in normalize(reply.text)
            results[kind] = (latencies, right)
    finally:
        await bot.close()
    return results


def _figures(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms (target p95 < 30 ms); "
            f"load average {os.getloadavg()[0]:.1f}")


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
            began = time.perf_counter()
            delegated = asyncio.run(delegate(url))
            print(f"imported {args.rows} officials in {filled:.1f} s; {delegated} delegations "
                  f"in {time.perf_counter() - began:.1f} s")
        latencies, found, total = asyncio.run(measure(url, args.queries, random.Random(3)))
        print(f"by name: {len(latencies)} look-ups over {total} officials, {found} found the "
              f"person meant: {_figures(latencies)}")
        asked = asyncio.run(questions(url, args.queries, random.Random(5)))
        for kind, (times, right) in asyncio.run(ask(url, Path(folder), asked)).items():
            print(f"by {kind}: {len(times)} questions answered, {right} named the person meant: "
                  f"{_figures(times)}")


if __name__ == "__main__":
    main()
