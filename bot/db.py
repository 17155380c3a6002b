"""Database engine, ORM base and automatic Alembic migrations.

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) is used when the URL says so.
Every subsystem declares its tables on :class:`Base` and ships an Alembic revision in
``bot/migrations/versions``; :func:`migrate` applies all of them (``heads``) on start.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast, overload

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, CursorResult, DateTime, MetaData, Result, Table, event, exc, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from bot.files import private_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict: JSON, list: JSON, datetime: DateTime(timezone=True)}
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # every model here maps a table (SQLAlchemy allows other clauses)


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run by ``session.execute`` changed (its result is a
    ``CursorResult``, which SQLAlchemy 2.0's types do not say)."""
    return cast(CursorResult[Any], result).rowcount


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def aware(moment: datetime) -> datetime: ...


@overload
def aware(moment: datetime | None) -> datetime | None: ...


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; they are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """The moment in UTC (naive ones, as SQLite gives them back, are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs) -> AsyncEngine:
    """An async engine on the stock drivers.

    Statement parameters are never shown in errors or logs: they hold residents' words and
    pseudonymous ids. SQLite runs with WAL (readers never wait for the writer) and foreign keys,
    so one file serves everything. A PostgreSQL connection the server closed while it was idle
    in the pool (a restart, an administrator) is replaced when it is taken out, without a round
    trip: SQLAlchemy's ``pool_pre_ping`` would cost three (a transaction around ``;``) for every
    message. One that dies while in use invalidates the pool (SQLAlchemy's own disconnect
    handling) and the router answers that message again."""
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database))
        # aiosqlite logs every call with its arguments at DEBUG: a debugging session would
        # write residents' words and ids to the log.
        driver_log = logging.getLogger("aiosqlite")
        driver_log.setLevel(max(driver_log.getEffectiveLevel(), logging.INFO))
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_reset_on_return=None, **kwargs)

        @event.listens_for(engine.sync_engine, "reset")
        def _end_open_transaction(dbapi_connection, _record, _state) -> None:
            """A connection given back to the pool ends its transaction if one is open: each
            call to aiosqlite's thread costs more than most statements, so none is made for
            nothing (a read leaves no transaction open on SQLite)."""
            if dbapi_connection.driver_connection.in_transaction:
                dbapi_connection.rollback()

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    # ``?search_path=NAME`` puts civicbot's tables in a schema of their own (asyncpg wants it as
    # a server setting, not in the URL).
    parsed = make_url(url)
    search_path = parsed.query.get("search_path")
    if search_path:
        parsed = parsed.difference_update_query(["search_path"])
        kwargs.setdefault("connect_args", {})["server_settings"] = {"search_path": str(search_path)}
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(parsed, **kwargs)

    @event.listens_for(engine.sync_engine, "checkout")
    def _replace_closed(dbapi_connection, _record, _proxy) -> None:
        """The documented custom disconnect check: the pool opens a new connection instead."""
        if dbapi_connection.driver_connection.is_closed():
            raise exc.DisconnectionError("the server closed this pooled connection")

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "heads")


def _current(connection: Connection) -> bool:
    heads = set(ScriptDirectory.from_config(_alembic_config(connection)).get_heads())
    return set(MigrationContext.configure(connection).get_current_heads()) == heads


async def schema_is_current(engine: AsyncEngine) -> bool:
    """True when every migration is applied (the readiness check of ``civicbot serve``)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema up to date; safe to call on every start."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
