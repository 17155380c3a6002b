"""RNE import benchmark: a generated 500,000-row elus-conseillers-municipaux-cm.csv, imported
filtered by commune, then whole, then whole again (every row compared, none written); time and
peak memory (the file is streamed, never loaded whole; the keys read are kept, to remove the
rows a new file no longer has).

    python bench/import_rne.py [--rows 500000] [--database-url URL]

Figures only (no target): rows/s and the growth of the process's peak resident memory.
"""
from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rne_data import write_file
from bot import db
from knowledge.importers import Writer, prepare_bulk
from knowledge.importers.rne import ORIGIN, import_rne


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_import(url: str, path: Path, communes: set[str]) -> tuple[float, Writer]:
    engine = db.create_engine(url)
    await db.migrate(engine)
    began = time.perf_counter()
    async with db.session_factory(engine)() as session:
        await prepare_bulk(session)
        writer = Writer(session)
        await import_rne(writer, path, communes, ORIGIN)
        await writer.finish()
        await session.commit()
        await writer.analyze()
        await session.commit()
    elapsed = time.perf_counter() - began
    await engine.dispose()
    return elapsed, writer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "elus-conseillers-municipaux-cm.csv"
        write_file(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.rows} rows, {size_mb:.0f} MB")
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/officials.db"
        for label, communes in (("one commune (01109)", {"01109"}), ("every commune", set()),
                                ("every commune again", set())):
            before = peak_rss_mb()
            elapsed, writer = asyncio.run(run_import(url, path, communes))
            print(f"{label}: {elapsed:.1f} s, {args.rows / elapsed:,.0f} rows read/s, "
                  f"{writer.tally.summary()}, {len(writer.warnings)} key(s) read twice; "
                  f"peak memory {peak_rss_mb():.0f} MB "
                  f"(+{peak_rss_mb() - before:.0f} MB during the import)")


if __name__ == "__main__":
    main()
