"""SQLite through aiosqlite, with one trip to the driver's thread per statement.

aiosqlite runs each SQLite connection in a thread of its own; every call is a trip there and
back (a queue put, a thread switch, a wake-up of the event loop). SQLAlchemy's aiosqlite adapter
makes four trips a statement (open a cursor, execute, fetch the rows, close the cursor), which on
a small database costs more than the statement itself. This adapter does the four steps in one
function on that thread, and :func:`run_in_thread` lets the state writer run a whole transaction
there in one trip. Everything else (connections, transactions, errors) is SQLAlchemy's adapter.

It relies on ``aiosqlite.Connection._execute``, the queue all of aiosqlite's own calls go
through (SQLAlchemy's adapter reaches into aiosqlite in the same way).
"""
from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.util import await_only

T = TypeVar("T")
_Outcome = tuple[Any, list, int, int | None]  # description, rows, rowcount, lastrowid


async def run_in_thread(connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` with the plain sqlite3 connection, on the connection's own thread."""
    return await connection._execute(work, connection._conn)


def _execute(connection: sqlite3.Connection, operation: str, parameters: Sequence | None) -> _Outcome:
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(connection: sqlite3.Connection, operation: str, rows: Sequence[Sequence]) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, rows)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """The DBAPI cursor SQLAlchemy uses: the statement runs and its rows arrive in one trip,
    then they are read from memory."""

    server_side = False
    arraysize = 1

    def __init__(self, adapted: OneTripConnection) -> None:
        self._adapted = adapted
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque = deque()

    def _run(self, step: Callable[..., _Outcome], operation: str, parameters: Any) -> None:
        driver = cast(aiosqlite.Connection, self._adapted._connection)  # typed as any asyncio driver's
        try:
            outcome = await_only(run_in_thread(driver, lambda plain: step(plain, operation, parameters)))
        except Exception as error:  # noqa: BLE001 - SQLAlchemy translates and re-raises it
            self._adapted._handle_exception(error)
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = deque(rows)

    def execute(self, operation: str, parameters: Sequence | None = None) -> None:
        self._run(_execute, operation, parameters)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence]) -> None:
        self._run(_executemany, operation, seq_of_parameters)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list:
        count = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    def fetchall(self) -> list:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator:
        while self._rows:
            yield self._rows.popleft()

    def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to do on SQLite (DBAPI)."""

    async def _async_soft_close(self) -> None:
        """Called by SQLAlchemy's asyncio layer before handing over a result: nothing is open."""

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with :class:`OneTripCursor`, and no trip at all for
    ending a transaction that is not open (as sqlite3 itself would do nothing): the pool
    rolls back every connection given back to it, after the session has already ended its
    transaction."""

    __slots__ = ()

    def _in_transaction(self) -> bool:
        return bool(self._connection._connection) and self._connection.in_transaction

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # rows streamed on demand: SQLAlchemy's own cursor
            return super().cursor(server_side=True)
        return OneTripCursor(self)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as ``module=`` to ``create_async_engine`` for a ``sqlite+aiosqlite`` URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *args: Any, **kwargs: Any) -> OneTripConnection:
        adapted = super().connect(*args, **kwargs)
        return OneTripConnection(self, adapted._connection)
