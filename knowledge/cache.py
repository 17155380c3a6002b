"""Knowledge look-ups kept in memory until the knowledge base changes.

A search or a name look-up costs several queries, and residents ask the same questions again
and again. Their results are kept per database, keyed by their arguments; ORM rows are kept as
their column values, and each caller gets new (transient) objects, never a shared one.

Results are dropped when a session of this process that wrote to the knowledge base (it says
so with :func:`note_change`; :mod:`knowledge.store` does) commits, and after
:data:`MAX_AGE_SECONDS` in any case, so that a change made by another process
(``civicbot import`` beside ``civicbot serve``) is seen within that time.
"""
from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from cachetools import TTLCache
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

MAX_AGE_SECONDS = 30.0
MAX_KEPT = 20_000  # results per database
_CHANGED = "knowledge.changed"  # session.info key: the session wrote to the knowledge base

_kept: weakref.WeakKeyDictionary[Engine | Connection, TTLCache] = weakref.WeakKeyDictionary()  # by session bind

R = TypeVar("R")


def _results(bind: Engine | Connection) -> TTLCache:
    results = _kept.get(bind)
    if results is None:
        results = _kept[bind] = TTLCache(MAX_KEPT, MAX_AGE_SECONDS, timer=time.monotonic)
    return results


@dataclass(frozen=True)
class _Row:
    model: type
    values: dict[str, Any]


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return [_frozen(item) for item in value]
    if hasattr(type(value), "__mapper__"):
        return _Row(type(value), {attr.key: getattr(value, attr.key)
                                  for attr in inspect(type(value)).column_attrs})
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, list):
        return [_thawed(item) for item in value]
    if isinstance(value, _Row):
        return value.model(**value.values)
    return value


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def kept(function: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
    """Keep the results of ``async def function(session, *args)``; ``.uncached`` is the
    function itself. Its arguments must be hashable (lists are taken as tuples); callers get
    a new list and new row objects each time, but must not change the values inside them."""

    @functools.wraps(function)
    async def wrapper(session: AsyncSession, *args: Any, **kwargs: Any) -> R:
        results = _results(session.sync_session.get_bind())
        key = (function.__qualname__, tuple(map(_hashable, args)),
               tuple(sorted((name, _hashable(value)) for name, value in kwargs.items())))
        try:
            result = results[key]
        except KeyError:
            result = results[key] = _frozen(await function(session, *args, **kwargs))
        return _thawed(result)

    wrapper.uncached = function  # type: ignore[attr-defined]
    return wrapper


def forget_all(bind: Engine | Connection) -> None:
    _kept.pop(bind, None)


def note_change(session: AsyncSession) -> None:
    """The session wrote to the knowledge base: what is kept is dropped once it commits."""
    session.sync_session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session: Session) -> None:
    if not session.in_nested_transaction() and session.info.pop(_CHANGED, False):
        forget_all(session.get_bind())


@event.listens_for(Session, "after_transaction_end")
def _forget_the_note(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (handled above) or rolled back
        session.info.pop(_CHANGED, None)
