"""Imports that keep the base true: a source imported again replaces its rows; its summary says
added / updated / unchanged / removed; a key read twice is reported with both lines; the date
shown is the source's own, or the import date said as such."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from bot import db
from bot.config import Settings
from bot.features import create_bot
from bot.testing import ChatTester
from knowledge.importers import Origin
from knowledge.importers.geojson import import_areas
from knowledge.importers.plain import import_plain
from knowledge.importers.rne import import_rne
from knowledge.models import Area, Fact, Official, SearchEntry, Service, Street
from tests.support.data import TEST_DATA, real_data
from tests.support.knowledge import count, run_import

RNE = TEST_DATA / "knowledge" / "rne-cm.csv"
ORIGIN = Origin(source="Répertoire de test", source_url="https://example.org/rne")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


async def _names(engine) -> list[str]:
    async with db.session_factory(engine)() as session:
        return sorted(o.full_name for o in (await session.scalars(select(Official))).all())


async def test_reimport_removes_the_rows_gone_and_counts_each_outcome(engine, tmp_path) -> None:
    first = await run_import(engine, lambda w: import_rne(w, RNE, set(), ORIGIN))
    assert first.tally.summary() == "official(s): 5 added, 0 updated, 0 unchanged, 0 removed"
    lines = _lines(RNE)
    assert "MARTINEZ" in lines[3] and "PETIT" in lines[5]
    changed = tmp_path / "rne.csv"
    changed.write_text("".join([*lines[:3], lines[4], lines[5].replace(";;;FRA", ";;;FR")]),
                       encoding="utf-8")  # Martinez gone; Petit's nationality code changed
    second = await run_import(engine, lambda w: import_rne(w, changed, set(), ORIGIN))
    # the nationality code is read past: Petit's row is unchanged as far as the base goes
    assert second.tally.summary() == "official(s): 0 added, 0 updated, 4 unchanged, 1 removed"
    assert "Lucía Martinez" not in await _names(engine)
    renamed = tmp_path / "rne-renamed.csv"
    renamed.write_text("".join(lines).replace(";;;FRA\n", ";Conseillère municipale déléguée;03/07/2020;FRA\n", 1),
                       encoding="utf-8")
    third = await run_import(engine, lambda w: import_rne(w, renamed, set(), ORIGIN))
    assert third.tally.by_kind["official"]["added"] == 1  # Martinez again, with her new function
    assert third.tally.by_kind["official"]["removed"] == 0


async def test_a_reimport_of_one_commune_keeps_the_others(engine, tmp_path) -> None:
    await run_import(engine, lambda w: import_rne(w, RNE, set(), ORIGIN))
    only_header = tmp_path / "empty.csv"
    only_header.write_text(_lines(RNE)[0], encoding="utf-8")
    writer = await run_import(engine, lambda w: import_rne(w, only_header, {"44143"}, ORIGIN))
    assert writer.tally.by_kind["official"]["removed"] == 2  # Rezé's two, nobody of Nantes
    assert await _names(engine) == ["Jeanne Dupont-Legrand", "Lucía Martinez", "Yann Le Goff"]


async def test_removed_officials_leave_no_search_entry(engine, tmp_path) -> None:
    delegated = tmp_path / "delegated.csv"
    delegated.write_text(_lines(RNE)[0], encoding="utf-8")

    async def with_delegation(writer) -> None:
        await writer.add("official", {
            "key": "rne-44109-test", "first_name": "A", "last_name": "B", "first_name_key": "a",
            "last_name_key": "b", "last_name_rev": "b", "role": "Conseiller", "delegations": ["vélo"],
            "areas": [], "commune_code": "44109", "commune": "Nantes", **ORIGIN.fields()})

    await run_import(engine, with_delegation)
    assert await count(engine, SearchEntry, SearchEntry.ref_key == "rne-44109-test") == 1
    await run_import(engine, lambda w: import_rne(w, delegated, set(), ORIGIN))
    assert await count(engine, SearchEntry, SearchEntry.ref_key == "rne-44109-test") == 0
    assert await count(engine, Official) == 0


async def test_a_key_read_twice_is_reported_with_both_lines(engine, tmp_path) -> None:
    lines = _lines(RNE)
    twice = tmp_path / "twice.csv"
    twice.write_text("".join([*lines, lines[2]]), encoding="utf-8")
    writer = await run_import(engine, lambda w: import_rne(w, twice, set(), ORIGIN))
    assert writer.warnings == [
        "twice.csv: line 7: same official key as twice.csv: line 3 (rne-44109-le-goff-yann-1er-"
        "adjoint-au-maire); the later row is kept"]
    assert writer.counts["official"] == 5


async def test_two_function_rows_of_one_person_are_both_kept(engine) -> None:
    path = real_data("derived/rne-elus-cm-gers-loire-atlantique.csv")
    await run_import(engine, lambda w: import_rne(w, path, {"32144"}, ORIGIN))
    async with db.session_factory(engine)() as session:
        roles = sorted(o.role for o in (await session.scalars(select(Official).where(
            Official.last_name_key == "liviero"))).all())
    rows = [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]
    assert roles == sorted(row[13] for row in rows if row[4] == "32144" and row[6] == "LIVIERO")
    assert len(roles) == 2


def _settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                    demo_data=False)


async def test_the_date_shown_is_the_source_s_own_or_the_import_date_said_so(
        tmp_path, database_url) -> None:
    bot = await create_bot(_settings(tmp_path, database_url))
    try:
        engine = bot.engine
        await run_import(engine, lambda w: import_rne(w, RNE, {"44143"}, ORIGIN))
        resident = ChatTester(bot, user="resident")
        today = dt.datetime.now(dt.UTC).date()
        reply = await resident.say("qui est le maire de Rezé ?")
        assert "Paul Bernard" in reply.text
        assert f"importé le {today:%d/%m/%Y}" in reply.text
        dated = Origin(source=ORIGIN.source, source_date=dt.date(2024, 3, 1))
        await run_import(engine, lambda w: import_rne(w, RNE, {"44143"}, dated))
        reply = await resident.say("qui est le maire de Rezé ?")
        assert "(01/03/2024)" in reply.text and "importé" not in reply.text
    finally:
        await bot.close()


async def test_a_facts_or_streets_file_imported_again_replaces_its_source_s_rows(engine, tmp_path) -> None:
    """A budget line or a street the new file no longer has is removed and counted; rows of
    another source stay."""
    facts = tmp_path / "budget.csv"
    facts.write_text("label;value;period\nBudget des musées;1 000 000;2014\nBudget des stades;"
                     "5 682 456;2014\n", encoding="utf-8")
    other = tmp_path / "population.csv"
    other.write_text("label;value\nPopulation;52000\n", encoding="utf-8")
    streets = tmp_path / "rues.csv"
    streets.write_text("name;city\nRue de Strasbourg;Nantes\nRue Kervégan;Nantes\n", encoding="utf-8")
    city, insee = Origin(source="Ville de test"), Origin(source="Insee")
    await run_import(engine, lambda w: import_plain(w, "fact", facts, city))
    await run_import(engine, lambda w: import_plain(w, "fact", other, insee))
    await run_import(engine, lambda w: import_plain(w, "street", streets, city))
    facts.write_text("label;value;period\nBudget des musées;1 100 000;2014\n", encoding="utf-8")
    streets.write_text("name;city\nRue Kervégan;Nantes\n", encoding="utf-8")
    again = await run_import(engine, lambda w: import_plain(w, "fact", facts, city))
    assert again.tally.summary() == "fact(s): 0 added, 1 updated, 0 unchanged, 1 removed"
    async with db.session_factory(engine)() as session:
        assert sorted((f.label, f.value) for f in (await session.scalars(select(Fact))).all()) == [
            ("Budget des musées", 1_100_000), ("Population", 52_000)]
    again = await run_import(engine, lambda w: import_plain(w, "street", streets, city))
    assert again.tally.summary() == "street(s): 0 added, 0 updated, 1 unchanged, 1 removed"
    assert await count(engine, Street) == 1


def _quartiers(path: Path, names: list[str], name_property: str = "LIBQUART") -> Path:
    """A GeoJSON file of square quartiers (each where its name puts it), named in
    ``name_property``, of no commune."""
    def square(name: str) -> list[list[float]]:
        west = 3.8 + len(name) / 100
        return [[west, 43.6], [west + 0.01, 43.6], [west + 0.01, 43.61], [west, 43.61], [west, 43.6]]

    features = [{"type": "Feature", "properties": {name_property: name},
                 "geometry": {"type": "Polygon", "coordinates": [square(name)]}} for name in names]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


async def _areas(engine) -> list[tuple[str, str]]:
    async with db.session_factory(engine)() as session:
        return sorted((area.source, area.name) for area in (await session.scalars(select(Area))).all())


async def test_areas_imported_again_replace_their_source_s_whatever_names_them(engine, tmp_path) -> None:
    """A quartier gone from the file is gone from the base; the same file read with
    ``--name-property nom`` or without is the same areas, not twice as many; the source's new
    file replaces its old one; another source's areas stay."""
    city, other = Origin(source="Ville de test"), Origin(source="Métropole de test")
    quartiers = _quartiers(tmp_path / "quartiers.geojson", ["CENTRE", "MOSSON", "CROIX D'ARGENT"])
    await run_import(engine, lambda w: import_areas(w, quartiers, city, name_property="LIBQUART"))
    await run_import(engine, lambda w: import_areas(
        w, _quartiers(tmp_path / "autres.geojson", ["Malakoff"], "nom"), other))
    fewer = _quartiers(tmp_path / "quartiers-2.geojson", ["CENTRE", "CROIX D'ARGENT"])
    again = await run_import(engine, lambda w: import_areas(w, fewer, city, name_property="LIBQUART"))
    assert again.tally.summary() == "area(s): 0 added, 0 updated, 2 unchanged, 1 removed"
    assert await _areas(engine) == [("Métropole de test", "Malakoff"), ("Ville de test", "Centre"),
                                    ("Ville de test", "Croix d'Argent")]
    named = _quartiers(tmp_path / "nom.geojson", ["Centre", "Mosson"], "nom")
    await run_import(engine, lambda w: import_areas(w, named, city))
    same = await run_import(engine, lambda w: import_areas(w, named, city, name_property="nom"))
    assert same.tally.summary() == "area(s): 0 added, 0 updated, 2 unchanged, 0 removed"
    assert await _areas(engine) == [("Métropole de test", "Malakoff"), ("Ville de test", "Centre"),
                                    ("Ville de test", "Mosson")]


async def test_two_services_files_sharing_ids_keep_their_own_rows(bot, tmp_path) -> None:
    """Two OpenStreetMap extracts share their points' ids: each source keeps its rows (keyed by
    source and id), a re-import of one leaves the other's alone, and a resident sees the place
    once."""
    pharmacies, everything = tmp_path / "pharmacies.csv", tmp_path / "tout.csv"
    header = "id;name;category;latitude;longitude;hours\n"
    pharmacies.write_text(header + "node/1;Pharmacie de la Comédie;pharmacy;43.6085;3.8796;"
                          "Mo-Sa 09:00-19:00\nnode/2;Pharmacie des Arceaux;pharmacy;43.611;3.866;\n",
                          encoding="utf-8")
    everything.write_text(header + "node/1;Pharmacie de la Comédie;pharmacy;43.6085;3.8796;"
                          "Mo-Sa 09:00-19:00\nnode/3;Le Fournil;bakery;43.61;3.87;\n", encoding="utf-8")
    osm_pharmacies, osm = Origin(source="OSM (pharmacies)"), Origin(source="OSM")
    await run_import(bot.engine, lambda w: import_plain(w, "service", pharmacies, osm_pharmacies))
    await run_import(bot.engine, lambda w: import_plain(w, "service", everything, osm))
    assert await count(bot.engine, Service, Service.source == "OSM (pharmacies)") == 2
    assert await count(bot.engine, Service, Service.source == "OSM") == 2
    again = await run_import(bot.engine, lambda w: import_plain(w, "service", pharmacies, osm_pharmacies))
    assert again.tally.summary() == "service(s): 0 added, 0 updated, 2 unchanged, 0 removed"
    everything.write_text(header + "node/3;Le Fournil;bakery;43.61;3.87;\n", encoding="utf-8")
    fewer = await run_import(bot.engine, lambda w: import_plain(w, "service", everything, osm))
    assert fewer.tally.summary() == "service(s): 0 added, 0 updated, 1 unchanged, 1 removed"
    assert await count(bot.engine, Service, Service.source == "OSM (pharmacies)") == 2
    everything.write_text(header + "node/1;Pharmacie de la Comédie;pharmacy;43.6085;3.8796;"
                          "Mo-Sa 09:00-19:00\n", encoding="utf-8")
    await run_import(bot.engine, lambda w: import_plain(w, "service", everything, osm))
    reply = await ChatTester(bot, user="resident").say("horaires pharmacie de la comedie")
    assert reply.text.count("Pharmacie de la Comédie") == 1, reply.text
