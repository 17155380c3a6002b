"""Residents' state kept between their messages, and written for many messages in one commit.

On the embedded SQLite database, reading a resident and their conversation and writing them
back cost more than understanding and answering most messages. The process that answers a
resident is the one that changes their state, so :class:`ResidentStates` keeps the state last
read or committed for recently active residents and attaches it to the next message's session
without a query. A message whose only writes are to that state (most messages) has them written
by :class:`StateWriter`, which commits the changes of every message waiting at that moment in
one transaction; the reply still waits for that commit, so the state survives a crash as before.
A message that writes anything else commits everything in its own transaction, as before.

What is kept is dropped when another session of this process commits a change to residents
(:mod:`bot.changes`); a change made by another process is seen once the kept state was read
from the database more than ``state_cache_seconds`` ago.
PostgreSQL deployments may run several processes for the same residents: there nothing is kept.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
import weakref
from dataclasses import dataclass
from typing import Any, TypeVar

from cachetools import TTLCache
from sqlalchemy import JSON, Update, bindparam, inspect, update
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, class_mapper, make_transient_to_detached

from bot.changes import ANY_TABLE, used_database, watch_commits
from bot.db import utcnow
from bot.models import Conversation, User
from bot.sqlite_driver import run_in_thread

log = logging.getLogger(__name__)

MAX_KEPT = 10_000  # residents whose state is kept at once; the least recent are dropped
CLOSE_SECONDS = 10.0  # on close, how long the writes already asked for may take
ROUTER = "civicbot.router"  # session.info key: the session of a message (which keeps its state)
Key = tuple[str, str]  # (platform, user_hash)
T = TypeVar("T")

_by_engine: weakref.WeakKeyDictionary[Engine | Connection, weakref.WeakSet] = weakref.WeakKeyDictionary()
_USER_COLUMNS = tuple(attr.key for attr in class_mapper(User).column_attrs)
_CONVERSATION_COLUMNS = tuple(attr.key for attr in class_mapper(Conversation).column_attrs)
_JSON_COLUMNS = frozenset(attr.key for model in (User, Conversation)
                          for attr in class_mapper(model).column_attrs
                          if isinstance(attr.columns[0].type, JSON))
_USER_STATE = ("language", "home_area", "active", "last_seen_at")
_CONVERSATION_STATE = ("flow", "step", "data", "choices", "language")
_WRITE_USER = (update(User).where(User.id == bindparam("key"))
               .values({column: bindparam(column) for column in _USER_STATE}))
_WRITE_CONVERSATION = (update(Conversation).where(Conversation.user_id == bindparam("key"))
                       .values({column: bindparam(column)
                                for column in (*_CONVERSATION_STATE, "updated_at")}))


@watch_commits
def _forget_changed_residents(session: Session, tables: frozenset[str]) -> None:
    """A resident changed outside their conversation (marked inactive by a delivery, say):
    what this process keeps of every resident of that database is dropped."""
    if session.info.get(ROUTER) or not tables & {"users", "conversations", ANY_TABLE}:
        return
    for states in _by_engine.get(session.get_bind(), ()):
        states.forget_all()


def _values(instance: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    """The columns' values, JSON ones as text: they are lists and dicts that handlers may change."""
    return {column: json.dumps(getattr(instance, column)) if column in _JSON_COLUMNS
            else getattr(instance, column) for column in columns}


def _thawed(values: dict[str, Any]) -> dict[str, Any]:
    return {column: json.loads(value) if column in _JSON_COLUMNS else value
            for column, value in values.items()}


def _loaded(model: type[T], values: dict[str, Any]) -> T:
    """An instance built the way the ORM builds one from a row: its values set as they were
    read (no change events, nothing to write), with its identity."""
    instance = class_mapper(model).class_manager.new_instance()
    instance.__dict__.update(_thawed(values))
    make_transient_to_detached(instance)
    return instance


@dataclass(frozen=True)
class KeptState:
    """A resident's rows as last read or committed, and when they were last read."""

    user: dict[str, Any]
    conversation: dict[str, Any]
    read_at: float  # time.monotonic()

    @classmethod
    def of(cls, user: User, conversation: Conversation, read_at: float) -> KeptState:
        return cls(_values(user, _USER_COLUMNS), _values(conversation, _CONVERSATION_COLUMNS), read_at)

    def attach(self, session: AsyncSession) -> tuple[User, Conversation]:
        """ORM objects of these rows in ``session``, as if just loaded (no query is made)."""
        user, conversation = _loaded(User, self.user), _loaded(Conversation, self.conversation)
        session.add_all((user, conversation))
        return user, conversation

    def changes(self, user: User, conversation: Conversation
                ) -> tuple[KeptState, dict | None, dict | None]:
        """The state now, and the rows to write (every state column) where a state column
        differs from this one, else None."""
        now = KeptState.of(user, conversation, self.read_at)
        return now, _row(self.user, now.user, _USER_STATE, user.id), _row(
            self.conversation, now.conversation, _CONVERSATION_STATE, conversation.user_id,
            updated_at=utcnow())


def _row(before: dict[str, Any], after: dict[str, Any], columns: tuple[str, ...], key: int,
         **extra: Any) -> dict[str, Any] | None:
    if all(before[column] == after[column] for column in columns):
        return None
    return {**_thawed({column: after[column] for column in columns}), **extra, "key": key}


async def only_state_written(session: AsyncSession, user: User, conversation: Conversation) -> bool:
    """Whether the message changed nothing but the resident's state. Whatever its statements
    were, a session whose SQLite connection holds an open transaction wrote."""
    sync = session.sync_session
    if (sync.new or sync.deleted
            or any(instance is not user and instance is not conversation for instance in sync.dirty)):
        return False
    if not used_database(sync):
        return True
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert driver is not None  # a connection checked out of the pool is open
    return not driver.in_transaction


class _DriverStatement:
    """A statement compiled once, whose rows go straight to sqlite3's ``executemany``: a commit
    of many residents' state rows then costs one trip to the SQLite thread and little else."""

    def __init__(self, statement: Update, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        assert compiled.positiontup is not None  # SQLite's parameters are positional
        self.names = compiled.positiontup
        self.processors = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                           for name in self.names]

    def parameters(self, row: dict[str, Any]) -> tuple:
        return tuple(process(row[name]) if process else row[name]
                     for name, process in zip(self.names, self.processors, strict=True))


_Write = tuple[dict | None, dict | None, asyncio.Future]  # a user row, a conversation row, its waiter


class StateWriter:
    """Writes residents' state changes in groups: one transaction for all the messages waiting."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._users = _DriverStatement(_WRITE_USER, engine.dialect)
        self._conversations = _DriverStatement(_WRITE_CONVERSATION, engine.dialect)
        self._pending: list[_Write] = []  # asked for, waiting for the next transaction
        self._writing: list[_Write] = []  # in the transaction being committed
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def write(self, user: dict | None, conversation: dict | None) -> None:
        """Return once these rows are committed; raise what the commit raised."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((user, conversation, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="civicbot-state-writer")
        self._wakeup.set()
        await future

    async def _run(self) -> None:
        try:
            async with self.engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                while True:
                    await self._wakeup.wait()
                    self._wakeup.clear()
                    self._writing, self._pending = self._pending, []
                    if self._writing:
                        await self._commit(driver, self._writing)
                    self._writing = []
        except Exception as error:  # the connection failed: the next write starts again
            log.exception("the state writer lost its database connection")
            self._fail_all(error)

    def _fail_all(self, error: Exception) -> None:
        """Nobody waits forever: every write not committed gets the error."""
        _settle([*self._writing, *self._pending], error)
        self._writing, self._pending = [], []

    async def _commit(self, driver: Any, batch: list[_Write]) -> None:
        users = [self._users.parameters(user) for user, _c, _f in batch if user]
        conversations = [self._conversations.parameters(conversation)
                         for _u, conversation, _f in batch if conversation]

        def write(connection: sqlite3.Connection) -> None:
            try:
                if users:
                    connection.executemany(self._users.sql, users)
                if conversations:
                    connection.executemany(self._conversations.sql, conversations)
                connection.commit()
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # the write's own error is the one to tell
                    connection.rollback()
                raise

        try:
            await run_in_thread(driver, write)
        except Exception as error:
            log.exception("could not write the state of %d messages", len(batch))
            _settle(batch, error)
            return
        _settle(batch, None)

    async def close(self) -> None:
        """Let the writes already asked for be committed, then stop."""
        if self._task is None:
            return
        waiting = [future for _user, _conversation, future in (*self._writing, *self._pending)]
        if waiting and not self._task.done():
            await asyncio.wait(waiting, timeout=CLOSE_SECONDS)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self._fail_all(RuntimeError("the state writer was closed"))


def _settle(batch: list[_Write], error: Exception | None) -> None:
    for _user, _conversation, future in batch:
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)


class ResidentStates:
    """The kept state of recently active residents (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine, seconds: float) -> None:
        self.enabled = seconds > 0 and engine.dialect.name == "sqlite"
        self.seconds = seconds
        self._kept: TTLCache[Key, KeptState] = TTLCache(MAX_KEPT, seconds or 1, timer=time.monotonic)
        self.writer = StateWriter(engine)
        _by_engine.setdefault(engine.sync_engine, weakref.WeakSet()).add(self)

    def get(self, key: Key) -> KeptState | None:
        """The kept state, unless it was read from the database too long ago."""
        state = self._kept.get(key) if self.enabled else None
        if state is None or time.monotonic() - state.read_at > self.seconds:
            return None
        return state

    def keep(self, key: Key, state: KeptState) -> None:
        if self.enabled:
            self._kept[key] = state

    def keep_committed(self, key: Key, user: User, conversation: Conversation,
                       read_at: float) -> None:
        """Keep the state a message committed in its session; forget it if the resident is gone."""
        if not self.enabled:
            return
        if inspect(user).persistent and inspect(conversation).persistent:
            self.keep(key, KeptState.of(user, conversation, read_at))
        else:
            self.evict(key)

    def evict(self, key: Key) -> None:
        self._kept.pop(key, None)

    def forget_all(self) -> None:
        self._kept.clear()

    async def close(self) -> None:
        await self.writer.close()
