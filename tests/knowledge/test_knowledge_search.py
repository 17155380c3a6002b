"""Knowledge search: the same tests on SQLite FTS5 and PostgreSQL full-text."""
from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import db
from knowledge import store
from knowledge.search import search
from tests.support.knowledge import dataset


def _service(key: str, name: str, keywords: list[str]) -> dict:
    return {"key": key, "name": name, "category": "", "address": "", "latitude": None,
            "longitude": None, "area": "", "hours": "", "phone": "", "email": "", "url": "",
            "keywords": keywords, "source": "Ville", "source_url": "", "licence": "",
            "source_date": None, "demo": False}


@pytest.fixture
async def session(engine: AsyncEngine):
    async with db.session_factory(engine)() as session:
        await store.save(session, "dataset", [
            dataset("air", "Qualité de l'air", "Mesures de pollution atmosphérique", ["pollution"]),
            dataset("delib", "Délibérations du conseil municipal", "Décisions votées en séance"),
            dataset("biblio", "Fréquentation des bibliothèques", "Prêts et entrées par équipement"),
            dataset("velo", "Aménagements cyclables", "Pistes et bandes cyclables", ["vélo"]),
            dataset("parking", "Parkings publics", "Places disponibles en temps réel", ["voiture"]),
        ])
        await store.save(session, "service", [
            _service("piscine", "Piscine Léo Lagrange", ["natation", "piscine"]),
        ])
        await session.commit()
        yield session


async def test_finds_without_accents_and_with_accents(session) -> None:
    for query in ("deliberations", "délibérations", "DÉLIBÉRATIONS", "qualite de l'air"):
        hits = await search(session, query)
        assert hits, query
    assert (await search(session, "deliberations"))[0].key == "delib"
    assert (await search(session, "qualité air"))[0].key == "air"


async def test_tolerates_typos(session) -> None:
    assert (await search(session, "bibliotheqes"))[0].key == "biblio"
    assert (await search(session, "polution"))[0].key == "air"
    assert (await search(session, "cyclabels"))[0].key == "velo"


async def test_plural_finds_singular(session) -> None:
    hits = await search(session, "deliberation")
    assert hits and hits[0].key == "delib"
    assert (await search(session, "parking"))[0].key == "parking"


async def test_ranks_the_best_match_first_and_reports_coverage(session) -> None:
    hits = await search(session, "pistes cyclables")
    assert hits[0].key == "velo" and hits[0].covers_all
    assert all(hit.score <= hits[0].score for hit in hits)


async def test_filters_by_kind(session) -> None:
    assert [hit.kind for hit in await search(session, "piscine")] == ["service"]
    assert await search(session, "piscine", kinds=("dataset",)) == []


async def test_nothing_for_unknown_words_or_empty_queries(session) -> None:
    assert await search(session, "zorglub wibble") == []
    assert await search(session, "") == []
    assert await search(session, "le la les de") == []
    assert await search(session, '"OR" AND NOT * ( ) : -') == []


async def test_reindexing_updates_instead_of_duplicating(session) -> None:
    await store.save(session, "dataset", [dataset("air", "Qualité de l'eau", "Analyses d'eau")])
    await session.commit()
    assert [hit.key for hit in await search(session, "eau")] == ["air"]
    assert [hit.key for hit in await search(session, "qualite")] == ["air"]


async def test_too_broad_a_question_searches_titles_only(session, monkeypatch) -> None:
    import knowledge.search

    monkeypatch.setattr(knowledge.search, "BROAD_MATCHES", 0)
    assert [hit.key for hit in await search(session, "qualite")] == ["air"]  # in a title
    assert await search(session, "mesures") == []  # only in a description
    assert [hit.key for hit in await search(session, "qualite pollution")] == ["air"]  # all words
