"""Areas from GeoJSON, e.g. the Opendatasoft quartiers export (properties ``libcom``, ``nom``,
``idobj``, ``codcom``), the communes of a metropolis (``toponyme``, ``id_insee``), or any file
whose name property is given (``--name-property LIBQUART``). Names written in capitals are shown
in ordinary case. Features without a geometry are reported and skipped."""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import shapely
import shapely.geometry
from shapely.errors import GEOSException

from bot.text import normalize
from knowledge.importers import ImportFailed, Origin, Writer
from knowledge.models import Area
from knowledge.store import slug

NAME_PROPERTIES = ("toponyme", "nom", "name", "NOM", "libelle")
CITY_PROPERTIES = ("libcom", "commune", "city", "LIBCOM")
CODE_PROPERTIES = ("id_insee", "code_insee", "insee", "idobj", "code", "id")
_SMALL_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "sur", "sous", "en", "et", "aux",
                          "au", "d", "l", "lès", "lez"})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
AREA_TYPES = ("Polygon", "MultiPolygon", "Point")


def _first(properties: dict[str, Any], names: tuple[str, ...]) -> str:
    return next((str(properties[name]).strip() for name in names if properties.get(name)), "")


def readable(name: str) -> str:
    """A name written in capitals in ordinary case: ``LA CHAPELLE-SUR-ERDRE`` → ``La
    Chapelle-sur-Erdre``, ``PRES D'ARENE`` → ``Pres d'Arene`` (other names unchanged)."""
    if not name.isupper():
        return name

    def word(match: re.Match) -> str:
        lower = match.group().lower()
        return lower if match.start() and lower in _SMALL_WORDS else lower.capitalize()

    return _WORD.sub(word, name)


def area_key(names: tuple[str, ...], city: str, name: str) -> str:
    """The key of an area: its city and name, and the name property when it is none of the usual
    ones (``LIBSQUART``): a file read with ``--name-property nom`` keys its areas as without."""
    own = names[0] if names[0] not in NAME_PROPERTIES else ""
    return f"area-{slug(own, city, name)}"


def area_row(properties: dict[str, Any], geometry: dict[str, Any] | None, where: str,
             origin: Origin, names: tuple[str, ...] = NAME_PROPERTIES) -> dict[str, Any] | None:
    """The row of one feature (its name in the first of ``names`` it has), or None when it has
    no geometry. A name property given by the operator (other than the usual ones) is part of
    the key: a sous-quartier (``LIBSQUART``) named like its quartier (``LIBQUART``) does not
    replace it."""
    name = readable(_first(properties, names))
    if not name:
        texts = [key for key, value in properties.items() if isinstance(value, str) and value.strip()]
        hint = f"; give --name-property, one of: {', '.join(texts)}" if texts else ""
        raise ImportFailed(f"{where}: no name (properties {', '.join(names)}){hint}")
    if not geometry:
        return None
    if geometry.get("type") not in AREA_TYPES:
        raise ImportFailed(f"{where} ({name}): geometry type {geometry.get('type')!r} is not an area")
    try:
        shape = shapely.geometry.shape(geometry)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError) as error:
        raise ImportFailed(f"{where} ({name}): unreadable geometry ({error})") from None
    if shape.is_empty:
        return None
    centre = shape if shape.geom_type == "Point" else shape.representative_point()
    city = _first(properties, CITY_PROPERTIES)
    return {
        "key": area_key(names, city, name), "name": name, "city": city,
        "code": _first(properties, CODE_PROPERTIES),
        "geometry": None if shape.geom_type == "Point" else geometry,
        "latitude": round(centre.y, 6), "longitude": round(centre.x, 6),
        "approximate": bool(properties.get("approximate")), **origin.fields(),
    }


async def import_areas(writer: Writer, path: Path, origin: Origin, city: str | None = None,
                       name_property: str | None = None) -> None:
    """Import the features of a GeoJSON file, only those of ``city`` if given, named by
    ``name_property`` if given. The file is the whole truth about its source's areas in the
    cities it covers (named by the same property): an area it no longer has is removed."""
    names = (name_property,) if name_property else NAME_PROPERTIES
    try:
        collection = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFailed(f"{path}: {error}") from None
    except json.JSONDecodeError as error:
        raise ImportFailed(f"{path}: line {error.lineno}: not JSON ({error.msg})") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise ImportFailed(f"{path}: not a GeoJSON FeatureCollection")
    cities: set[str] = set()
    for number, feature in enumerate(features, 1):
        where = f"{path.name}: feature {number}"
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise ImportFailed(f"{where}: not a feature with properties")
        properties = feature["properties"]
        if city and normalize(_first(properties, CITY_PROPERTIES)) != normalize(city):
            continue
        row = area_row(properties, feature.get("geometry"), where, origin, names)
        if row is None:
            writer.warn(f"{where} ({_first(properties, names)}): no geometry, skipped")
            continue
        cities.add(row["city"])
        await writer.add("area", row, where)
    scope = (Area.source == origin.source) & Area.city.in_(cities)
    if names[0] not in NAME_PROPERTIES:
        scope &= Area.key.startswith(area_key(names, "", "").rstrip("-") + "-", autoescape=True)
    writer.replaces("area", scope)
