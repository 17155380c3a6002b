"""SQLite databases migrated once per test session and copied into each test's own file.

Migrating a fresh file and importing the demonstration pack made most of the cost of starting a
test's bot. A copy of a database built the same way is the same database, and each test still
gets a file of its own (isolation is kept); a file a test filled beforehand is left alone.
PostgreSQL databases are not seeded: each test's scratch schema is migrated as before.
"""
from __future__ import annotations

import asyncio
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import make_url

from bot import db
from bot.config import Settings
from bot.features import create_bot
from bot.files import private_file


class SqliteTemplates:
    """A migrated database, and one with the demonstration pack too, built at first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._built: dict[bool, Path] = {}
        self._lock = threading.Lock()

    def seed(self, url: str, demo: bool) -> None:
        """Fill ``url``'s SQLite file from the template if it is new or empty."""
        if not db.is_sqlite(url):
            return
        database = make_url(url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return
        target = Path(database)
        private_file(target)  # owner-only, as the bot makes it; copyfile keeps the mode
        if target.stat().st_size == 0 and not target.with_name(target.name + "-wal").exists():
            shutil.copyfile(self.template(demo), target)

    def template(self, demo: bool) -> Path:
        with self._lock:
            if demo not in self._built:
                # a thread of its own: the caller may be inside a running event loop
                with ThreadPoolExecutor(1) as pool:
                    self._built[demo] = pool.submit(asyncio.run, self._build(demo)).result()
            return self._built[demo]

    async def _build(self, demo: bool) -> Path:
        name = "demo" if demo else "migrated"
        path = self.directory / f"{name}.db"
        url = f"sqlite+aiosqlite:///{path}"
        if demo:
            bot = await create_bot(Settings(data_dir=self.directory / name, database_url=url,
                                                 secret="template", demo_data=True))
            await bot.close()
        else:
            engine = db.create_engine(url)
            await db.migrate(engine)
            await engine.dispose()
        if path.with_name(path.name + "-wal").exists():
            raise RuntimeError(f"{path}: the write-ahead log was not checkpointed at close")
        return path
