"""Geography: which area a point lies in, streets to areas, and distances."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
import shapely.geometry
from rapidfuzz import fuzz, process
from shapely import STRtree
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import normalize
from knowledge.cache import kept
from knowledge.models import Area, Street

EARTH_RADIUS_M = 6_371_000
NEAREST_CENTRE_M = 1500  # a point-only area claims points this close to its centre
STREET_MATCH = 85


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class AreaShape:
    key: str
    latitude: float
    longitude: float


class AreaIndex:
    """Point-in-polygon over the areas' outlines (an R-tree), with nearest centre as fallback."""

    def __init__(self, areas: list[Area]) -> None:
        self._polygons: list[tuple[str, shapely.Geometry]] = []
        self._points: list[AreaShape] = []
        for area in areas:
            if area.geometry:
                self._polygons.append((area.key, shapely.geometry.shape(area.geometry)))
            elif area.latitude is not None and area.longitude is not None:
                self._points.append(AreaShape(area.key, area.latitude, area.longitude))
        self._tree = STRtree([shape for _key, shape in self._polygons])

    def locate(self, latitude: float, longitude: float) -> str | None:
        """The key of the area containing the point (the smallest, where areas overlap: the
        quartier rather than its commune), or None."""
        point = shapely.Point(longitude, latitude)
        containing = [self._polygons[int(position)] for position in
                      self._tree.query(point, predicate="intersects")]
        if containing:
            return min(containing, key=lambda polygon: polygon[1].area)[0]
        near = [(distance_m(latitude, longitude, shape.latitude, shape.longitude), shape.key)
                for shape in self._points]
        near = [pair for pair in near if pair[0] <= NEAREST_CENTRE_M]
        return min(near)[1] if near else None


_cache: dict[str, tuple[tuple, AreaIndex]] = {}


async def area_index(session: AsyncSession) -> AreaIndex:
    """The index of all areas, rebuilt only when the areas changed (in any process)."""
    signature = tuple((await session.execute(
        select(func.count(Area.id), func.max(Area.updated_at)))).one())
    cache_key = str(session.get_bind().engine.url)
    cached = _cache.get(cache_key)
    if cached and cached[0] == signature:
        return cached[1]
    index = AreaIndex(list((await session.scalars(select(Area))).all()))
    _cache[cache_key] = (signature, index)
    return index


async def area_at(session: AsyncSession, latitude: float, longitude: float) -> Area | None:
    key = (await area_index(session)).locate(latitude, longitude)
    return await area_by_key(session, key) if key else None


@kept
async def area_by_key(session: AsyncSession, key: str) -> Area | None:
    return await session.scalar(select(Area).where(Area.key == key))


async def street_named(session: AsyncSession, name: str) -> Street | None:
    """The known street closest to ``name`` ("12 rue de la Paix" finds "Rue de la Paix"), or
    named in a sentence that says it is a street ("je suis rue du general buat", "Victor Hugo
    boulevard")."""
    words = normalize(name).split()
    while words and (words[0].isdigit() or words[0] in ("bis", "ter")):
        words = words[1:]
    folded = " ".join(words)
    if not folded:
        return None
    streets = (await session.execute(select(Street.name_key, Street.id))).all()
    best = process.extractOne(folded, {street_id: key for key, street_id in streets},
                              scorer=fuzz.ratio, score_cutoff=STREET_MATCH)
    if best is None and STREET_WORDS & set(words):
        best = _street_in(folded, streets)
    return await session.get(Street, best[2]) if best else None


STREET_WORDS = frozenset({
    "rue", "bd", "boulevard", "bld", "av", "ave", "avenue", "quai", "cours", "route", "rte", "place",
    "pl", "allee", "impasse", "chemin", "square", "passage", "street", "st", "road", "rd", "lane"})
_LINKS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "a", "au", "aux", "the", "of"})
_PROPER_MIN = 4  # a street's own words ("Rennes" in "Rue de Rennes") shorter than this are too vague
PROPER_MATCH = 90


def proper_words(name_key: str) -> str:
    """A street's own words, without its kind and links: "rue du general buat" → "general buat"."""
    return " ".join(word for word in name_key.split() if word not in STREET_WORDS | _LINKS)


def _street_in(folded: str, streets: Sequence[Row[tuple[str, int]]]) -> tuple[str, float, int] | None:
    """The street whose own words the sentence contains (typos tolerated), the longest first."""
    found = []
    for key, street_id in streets:
        proper = proper_words(key)
        if len(proper) >= _PROPER_MIN:
            score = fuzz.partial_ratio(proper, folded)
            if score >= PROPER_MATCH:
                found.append((score, len(proper), key, street_id))
    if not found:
        return None
    score, _length, key, street_id = max(found)
    return key, score, street_id
