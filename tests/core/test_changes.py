"""Which tables a session changed, told to watchers once committed (bot/changes.py)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import changes, db
from bot.models import ConnectorState, User


@pytest.fixture
def told() -> Iterator[list[frozenset[str]]]:
    seen: list[frozenset[str]] = []
    watcher = changes.watch_commits(lambda _session, tables: seen.append(tables))
    yield seen
    changes._watchers.remove(watcher)


async def test_statements_and_flushes_are_told_after_the_commit(engine: AsyncEngine, told) -> None:
    async with db.session_factory(engine)() as session:
        await session.execute(select(User))
        await session.execute(text("SELECT 1"))
        assert changes.changed_tables(session.sync_session) == frozenset()
        session.add(ConnectorState(key="k", value="v"))
        await session.flush()
        await session.execute(update(User).values(active=False))
        assert told == []
        await session.commit()
    assert told == [frozenset({"connector_state", "users"})]


async def test_a_released_savepoint_keeps_the_transaction_changed(engine: AsyncEngine, told) -> None:
    async with db.session_factory(engine)() as session:
        async with session.begin_nested():
            session.add(ConnectorState(key="k", value="v"))
        assert told == []
        assert changes.changed_tables(session.sync_session) == {"connector_state"}
        await session.commit()
    assert told == [frozenset({"connector_state"})]


async def test_a_rollback_tells_nothing_and_forgets(engine: AsyncEngine, told) -> None:
    async with db.session_factory(engine)() as session:
        await session.execute(text("DELETE FROM connector_state"))
        assert changes.changed_tables(session.sync_session) == {changes.ANY_TABLE}
        await session.rollback()
        assert changes.changed_tables(session.sync_session) == frozenset()
        await session.execute(select(User))
        await session.commit()
    assert told == []
