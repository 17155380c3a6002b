"""Importers on the real files of ../shared/realdata (issue 11, item 8): areas named by a property
(``LIBQUART``), the communes of a metropolis, encodings detected (UTF-8, UTF-8 with BOM,
Latin-1, UTF-16), an Opendatasoft dataset over the API's window refused from its first page,
and a CKAN catalogue entry without a title skipped and reported."""
from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from bot import db
from bot.features import create_bot
from knowledge.geo import area_at
from knowledge.importers import ImportFailed, Origin, Writer
from knowledge.importers.encoding import detect_encoding
from knowledge.importers.geojson import import_areas
from knowledge.importers.pack import import_pack
from knowledge.importers.plain import import_plain
from knowledge.importers.remote import ODS_MAX_WINDOW, import_ckan, import_ods_records, portal_origin
from knowledge.models import Area, Dataset, Fact, Service
from tests.support.data import real_data
from tests.support.knowledge import count, run_import

ORIGIN = Origin(source="Fichier dérivé de données publiques (pas une publication)")


def _features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


async def test_quartiers_named_by_the_property_given(engine) -> None:
    path = real_data("original/montpellier-VilleMTP_MTP_Quartiers.geojson")
    with pytest.raises(ImportFailed, match="feature 1: no name .*--name-property, one of: .*LIBQUART"):
        await run_import(engine, lambda w: import_areas(w, path, ORIGIN))  # no nom/name
    await run_import(engine, lambda w: import_areas(w, path, ORIGIN, name_property="LIBQUART"))
    expected = {feature["properties"]["LIBQUART"] for feature in _features(path)}
    async with db.session_factory(engine)() as session:
        names = set((await session.scalars(select(Area.name))).all())
        assert {name.upper() for name in names} == expected and len(names) == 7
        assert "Port Marianne" in names and "Croix d'Argent" in names  # capitals made readable
        comedie = await area_at(session, 43.6085, 3.8797)  # place de la Comédie
        assert comedie is not None and comedie.name == "Montpellier Centre"


async def test_sous_quartiers_by_their_own_property(engine) -> None:
    path = real_data("original/montpellier-VilleMTP_MTP_SousQuartiers.geojson")
    await run_import(engine, lambda w: import_areas(w, path, ORIGIN, name_property="LIBSQUART"))
    assert await count(engine, Area) == len({feature["properties"]["LIBSQUART"]
                                             for feature in _features(path)})


async def test_a_sous_quartier_named_like_its_quartier_does_not_replace_it(engine) -> None:
    """Both files of the same source: "Mosson" is a quartier and one of its sous-quartiers;
    importing the second keeps the first's outline."""
    quartiers = real_data("original/montpellier-VilleMTP_MTP_Quartiers.geojson")
    sous_quartiers = real_data("original/montpellier-VilleMTP_MTP_SousQuartiers.geojson")
    both = ({feature["properties"]["LIBQUART"].upper() for feature in _features(quartiers)}
            & {feature["properties"]["LIBSQUART"].upper() for feature in _features(sous_quartiers)})
    assert "MOSSON" in both
    await run_import(engine, lambda w: import_areas(w, quartiers, ORIGIN, name_property="LIBQUART"))
    writer = await run_import(engine, lambda w: import_areas(w, sous_quartiers, ORIGIN,
                                                             name_property="LIBSQUART"))
    assert writer.tally.by_kind["area"]["updated"] == 0
    assert await count(engine, Area) == len(_features(quartiers)) + len(_features(sous_quartiers))


async def test_the_communes_of_a_metropolis_as_areas(engine) -> None:
    path = real_data("original/nantes-metropole-communes.geojson")
    await run_import(engine, lambda w: import_areas(w, path, ORIGIN))
    features = _features(path)
    async with db.session_factory(engine)() as session:
        areas = {area.code: area for area in (await session.scalars(select(Area))).all()}
        assert len(areas) == len(features) == 24
        for feature in features:
            area = areas[feature["properties"]["id_insee"]]
            assert area.name == feature["properties"]["toponyme"]
        reze = await area_at(session, 47.1833, -1.5500)  # Rezé town hall
        assert reze is not None and reze.code == "44143"
        assert (await area_at(session, 47.2184, -1.5536)).code == "44109"  # Nantes


@pytest.mark.parametrize(("encoding", "mark"), [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("latin-1", b""), ("cp1252", b""),
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-le", b""),
])
async def test_encodings_are_detected(engine, tmp_path, encoding: str, mark: bytes) -> None:
    text = ("id;name;category;address;hours\n"
            "1;Médiathèque Émile Zola;bibliothèque;Rue de l'Église;Lu-Ve 9h-12h / 14h-17h\n"
            "2;Piscine Léo Lagrange;piscine;Île de Nantes;Ma-Sa 09:30-19:00\n")
    path = tmp_path / "services.csv"
    path.write_bytes(mark + text.encode(encoding))
    await run_import(engine, lambda w: import_plain(w, "service", path, ORIGIN))
    async with db.session_factory(engine)() as session:
        names = set((await session.scalars(select(Service.name))).all())
    assert names == {"Médiathèque Émile Zola", "Piscine Léo Lagrange"}


def test_real_files_encodings() -> None:
    assert detect_encoding(real_data("original/montpellier-VilleMTP_MTP_Delibs_Archives.csv")) == "utf-16"
    assert detect_encoding(real_data("original/montpellier-VilleMTP_MTP_BudgetPri_2014.csv")) in (
        "cp1252", "latin_1", "iso8859_15")
    assert detect_encoding(real_data("derived/montpellier-osm-all-services.csv")) == "utf-8-sig"


async def test_a_latin1_budget_file_imports_without_an_option(engine) -> None:
    path = real_data("derived/montpellier-bp2014-depenses-par-fonction.csv")
    await run_import(engine, lambda w: import_plain(w, "fact", path, ORIGIN))
    raw = path.read_bytes().decode("latin-1")
    async with db.session_factory(engine)() as session:
        labels = set((await session.scalars(select(Fact.label))).all())
    accented = [label for label in labels if any(char in label for char in "éèàçô")]
    assert accented and all(label in raw for label in labels)


async def test_a_utf16_file_is_never_told_to_be_latin1(engine, tmp_path) -> None:
    path = tmp_path / "services.csv"
    path.write_bytes("name;category\nMairie;mairie\n".encode("utf-16"))
    with pytest.raises(ImportFailed) as failure:
        await run_import(engine, lambda w: import_plain(w, "service", path, ORIGIN, encoding="utf-8"))
    assert "utf-16" in str(failure.value) and "latin-1" not in str(failure.value)


async def test_an_opendatasoft_dataset_over_the_window_is_refused_at_once(engine, serve) -> None:
    records = json.loads(real_data("derived/ods_records.json").read_text(encoding="utf-8"))
    rows = next(value for key, value in records.items() if "service-public" in key)
    pages: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        pages.append(request.query["offset"])
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return web.json_response({"total_count": ODS_MAX_WINDOW + 1,
                                  "results": rows[offset % len(rows):][:limit]})

    app = web.Application()
    app.router.add_get("/api/explore/v2.1/catalog/datasets/{id}/records", handler)
    portal = await serve(app)
    with pytest.raises(ImportFailed, match="10001 records"):
        await run_import(engine, lambda w: import_ods_records(
            w, portal, "equipements", "service", {"name": "geo_name"}, portal_origin(portal, None)))
    assert pages == ["0"]  # one page, not a hundred


async def test_a_ckan_entry_without_a_title_is_skipped_and_reported(engine, serve) -> None:
    answer = json.loads(real_data("original/birmingham-ckan-package_search.json").read_text(
        encoding="utf-8"))
    packages = answer["result"]["results"]
    untitled = packages[3]["name"]
    packages[3] = {**packages[3], "title": ""}

    async def handler(request: web.Request) -> web.Response:
        start, rows = int(request.query["start"]), int(request.query["rows"])
        return web.json_response({"success": True, "result": {
            "count": len(packages), "results": packages[start:start + rows]}})

    app = web.Application()
    app.router.add_get("/api/3/action/package_search", handler)
    portal = await serve(app)
    writer = await run_import(engine, lambda w: import_ckan(w, portal, portal_origin(portal, None)))
    assert await count(engine, Dataset) == len(packages) - 1
    assert len(writer.warnings) == 1 and untitled in writer.warnings[0]


async def test_import_pack_reads_any_encoding_and_suggests_no_option(engine, tmp_path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text("source: Ville de Test\nservices: services.csv\n"
                                    "facts: facts.csv\n", encoding="utf-8")
    (pack / "services.csv").write_bytes("name;category\nMédiathèque;bibliothèque\n".encode("utf-16"))
    (pack / "facts.csv").write_bytes("label;value\nDépenses de l'école;1 234,5\n".encode("latin-1"))
    await run_import(engine, lambda w: import_pack(w, pack))
    assert await count(engine, Service) == 1 and await count(engine, Fact) == 1
    (pack / "facts.csv").write_bytes(b"label;value\n" + bytes(range(128, 256)) * 50)
    with pytest.raises(ImportFailed) as failure:
        await run_import(engine, lambda w: import_pack(w, pack))
    assert "--" not in str(failure.value)


NANTES_POINTS = {"Bottière": (47.2400, -1.5190), "Chantenay": (47.2030, -1.5960),
                 "Nantes Nord": (47.2530, -1.5620), "Île de Nantes": (47.2050, -1.5420)}


async def test_nantes_services_from_a_portal_nearest_of_all(settings, serve) -> None:
    """The 375 Nantes Métropole public-service points (2014), served as Opendatasoft records,
    imported as services; "la mairie annexe la plus proche" is the nearest of every row of
    that type by haversine."""
    from bot.formatting import distance
    from bot.testing import ChatTester
    from knowledge.geo import distance_m

    records = json.loads(real_data("derived/ods_records.json").read_text(encoding="utf-8"))
    rows = next(value for key, value in records.items() if "service-public" in key)

    async def handler(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return web.json_response({"total_count": len(rows), "results": rows[offset:offset + limit]})

    app = web.Application()
    app.router.add_get("/api/explore/v2.1/catalog/datasets/{id}/records", handler)
    portal = await serve(app)
    settings.demo_data = False  # the demo's annexes are not Nantes's 2014 ones
    bot = await create_bot(settings)
    try:
        async with bot.sessions() as session:
            writer = Writer(session)
            await import_ods_records(writer, portal, "equipements", "service", {
                "id": "idobj", "name": "nom_complet", "category": "libtype", "address": "adresse",
                "phone": "telephone"}, portal_origin(portal, "Nantes Métropole (2014)"))
            await writer.finish()
            await session.commit()
        annexes = [row for row in rows if row["libtype"] == "Mairie annexe"]
        resident = ChatTester(bot, "resident")
        for place, (latitude, longitude) in NANTES_POINTS.items():
            await resident.share_location(latitude, longitude)
            best = min(annexes, key=lambda row: distance_m(
                latitude, longitude, row["geo_point_2d"]["lat"], row["geo_point_2d"]["lon"]))
            metres = distance_m(latitude, longitude, best["geo_point_2d"]["lat"],
                                best["geo_point_2d"]["lon"])
            reply = await resident.say("la mairie annexe la plus proche")
            first = reply.text.split("• ")[1]
            assert first.split("\n")[0] == best["nom_complet"], place
            assert f"à {distance(metres, 'fr')}" in first, place
    finally:
        await bot.close()
