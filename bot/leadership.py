"""Which process of a deployment runs the jobs that must run once.

Several ``civicbot serve`` processes may share one PostgreSQL database. Each takes webhook
updates, API calls and outbox rows; but only one at a time may poll Telegram, sync with Matrix
or run the daily maintenance. That one holds a PostgreSQL advisory lock on a connection of its
own: when the process dies, the server ends the connection and the lock is free, and a process
standing by takes it within ``RETRY_SECONDS``. The lock is named after the schema, so
deployments that share a database in separate schemas do not see each other.

On SQLite there is one process, and it leads.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0  # how often a process standing by tries to take the lead
CHECK_SECONDS = 2.0  # how often the leader checks that its lock's connection is alive
_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtext(current_schema() || '/civicbot-leader'))")


class Leadership:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this process leads (True), or until ``stop`` is set (False)."""
        while not stop.is_set():
            if await self.try_once():
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
        return False

    async def try_once(self) -> bool:
        """Take the lead if it is free."""
        if self.engine.dialect.name != "postgresql":
            return True
        connection = None
        try:
            connection = await self.engine.connect()
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            if await connection.scalar(_TRY_LOCK):
                self._connection = connection
                return True
        except (DBAPIError, OSError) as error:
            log.warning("leadership: the database cannot be reached (%s)", type(error).__name__)
        if connection is not None:
            await connection.close()
        return False

    async def lost(self) -> None:
        """Returns when the lock's connection stopped answering: another process may lead now."""
        if self._connection is None:
            await asyncio.Event().wait()  # SQLite: the only process never loses the lead
            return
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                await self._connection.scalar(text("SELECT 1"))
            except (SQLAlchemyError, OSError):
                return

    async def release(self) -> None:
        """Give the lead up: the connection is closed, not pooled, so the lock goes with it."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(SQLAlchemyError, OSError):
                await connection.invalidate()
                await connection.close()
