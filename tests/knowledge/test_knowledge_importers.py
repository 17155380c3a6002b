"""Importers on fixtures in the real formats: idempotent, transactional, errors naming the line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot import db
from knowledge.geo import area_at
from knowledge.importers import ImportFailed, Origin
from knowledge.importers.geojson import import_areas
from knowledge.importers.pack import import_pack
from knowledge.importers.plain import import_plain
from knowledge.importers.rne import import_rne
from knowledge.importers.scdl import import_deliberations
from knowledge.models import Area, Document, Fact, Official, Service
from knowledge.search import search
from knowledge.startup import DEMO_PACK
from tests.support.data import TEST_DATA, shared_data
from tests.support.knowledge import count, run_import

DATA = TEST_DATA / "knowledge"
ORIGIN = Origin(source="Source de test", source_url="https://example.org/source", licence="CC-BY")


async def test_rne_keeps_the_commune_asked_and_never_stores_birth_dates(engine) -> None:
    await run_import(engine, lambda w: import_rne(w, DATA / "rne-cm.csv", {"44109"}, ORIGIN))
    async with db.session_factory(engine)() as session:
        officials = (await session.scalars(select(Official).order_by(Official.last_name))).all()
        assert [o.full_name for o in officials] == ["Jeanne Dupont-Legrand", "Yann Le Goff",
                                                    "Lucía Martinez"]
        assert [o.role for o in officials] == ["Maire", "1er adjoint au maire",
                                               "Conseillère municipale"]
        assert officials[0].mandate_start.isoformat() == "2020-06-28"
        assert officials[0].source == "Source de test" and officials[0].commune == "Nantes"
        dump = " ".join(str(row) for row in (await session.execute(
            text("SELECT * FROM kb_officials"))).all())
    for birth_date in ("14/02/1971", "1971-02-14", "1971", "02/11/1965", "1965"):
        assert birth_date not in dump


async def test_rne_reimport_updates_without_duplicates(engine) -> None:
    for _ in range(2):
        await run_import(engine, lambda w: import_rne(w, DATA / "rne-cm.csv", set(), ORIGIN))
    assert await count(engine, Official) == 5


async def test_a_bad_rne_line_is_named_and_nothing_is_imported(engine) -> None:
    with pytest.raises(ImportFailed, match=r"rne-bad-date\.csv: line 4: .*31/13/2020"):
        await run_import(engine, lambda w: import_rne(w, DATA / "rne-bad-date.csv", set(), ORIGIN))
    assert await count(engine, Official) == 0


async def test_a_file_without_the_expected_columns_is_refused(engine, tmp_path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("nom;prenom\nDupont;Jean\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="line 1: missing column"):
        await run_import(engine, lambda w: import_rne(w, wrong, set(), ORIGIN))
    latin = tmp_path / "latin.csv"
    latin.write_bytes((DATA / "rne-cm.csv").read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(ImportFailed, match="not utf-8 text .*looks like cp1252"):
        await run_import(engine, lambda w: import_rne(w, latin, set(), ORIGIN, encoding="utf-8"))
    await run_import(engine, lambda w: import_rne(w, latin, set(), ORIGIN))  # detected
    assert await count(engine, Official) == 5


async def test_scdl_deliberations_with_their_meetings_and_votes(engine) -> None:
    for _ in range(2):
        await run_import(engine, lambda w: import_deliberations(w, DATA / "deliberations.csv", ORIGIN))
    async with db.session_factory(engine)() as session:
        deliberations = (await session.scalars(select(Document).where(
            Document.kind == "deliberation").order_by(Document.date, Document.title))).all()
        meetings = (await session.scalars(select(Document).where(Document.kind == "meeting"))).all()
        assert len(deliberations) == 3 and len(meetings) == 2
        first = deliberations[1]
        assert first.title == "Vote du budget primitif 2024"
        assert (first.votes_for, first.votes_against, first.votes_abstention) == (30, 10, 4)
        assert first.url == "https://example.org/delib/2024-101"
        assert first.meeting_key in {meeting.key for meeting in meetings}
        hits = await search(session, "renovation energetique logements")
        assert hits[0].key == deliberations[0].key


async def test_scdl_bad_vote_count_names_the_line(engine) -> None:
    with pytest.raises(ImportFailed, match=r"line 3: VOTE_POUR 'trente' is not a number"):
        await run_import(engine, lambda w: import_deliberations(
            w, DATA / "deliberations-bad-votes.csv", ORIGIN))
    assert await count(engine, Document) == 0


async def test_plain_services_and_facts(engine) -> None:
    await run_import(engine, lambda w: import_plain(w, "service", DATA / "services.csv", ORIGIN))
    await run_import(engine, lambda w: import_plain(w, "fact", DATA / "facts.csv", ORIGIN))
    async with db.session_factory(engine)() as session:
        # keyed by source and id: two sources sharing ids keep their own rows
        services = {s.key: s for s in (await session.scalars(select(Service))).all()}
        assert services["service-source-de-test-mairie-centrale"].hours == "Mo-Fr 08:30-17:00; Sa 09:00-12:00"
        assert services["service-source-de-test-mairie-centrale"].keywords == ["carte d'identité", "passeport",
                                                                "état civil"]
        assert services["service-source-de-test-mairie-centrale"].source == "Source de test"
        assert services["service-service-des-sports-piscine-nord"].source == "Service des sports"  # per-row source
        assert services["service-service-des-sports-piscine-nord"].source_date.isoformat() == "2024-02-01"
        facts = {f.label: f for f in (await session.scalars(select(Fact))).all()}
        assert facts["Budget de la culture"].value == 12345.5
        assert facts["Population"].unit == "habitants"


async def test_plain_unreadable_hours_are_kept_as_text_and_named_in_the_summary(engine) -> None:
    writer = await run_import(engine, lambda w: import_plain(
        w, "service", DATA / "services-bad-hours.csv", ORIGIN))
    assert await count(engine, Service) == 2  # the import goes on
    assert len(writer.warnings) == 1
    assert "services-bad-hours.csv: line 3 (Gymnase Est)" in writer.warnings[0]
    assert "'Mo-Fr 25:00-18:00'" in writer.warnings[0]
    async with db.session_factory(engine)() as session:
        gym = await session.scalar(select(Service).where(Service.name == "Gymnase Est"))
        assert gym.hours == "Mo-Fr 25:00-18:00"  # the source's text, as it is


async def test_plain_rows_need_a_source(engine) -> None:
    with pytest.raises(ImportFailed, match="line 2: no source"):
        await run_import(engine, lambda w: import_plain(w, "fact", DATA / "facts.csv",
                                                     Origin(source="")))


async def test_geojson_skips_null_geometry_and_reports_it(engine) -> None:
    writer = await run_import(engine, lambda w: import_areas(w, DATA / "areas.geojson", ORIGIN))
    assert writer.counts["area"] == 2
    assert writer.warnings == ["areas.geojson: feature 3 (Quartier Fantôme): no geometry, skipped"]
    async with db.session_factory(engine)() as session:
        assert (await area_at(session, 1.5, 0.5)).name == "Quartier Nord"
        assert (await area_at(session, 0.5, 0.5)).name == "Quartier Sud"
        assert await area_at(session, 5.0, 5.0) is None


async def test_bad_geojson_is_refused(engine, tmp_path) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [\n{"type": ', encoding="utf-8")
    with pytest.raises(ImportFailed, match="line 2: not JSON"):
        await run_import(engine, lambda w: import_areas(w, broken, ORIGIN))
    line = tmp_path / "line.geojson"
    line.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties":'
                    ' {"nom": "Rue"}, "geometry": {"type": "LineString", "coordinates": '
                    '[[0, 0], [1, 1]]}}]}', encoding="utf-8")
    with pytest.raises(ImportFailed, match="feature 1 .*not an area"):
        await run_import(engine, lambda w: import_areas(w, line, ORIGIN))


async def test_real_nantes_quartiers_and_known_points(engine) -> None:
    path = shared_data("nantes-quartiers.geojson")
    writer = await run_import(engine, lambda w: import_areas(w, path, ORIGIN))
    assert writer.counts["area"] == 44
    assert len(writer.warnings) == 1 and "Bourg" in writer.warnings[0]
    assert await count(engine, Area, Area.city == "Nantes") == 11
    async with db.session_factory(engine)() as session:
        for latitude, longitude, name in ((47.2161, -1.5497, "Centre Ville"),
                                          (47.2063, -1.5640, "Ile de Nantes"),
                                          (47.2560, -1.5247, "Nantes Erdre")):
            assert (await area_at(session, latitude, longitude)).name == name
    writer = await run_import(engine, lambda w: import_areas(w, path, ORIGIN, city="Nantes"))
    assert writer.counts["area"] == 11 and writer.warnings == []
    assert await count(engine, Area) == 44  # re-imported, not duplicated


async def test_demo_pack_is_demonstration_data_with_its_date(engine) -> None:
    writer = await run_import(engine, lambda w: import_pack(w, DEMO_PACK))
    assert writer.counts["area"] == 11 and writer.counts["official"] == 5
    async with db.session_factory(engine)() as session:
        for model in (Area, Official, Service, Document, Fact):
            rows = (await session.scalars(select(model))).all()
            assert rows and all(row.demo and row.source_date for row in rows), model
        officials = (await session.scalars(select(Official))).all()
        assert {o.full_name for o in officials} >= {"Johanna Rolland", "Bassem Asseh",
                                                   "Mounir Belhamiti", "Francky Trichet",
                                                   "Mahel Coppey"}
        assert all("example.org" in o.email and o.phone == "02 00 00 00 00" for o in officials)
        areas = (await session.scalars(select(Area))).all()
        assert all(area.approximate for area in areas)
        assert (await area_at(session, 47.2161, -1.5497)).name == "Centre Ville"
        assert (await area_at(session, 47.2560, -1.5247)).name == "Nantes Erdre"


def _civicbot(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "CIVICBOT_DATA_DIR": str(tmp_path / "data"),
               "CIVICBOT_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "bot", "import", *args], capture_output=True,
                          text=True, env=environ, timeout=120)


@pytest.mark.subprocess
async def test_import_command_is_transactional_and_idempotent(tmp_path, database_url, engine) -> None:
    bad = _civicbot(tmp_path, database_url, "rne", str(DATA / "rne-bad-date.csv"))
    assert bad.returncode == 1
    assert "rne-bad-date.csv: line 4" in bad.stderr and "nothing was imported" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert await count(engine, Official) == 0
    for _ in range(2):
        good = _civicbot(tmp_path, database_url, "rne", str(DATA / "rne-cm.csv"),
                         "--commune", "44143")
        assert good.returncode == 0, good.stderr
        assert "2 official(s)" in good.stdout
    assert await count(engine, Official) == 2
    missing = _civicbot(tmp_path, database_url, "services", str(DATA / "services.csv"))
    assert missing.returncode == 1 and "services.csv: line 2: no source" in missing.stderr
    assert _civicbot(tmp_path, database_url, "pack", str(DEMO_PACK)).returncode == 0
    assert await count(engine, Official) == 7
    removed = _civicbot(tmp_path, database_url, "remove-demo")
    assert removed.returncode == 0 and "5 official removed" in removed.stdout
    assert await count(engine, Official) == 2  # the imported ones stay
    assert await count(engine, Area) == 0
