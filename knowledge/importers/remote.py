"""Open-data portals: Opendatasoft Explore API v2.1 (catalogue and records) and CKAN.

Pages are fetched first, then written: a portal that fails half-way imports nothing.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from knowledge.importers import ImportFailed, Origin, Writer, parse_date
from knowledge.importers.geojson import area_row
from knowledge.importers.plain import BUILDERS, AreaResolver, unreadable_hours
from knowledge.models import MODELS
from knowledge.store import slug

PAGE = 100
ODS_MAX_WINDOW = 10_000  # Explore v2.1 refuses offset + limit beyond this
TIMEOUT = aiohttp.ClientTimeout(total=60)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def plain_text(markup: str | None) -> str:
    """Text without HTML tags or entities (portal descriptions are HTML)."""
    return _SPACES.sub(" ", html.unescape(_TAG.sub(" ", markup or ""))).strip()


async def _get_json(http: aiohttp.ClientSession, url: str, params: dict[str, Any]) -> Any:
    try:
        async with http.get(url, params=params) as response:
            if response.status != 200:
                raise ImportFailed(f"{url}: HTTP {response.status} at offset "
                                   f"{params.get('offset', params.get('start', 0))}")
            return await response.json(content_type=None)
    except aiohttp.ClientError as error:
        raise ImportFailed(f"{url}: {error}") from None
    except ValueError:
        raise ImportFailed(f"{url}: the answer is not JSON") from None


async def _pages(url: str, params: dict[str, Any], total_of, results_of, offset_name: str,
                 limit_name: str, window: int | None = None) -> AsyncIterator[list[dict]]:
    """Every page of a paginated JSON API, as lists of records; a total beyond the API's
    ``window`` is refused on the first page, before any other is downloaded."""
    offset = 0
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        while True:
            body = await _get_json(http, url, {**params, limit_name: PAGE, offset_name: offset})
            try:
                total, results = int(total_of(body)), list(results_of(body))
            except (KeyError, TypeError, ValueError):
                raise ImportFailed(f"{url}: unexpected answer at offset {offset}") from None
            if window is not None and total > window:
                raise ImportFailed(f"{url}: {total} records, more than the {window} this API "
                                   "pages through; use the portal's export")
            yield results
            offset += len(results)
            if not results or offset >= total:
                return


async def _all(pages: AsyncIterator[list[dict]]) -> list[dict]:
    return [record async for page in pages for record in page]


def _host(base_url: str) -> str:
    return urlsplit(base_url).netloc or base_url


def portal_origin(base_url: str, source: str | None, licence: str = "") -> Origin:
    """The portal as a source; its rows carry the portal's modification date where it gives one,
    else none (answers then give the import date, labelled as such)."""
    return Origin(source=source or _host(base_url), source_url=base_url, licence=licence)


async def import_ods_catalog(writer: Writer, base_url: str, origin: Origin) -> None:
    base_url = base_url.rstrip("/")
    records = await _all(_pages(f"{base_url}/api/explore/v2.1/catalog/datasets", {},
                                lambda body: body["total_count"], lambda body: body["results"],
                                "offset", "limit", ODS_MAX_WINDOW))
    for number, record in enumerate(records, 1):
        identifier = record.get("dataset_id") if isinstance(record, dict) else None
        where = f"dataset {number} ({identifier or 'no dataset_id'})"
        meta = ((record.get("metas") or {}).get("default") or {}) if identifier else {}
        if not identifier or not meta.get("title"):
            writer.warn(f"{where}: no dataset_id or no title, skipped")
            continue
        keywords = meta.get("keyword") or []
        modified = parse_date(meta.get("modified"), where, "modified")
        await writer.add("dataset", {
            "key": f"ods-{slug(_host(base_url))}-{slug(identifier)}", "title": meta["title"],
            "description": plain_text(meta.get("description")),
            "keywords": [keywords] if isinstance(keywords, str) else list(keywords),
            "publisher": meta.get("publisher") or "",
            "url": f"{base_url}/explore/dataset/{identifier}/",
            "updated": modified, **origin.fields(), "source_date": modified,
            "licence": meta.get("license") or origin.licence,
        }, where)


async def _modified(writer: Writer, base_url: str, dataset: str) -> dt.date | None:
    """The portal's modification date of the dataset (its ``metas.default.modified``), or None
    with a warning when the portal does not give it."""
    url = f"{base_url}/api/explore/v2.1/catalog/datasets/{dataset}"
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            body = await _get_json(http, url, {})
        modified = ((body.get("metas") or {}).get("default") or {}).get("modified")
        day = parse_date(modified, dataset, "modified") if isinstance(modified, str) else None
    except (ImportFailed, AttributeError):
        day = None
    if day is None:
        writer.warn(f"{dataset}: the portal gives no modification date; answers give the import date")
    return day


def _rename(record: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """A record with plain-format column names: ``mapping`` is {plain column: record field}."""
    renamed = {column: record.get(field) for column, field in mapping.items()}
    for name, value in record.items():
        renamed.setdefault(name, value)
    point = record.get("geo_point_2d")
    if isinstance(point, dict) and renamed.get("latitude") in (None, ""):
        renamed["latitude"], renamed["longitude"] = point.get("lat"), point.get("lon")
    return {name: "" if value is None else value if isinstance(value, (dict, list)) else str(value)
            for name, value in renamed.items()}


async def import_ods_records(writer: Writer, base_url: str, dataset: str, into: str,
                             mapping: dict[str, str], origin: Origin) -> None:
    """Records of one dataset into areas, services, facts or streets."""
    base_url = base_url.rstrip("/")
    url = f"{base_url}/api/explore/v2.1/catalog/datasets/{dataset}/records"
    records = await _all(_pages(url, {}, lambda body: body["total_count"],
                                lambda body: body["results"], "offset", "limit", ODS_MAX_WINDOW))
    if origin.source_date is None:
        origin = replace(origin, source_date=await _modified(writer, base_url, dataset))
    if into != "area" and origin.source:  # the dataset is the whole truth about its source
        writer.replaces(into, MODELS[into].source == origin.source)
    areas = None if into == "area" else await AreaResolver.load(writer.session)
    for number, record in enumerate(records, 1):
        where = f"{dataset}: record {number}"
        if not isinstance(record, dict):
            raise ImportFailed(f"{where}: not an object")
        row = _rename(record, mapping)
        if into == "area":
            shape = row.get("geo_shape") or {}
            built = area_row(row, shape.get("geometry") if isinstance(shape, dict) else None,
                             where, origin)
            if built is None:
                writer.warn(f"{where}: no geometry, skipped")
                continue
        else:
            assert areas is not None  # loaded for every kind but areas
            built = BUILDERS[into](row, where, origin, areas)
            if into == "service" and (warning := unreadable_hours(built, where)):
                writer.warn(warning)
        await writer.add(into, built, where)


async def import_ckan(writer: Writer, base_url: str, origin: Origin) -> None:
    """A CKAN catalogue through ``package_search``."""
    base_url = base_url.rstrip("/")
    records = await _all(_pages(
        f"{base_url}/api/3/action/package_search", {},
        lambda body: body["result"]["count"] if body.get("success") else None,
        lambda body: body["result"]["results"], "start", "rows"))
    for number, record in enumerate(records, 1):
        name = record.get("name") if isinstance(record, dict) else None
        where = f"package {number} ({name or 'no name'})"
        if not name or not record.get("title"):
            writer.warn(f"{where}: no name or no title, skipped")
            continue
        organization = record.get("organization") or {}
        modified = parse_date(record.get("metadata_modified"), where, "metadata_modified")
        await writer.add("dataset", {
            "key": f"ckan-{slug(_host(base_url))}-{slug(name)}", "title": record["title"],
            "description": plain_text(record.get("notes")),
            "keywords": [tag.get("name", "") for tag in record.get("tags") or []
                         if isinstance(tag, dict)],
            "publisher": organization.get("title") or "",
            "url": f"{base_url}/dataset/{name}",
            "updated": modified, **origin.fields(), "source_date": modified,
            "licence": record.get("license_title") or origin.licence,
        }, where)
