"""The plain CSV formats a city keeps in a spreadsheet: services, facts and streets.

Columns are documented in docs/operate/knowledge-import.md ("The plain CSV format"). The same row
builders serve records fetched from an Opendatasoft portal (``knowledge.importers.remote``), after
their fields are renamed.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import normalize
from knowledge.geo import AreaIndex, area_index
from knowledge.hours import OpeningHours
from knowledge.importers import ImportFailed, Origin, Writer, parse_number, read_csv, split_list
from knowledge.models import MODELS, Area
from knowledge.store import slug

MAX_KEY = 255  # the key column's length
REQUIRED = {"service": ("name",), "fact": ("label", "value"), "street": ("name",)}


class AreaResolver:
    """Turns an area written by name or key, or a point, into an area key."""

    def __init__(self, names: dict[str, str], index: AreaIndex) -> None:
        self._names = names
        self._index = index

    @classmethod
    async def load(cls, session: AsyncSession) -> AreaResolver:
        names: dict[str, str] = {}
        for key, name in (await session.execute(select(Area.key, Area.name))).all():
            names[key] = key
            names.setdefault(normalize(name), key)
        return cls(names, await area_index(session))

    def resolve(self, value: str, latitude: float | None, longitude: float | None,
                where: str) -> str:
        if value:
            key = self._names.get(value) or self._names.get(normalize(value))
            if key is None:
                raise ImportFailed(f"{where}: unknown area {value!r} (import the areas first)")
            return key
        if latitude is not None and longitude is not None:
            return self._index.locate(latitude, longitude) or ""
        return ""


def _point(record: dict[str, Any], where: str) -> tuple[float | None, float | None]:
    latitude = parse_number(record.get("latitude"), where, "latitude")
    longitude = parse_number(record.get("longitude"), where, "longitude")
    if (latitude is None) != (longitude is None):
        raise ImportFailed(f"{where}: give both latitude and longitude, or neither")
    if latitude is not None and longitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ImportFailed(f"{where}: latitude/longitude out of range")
    return latitude, longitude


def _key(kind: str, record: dict[str, Any], source: str, *parts: str) -> str:
    """The row's natural key: its source and its id (or the parts naming it). Two sources that
    share ids (OpenStreetMap's, in two extracts) never take each other's rows."""
    given = (record.get("id") or "").strip()
    key = f"{kind}-{slug(source, given) if given else slug(source, *parts)}"
    if len(key) <= MAX_KEY:
        return key
    return f"{key[:MAX_KEY - 17]}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def service_row(record: dict[str, Any], where: str, origin: Origin,
                areas: AreaResolver) -> dict[str, Any]:
    name = record.get("name", "")
    if not name:
        raise ImportFailed(f"{where}: a service needs a name")
    hours = record.get("hours", "")
    latitude, longitude = _point(record, where)
    address = record.get("address", "")
    provenance = origin.overridden(record, where).fields()
    return {
        "key": _key("service", record, provenance["source"], name, address), "name": name,
        "category": record.get("category", ""), "address": address,
        "latitude": latitude, "longitude": longitude,
        "area": areas.resolve(record.get("area", ""), latitude, longitude, where),
        "hours": hours, "phone": record.get("phone", ""), "email": record.get("email", ""),
        "url": record.get("url", ""), "keywords": split_list(record.get("keywords", "")),
        **provenance,
    }


def fact_row(record: dict[str, Any], where: str, origin: Origin,
             areas: AreaResolver) -> dict[str, Any]:
    label = record.get("label", "")
    value = parse_number(record.get("value"), where, "value")
    if not label or value is None:
        raise ImportFailed(f"{where}: a fact needs a label and a value")
    area = areas.resolve(record.get("area", ""), None, None, where)
    period = record.get("period", "")
    provenance = origin.overridden(record, where).fields()
    return {
        "key": _key("fact", record, provenance["source"], label, period, area), "label": label,
        "value": value, "unit": record.get("unit", ""), "period": period, "area": area,
        "keywords": split_list(record.get("keywords", "")), "url": record.get("url", ""),
        **provenance,
    }


def street_row(record: dict[str, Any], where: str, origin: Origin,
               areas: AreaResolver) -> dict[str, Any]:
    name = record.get("name", "")
    if not name:
        raise ImportFailed(f"{where}: a street needs a name")
    latitude, longitude = _point(record, where)
    city = record.get("city", "")
    provenance = origin.overridden(record, where).fields()
    return {
        "key": _key("street", record, provenance["source"], city, name), "name": name,
        "name_key": normalize(name), "city": city,
        "area": areas.resolve(record.get("area", ""), latitude, longitude, where),
        "latitude": latitude, "longitude": longitude, **provenance,
    }


BUILDERS = {"service": service_row, "fact": fact_row, "street": street_row}


def unreadable_hours(row: dict[str, Any], where: str) -> str | None:
    """The summary's line for hours kept as the source's text because they cannot be read
    (shown to residents as they are, never interpreted; the import goes on)."""
    if row.get("hours") and OpeningHours.read(row["hours"]) is None:
        return f"{where} ({row['name']}): hours {row['hours']!r} not understood, kept as the source's text"
    return None


async def import_plain(writer: Writer, kind: str, path: Path, origin: Origin,
                       encoding: str | None = None, areas: AreaResolver | None = None) -> None:
    """Import a plain CSV file of services, facts or streets (``areas``: the known areas, if
    the caller has them already). The file replaces the rows of its kind and source: those it
    no longer lists are removed (and counted as such in the summary)."""
    areas = areas or await AreaResolver.load(writer.session)
    build = BUILDERS[kind]
    if origin.source:  # the file is the whole truth about its source
        writer.replaces(kind, MODELS[kind].source == origin.source)
    for where, record in read_csv(path, REQUIRED[kind], encoding):
        row = build(record, where, origin, areas)
        if kind == "service" and (warning := unreadable_hours(row, where)):
            writer.warn(warning)
        await writer.add(kind, row, where)
