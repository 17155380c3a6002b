"""One process leads at a time (bot.leadership): the lock, its release and its takeover."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import leadership
from bot.leadership import Leadership


async def test_one_leads_and_the_other_takes_over_when_it_lets_go(engine: AsyncEngine, backend: str) -> None:
    first, second = Leadership(engine), Leadership(engine)
    assert await first.try_once()
    if backend == "sqlite":
        assert await second.try_once()  # one process on SQLite: it always leads
        return
    assert not await second.try_once()
    await first.release()
    assert await asyncio.wait_for(second.acquire(asyncio.Event()), 10)
    assert not await first.try_once()
    await second.release()


async def test_a_leader_whose_connection_dies_loses_the_lead_to_another(
        engine: AsyncEngine, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "sqlite":
        pytest.skip("PostgreSQL's advisory lock")
    monkeypatch.setattr(leadership, "CHECK_SECONDS", 0.1)
    leader, standby = Leadership(engine), Leadership(engine)
    assert await leader.try_once()
    waiting = asyncio.create_task(standby.acquire(asyncio.Event()))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    async with engine.connect() as admin:  # as when the leader's process is killed
        await admin.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objid = (hashtext(current_schema() || '/civicbot-leader')::bigint & 4294967295)::oid"))
        await admin.commit()
    await asyncio.wait_for(leader.lost(), 10)  # it notices, and stops leading
    assert await asyncio.wait_for(waiting, 10)
    await leader.release()
    await standby.release()


async def test_a_stop_ends_the_wait(engine: AsyncEngine, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("PostgreSQL's advisory lock")
    leader, standby = Leadership(engine), Leadership(engine)
    assert await leader.try_once()
    stop = asyncio.Event()
    waiting = asyncio.create_task(standby.acquire(stop))
    stop.set()
    assert await asyncio.wait_for(waiting, 10) is False
    await leader.release()
