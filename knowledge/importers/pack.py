"""A city pack: a folder with ``pack.yaml`` (provenance, officials, meetings, datasets) and
files in the importers' formats (areas GeoJSON, plain CSV services/facts/streets, SCDL
deliberations). The demonstration pack shipped in ``knowledge/demo`` is one."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from bot.yamlfile import load_file
from knowledge.importers import ImportFailed, Origin, Writer, parse_date
from knowledge.importers.geojson import import_areas
from knowledge.importers.plain import AreaResolver, import_plain
from knowledge.importers.scdl import import_deliberations, meeting_key
from knowledge.officials import name_keys
from knowledge.store import slug

FILES = ("services", "facts", "streets")


def _origin(header: dict[str, Any], where: str) -> Origin:
    if not header.get("source"):
        raise ImportFailed(f"{where}: no source")
    day = header.get("date")
    return Origin(source=str(header["source"]), source_url=str(header.get("source_url", "")),
                  licence=str(header.get("licence", "")),
                  source_date=day if isinstance(day, dt.date) else parse_date(day, where, "date"),
                  demo=bool(header.get("demo", False)))


def _date(item: dict[str, Any], name: str, where: str) -> dt.date | None:
    value = item.get(name)
    return value if isinstance(value, dt.date) else parse_date(value and str(value), where, name)


def _items(pack: dict[str, Any], section: str, where: str) -> list[dict[str, Any]]:
    items = pack.get(section) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ImportFailed(f"{where}: {section} must be a list of mappings")
    return items


def _required(item: dict[str, Any], names: tuple[str, ...], where: str) -> None:
    missing = [name for name in names if not item.get(name)]
    if missing:
        raise ImportFailed(f"{where}: missing {', '.join(missing)}")


def official_row(item: dict[str, Any], where: str, origin: Origin,
                 areas: AreaResolver) -> dict[str, Any]:
    _required(item, ("first_name", "last_name", "role"), where)
    first, last = str(item["first_name"]), str(item["last_name"])
    return {
        "key": f"official-{slug(str(item.get('id') or ''), last, first)}",
        "first_name": first, "last_name": last, **name_keys(first, last),
        "role": str(item["role"]), "delegations": [str(d) for d in item.get("delegations") or []],
        "areas": [areas.resolve(str(area), None, None, where) for area in item.get("areas") or []],
        "commune_code": str(item.get("commune_code", "")), "commune": str(item.get("commune", "")),
        "email": str(item.get("email", "")), "phone": str(item.get("phone", "")),
        "url": str(item.get("url", "")),
        "mandate_start": _date(item, "mandate_start", where),
        "mandate_end": _date(item, "mandate_end", where),
        "function_start": _date(item, "function_start", where), **origin.fields(),
    }


def meeting_row(item: dict[str, Any], where: str, origin: Origin,
                collectivity: str) -> dict[str, Any]:
    """A meeting; it shares its key with the meeting its SCDL deliberations create."""
    _required(item, ("date", "body"), where)
    day = _date(item, "date", where)
    assert day is not None  # required above
    return {
        "key": meeting_key(collectivity, str(item["body"]), day.isoformat()),
        "kind": "meeting", "title": str(item.get("title") or item["body"]), "date": day,
        "body": str(item["body"]), "subject": "", "text": str(item.get("summary", "")),
        "meeting_key": "", "votes_for": None, "votes_against": None, "votes_abstention": None,
        "url": str(item.get("url", "")), **origin.fields(),
    }


def dataset_row(item: dict[str, Any], where: str, origin: Origin) -> dict[str, Any]:
    _required(item, ("title",), where)
    return {
        "key": f"dataset-{slug(str(item.get('id') or item['title']))}",
        "title": str(item["title"]), "description": str(item.get("description", "")),
        "keywords": [str(k) for k in item.get("keywords") or []],
        "publisher": str(item.get("publisher", "")), "url": str(item.get("url", "")),
        "updated": _date(item, "updated", where), **origin.fields(),
    }


async def import_pack(writer: Writer, folder: Path) -> None:
    manifest = folder / "pack.yaml"
    try:
        pack = load_file(manifest)
    except OSError as error:
        raise ImportFailed(f"{manifest}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ImportFailed(f"{manifest}: not YAML ({error})") from None
    if not isinstance(pack, dict):
        raise ImportFailed(f"{manifest}: expected a mapping")
    origin = _origin(pack, manifest.name)
    if pack.get("areas"):
        await import_areas(writer, folder / pack["areas"], origin)
        await writer.finish()  # later rows refer to areas by name
    areas = await AreaResolver.load(writer.session)
    for kind in FILES:
        if pack.get(kind):
            await import_plain(writer, kind.rstrip("s"), folder / pack[kind], origin, areas=areas)
    if pack.get("deliberations"):
        await import_deliberations(writer, folder / pack["deliberations"], origin)
    for number, item in enumerate(_items(pack, "officials", manifest.name), 1):
        await writer.add("official", official_row(item, f"{manifest.name}: official {number}",
                                                  origin, areas))
    for number, item in enumerate(_items(pack, "meetings", manifest.name), 1):
        await writer.add("document", meeting_row(item, f"{manifest.name}: meeting {number}",
                                                 origin, str(pack.get("collectivity", ""))))
    for number, item in enumerate(_items(pack, "datasets", manifest.name), 1):
        await writer.add("dataset", dataset_row(item, f"{manifest.name}: dataset {number}", origin))
    await writer.finish()
