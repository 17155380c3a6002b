"""Which tables a session changed, and what must happen once it committed them.

What this process keeps in memory (residents' state, knowledge look-ups) must be dropped when a
commit makes it stale. Every session notes the tables its statements and flushes change; after
its commit, each watcher registered with :func:`watch_commits` is called with the session and
those tables. A textual statement that is not a SELECT may change anything: it is noted as
:data:`ANY_TABLE`. Changes made by other processes are not seen here: what keeps data must also
let it age. :func:`used_database` tells whether a session ran anything at all (and so may hold
a connection).
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import TextClause, UpdateBase, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

ANY_TABLE = "*"
_CHANGED = "civicbot.changed_tables"  # session.info keys
_USED = "civicbot.used_database"

Watcher = Callable[[Session, frozenset[str]], None]
_watchers: list[Watcher] = []


def watch_commits(watcher: Watcher) -> Watcher:
    """Register ``watcher(session, tables)``, called after every commit that changed tables."""
    _watchers.append(watcher)
    return watcher


def changed_tables(session: Session) -> frozenset[str]:
    """The tables the session changed in its current transaction."""
    return frozenset(session.info.get(_CHANGED, ()))


def used_database(session: Session) -> bool:
    """Whether the session ran a statement or a flush in its current transaction (and so may
    hold a connection)."""
    return bool(session.info.get(_USED))


def _note(session: Session, table: str) -> None:
    session.info.setdefault(_CHANGED, set()).add(table)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    state.session.info[_USED] = True
    statement = state.statement
    if isinstance(statement, TextClause):
        if statement.text.lstrip()[:6].upper() != "SELECT":
            _note(state.session, ANY_TABLE)
    elif isinstance(statement, UpdateBase):  # INSERT, UPDATE, DELETE
        _note(state.session, getattr(statement.table, "name", ANY_TABLE))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: UOWTransaction) -> None:
    session.info[_USED] = True
    for instance in (*session.new, *session.dirty, *session.deleted):
        _note(session, getattr(instance, "__tablename__", ANY_TABLE))


@event.listens_for(Session, "after_commit")
def _tell_watchers(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    tables = frozenset(session.info.pop(_CHANGED, ()))
    if tables:
        for watcher in _watchers:
            watcher(session, tables)


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (told above) or rolled back
        session.info.pop(_CHANGED, None)
        session.info.pop(_USED, None)
