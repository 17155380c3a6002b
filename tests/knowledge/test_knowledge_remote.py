"""Portal importers (Opendatasoft Explore v2.1, CKAN) and the geocoder, against servers the
tests run on loopback."""
from __future__ import annotations

import datetime as dt

import pytest
from aiohttp import web
from sqlalchemy import select

from bot import db
from bot.config import Settings
from connectors.geocoder import geocode
from knowledge.importers import ImportFailed
from knowledge.importers.remote import import_ckan, import_ods_catalog, import_ods_records, portal_origin
from knowledge.models import Area, Dataset, Service
from knowledge.search import search
from tests.support.knowledge import count, run_import

DATASETS = 150  # more than one page of 100


def _odsdataset(number: int) -> dict:
    return {"dataset_id": f"jeu-{number}", "metas": {"default": {
        "title": f"Jeu de données {number}" if number != 7 else "Qualité de l'eau potable",
        "description": "<p>Description <b>HTML</b> &amp; détaillée</p>",
        "keyword": ["eau", "santé"] if number == 7 else ["divers"],
        "publisher": "Nantes Métropole", "license": "ODbL",
        "modified": "2024-05-02T10:00:00+00:00"}}}


EQUIPMENTS = [
    {"nom_complet": "Piscine de la Durantière", "adresse": "Rue de la Durantière",
     "horaires": "Mo-Fr 10:00-19:00", "geo_point_2d": {"lon": -1.5920, "lat": 47.2230},
     "theme": "piscine|natation"},
    {"nom_complet": "Bibliothèque Floresca Guépin", "adresse": "Rue de la Bottière",
     "horaires": None, "geo_point_2d": None, "theme": "bibliothèque"},
]
QUARTIERS = [
    {"nom": "Quartier Ouest", "libcom": "Testville", "idobj": "1",
     "geo_shape": {"type": "Feature", "properties": {}, "geometry": {
         "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}},
    {"nom": "Quartier sans contour", "libcom": "Testville", "idobj": "2", "geo_shape": None},
]


def _page(items: list, request: web.Request, limit_name: str, offset_name: str) -> list:
    limit, offset = int(request.query[limit_name]), int(request.query[offset_name])
    assert limit <= 100
    return items[offset:offset + limit]


def ods_app(fail_at_offset: int | None = None) -> web.Application:
    catalog = [_odsdataset(number) for number in range(1, DATASETS + 1)]

    async def datasets(request: web.Request) -> web.Response:
        if fail_at_offset is not None and int(request.query["offset"]) >= fail_at_offset:
            return web.json_response({"error": "boom"}, status=500)
        return web.json_response({"total_count": len(catalog),
                                  "results": _page(catalog, request, "limit", "offset")})

    async def records(request: web.Request) -> web.Response:
        rows = {"equipements": EQUIPMENTS, "quartiers": QUARTIERS}.get(request.match_info["id"])
        if rows is None:
            return web.json_response({"error_code": "NotFound"}, status=404)
        return web.json_response({"total_count": len(rows),
                                  "results": _page(rows, request, "limit", "offset")})

    async def dataset(request: web.Request) -> web.Response:
        if request.match_info["id"] == "equipements":  # the portal's own sheet of the dataset
            return web.json_response({"dataset_id": "equipements", "metas": {"default": {
                "title": "Équipements", "modified": "2024-03-18T08:00:00+00:00"}}})
        return web.json_response({"error_code": "NotFound"}, status=404)

    app = web.Application()
    app.router.add_get("/api/explore/v2.1/catalog/datasets", datasets)
    app.router.add_get("/api/explore/v2.1/catalog/datasets/{id}", dataset)
    app.router.add_get("/api/explore/v2.1/catalog/datasets/{id}/records", records)
    return app


def ckan_app() -> web.Application:
    packages = [{"name": f"paquet-{n}", "title": f"Paquet {n}", "notes": "Un **jeu** de données",
                 "tags": [{"name": "test"}], "organization": {"title": "Ville de Rennes"},
                 "license_title": "Licence Ouverte", "metadata_modified": "2023-11-30T12:00:00"}
                for n in range(1, 131)]
    packages[41]["title"] = "Horaires des bibliothèques"

    async def package_search(request: web.Request) -> web.Response:
        return web.json_response({"success": True, "result": {
            "count": len(packages), "results": _page(packages, request, "rows", "start")}})

    app = web.Application()
    app.router.add_get("/api/3/action/package_search", package_search)
    return app


async def test_opendatasoft_catalogue_over_several_pages(engine, serve) -> None:
    portal = await serve(ods_app())
    origin = portal_origin(portal, "Portail de test")
    for _ in range(2):  # idempotent
        await run_import(engine, lambda w: import_ods_catalog(w, portal, origin))
    assert await count(engine, Dataset) == DATASETS
    async with db.session_factory(engine)() as session:
        water = await session.scalar(select(Dataset).where(Dataset.key.like("%jeu-7")))
        assert water.description == "Description HTML & détaillée"
        assert water.url == f"{portal}/explore/dataset/jeu-7/"
        assert water.licence == "ODbL" and water.updated.isoformat() == "2024-05-02"
        assert water.source == "Portail de test"
        assert (await search(session, "qualite eau"))[0].key == water.key


async def test_a_portal_failing_half_way_imports_nothing(engine, serve) -> None:
    portal = await serve(ods_app(fail_at_offset=100))
    with pytest.raises(ImportFailed, match="HTTP 500 at offset 100"):
        await run_import(engine, lambda w: import_ods_catalog(w, portal, portal_origin(portal, None)))
    assert await count(engine, Dataset) == 0
    with pytest.raises(ImportFailed, match="127.0.0.1"):
        await run_import(engine, lambda w: import_ods_catalog(w, "http://127.0.0.1:9",
                                                        portal_origin(portal, None)))


async def test_opendatasoft_records_as_services_and_areas(engine, serve) -> None:
    portal = await serve(ods_app())
    origin = portal_origin(portal, "Nantes Métropole")
    mapping = {"name": "nom_complet", "address": "adresse", "hours": "horaires", "keywords": "theme"}
    await run_import(engine, lambda w: import_ods_records(w, portal, "equipements", "service", mapping,
                                                    origin))
    async with db.session_factory(engine)() as session:
        pool = await session.scalar(select(Service).where(Service.name.like("Piscine%")))
        assert (pool.latitude, pool.longitude) == (47.2230, -1.5920)
        assert pool.hours == "Mo-Fr 10:00-19:00" and pool.keywords == ["piscine", "natation"]
        assert pool.source_date == dt.date(2024, 3, 18)  # the portal's modification date
    writer = await run_import(engine, lambda w: import_ods_records(w, portal, "quartiers", "area", {},
                                                             origin))
    assert writer.counts["area"] == 1 and "record 2: no geometry" in writer.warnings[-1]
    assert "quartiers: the portal gives no modification date" in writer.warnings[0]
    async with db.session_factory(engine)() as session:
        assert (await session.scalar(select(Area))).source_date is None  # import date, said so
    assert await count(engine, Area) == 1
    with pytest.raises(ImportFailed, match="HTTP 404"):
        await run_import(engine, lambda w: import_ods_records(w, portal, "absent", "fact", {}, origin))


async def test_ckan_package_search(engine, serve) -> None:
    portal = await serve(ckan_app())
    await run_import(engine, lambda w: import_ckan(w, portal, portal_origin(portal, "Rennes")))
    assert await count(engine, Dataset) == 130
    async with db.session_factory(engine)() as session:
        hit = (await search(session, "horaires bibliotheques"))[0]
        dataset = await session.scalar(select(Dataset).where(Dataset.key == hit.key))
        assert dataset.url == f"{portal}/dataset/paquet-42"
        assert dataset.publisher == "Ville de Rennes" and dataset.keywords == ["test"]


def geocoder_app(calls: list) -> web.Application:
    async def search_address(request: web.Request) -> web.Response:
        calls.append(dict(request.query))
        if "panne" in request.query["q"]:
            return web.json_response({"error": "down"}, status=503)
        score = 0.2 if "vague" in request.query["q"] else 0.93
        return web.json_response({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.5536, 47.2186]},
             "properties": {"label": "2 Rue de l'Hôtel de Ville 44000 Nantes", "score": score,
                            "citycode": "44109", "postcode": "44000", "type": "housenumber"}},
        ]})

    app = web.Application()
    app.router.add_get("/geocodage/search", search_address)
    return app


async def test_geocoder_client(serve, tmp_path) -> None:
    calls: list = []
    url = await serve(geocoder_app(calls)) + "/geocodage/search"
    settings = Settings(data_dir=tmp_path, geocoder_url=url)
    found = await geocode(settings, "2 rue de l'hotel de ville")
    assert (found.latitude, found.longitude) == (47.2186, -1.5536)
    assert found.citycode == "44109" and found.postcode == "44000" and found.score == 0.93
    assert calls[-1]["q"] == "2 rue de l'hotel de ville Nantes"
    assert await geocode(settings, "adresse vague") is None  # too unsure
    assert await geocode(settings, "adresse en panne") is None  # server error: no answer
    off = Settings(data_dir=tmp_path)
    count = len(calls)
    assert await geocode(off, "2 rue de l'hotel de ville") is None
    assert len(calls) == count  # off by default: nothing sent
    unreachable = Settings(data_dir=tmp_path, geocoder_url="http://127.0.0.1:9/search")
    assert await geocode(unreachable, "2 rue de l'hotel de ville") is None
