"""Knowledge look-ups kept until the knowledge base changes (knowledge/cache.py)."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import db
from knowledge import cache, store
from knowledge.models import Official
from knowledge.officials import name_keys, with_role
from knowledge.search import search
from tests.support.knowledge import dataset


def _official(key: str, first: str, last: str, role: str) -> dict:
    return {"key": key, "first_name": first, "last_name": last, "role": role, "commune": "",
            "delegations": [], "areas": [], "email": "", "phone": "", "url": "",
            "mandate_start": None, "source": "Ville", "source_url": "", "licence": "",
            "source_date": None, "demo": False, **name_keys(first, last)}


async def _save(engine: AsyncEngine, kind: str, rows: list[dict]) -> None:
    async with db.session_factory(engine)() as session:
        await store.save(session, kind, rows)
        await session.commit()


def _count_queries(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_rest: statements.append(statement))
    return statements


async def test_a_question_asked_again_reads_nothing(engine: AsyncEngine) -> None:
    await _save(engine, "dataset", [dataset("air", "Qualité de l'air")])
    async with db.session_factory(engine)() as session:
        first = await search(session, "qualite air")
        statements = _count_queries(engine)
        again = await search(session, "qualite air")
    assert again == first and [hit.key for hit in again] == ["air"]
    assert statements == []


async def test_a_committed_import_is_answered_at_once(engine: AsyncEngine) -> None:
    await _save(engine, "dataset", [dataset("air", "Qualité de l'air")])
    async with db.session_factory(engine)() as session:
        assert [hit.key for hit in await search(session, "velo")] == []
    await _save(engine, "dataset", [dataset("velo", "Aménagements cyclables", keywords=["vélo"])])
    async with db.session_factory(engine)() as session:
        assert [hit.key for hit in await search(session, "velo")] == ["velo"]


async def test_a_change_by_another_process_is_seen_within_the_age_limit(
        engine: AsyncEngine, settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_AGE_SECONDS", 0.2)
    cache.forget_all(engine.sync_engine)
    await _save(engine, "official", [_official("jr", "Johanna", "Rolland", "Maire")])
    async with db.session_factory(engine)() as session:
        assert [o.last_name for o in await with_role(session, "Maire")] == ["Rolland"]
    other_process = db.create_engine(settings.effective_database_url)
    try:
        async with other_process.begin() as connection:
            await connection.execute(update(Official).values(role="Adjointe"))
    finally:
        await other_process.dispose()
    await asyncio.sleep(0.3)
    async with db.session_factory(engine)() as session:
        assert await with_role(session, "Maire") == []


async def test_callers_get_their_own_rows(engine: AsyncEngine) -> None:
    await _save(engine, "official", [_official("jr", "Johanna", "Rolland", "Maire")])
    async with db.session_factory(engine)() as session:
        mayors = await with_role(session, "Maire")
        mayors[0].last_name = "Changed"
        mayors.append(mayors[0])
    async with db.session_factory(engine)() as session:
        again = await with_role(session, "Maire")
    assert [official.last_name for official in again] == ["Rolland"]
    assert again[0] is not mayors[0]
