"""Which services answer a request, and which of them is nearest.

The full-text search finds the services whose words match; the *kind* asked for is then every
service of the categories those words name ("pharmacie" → category ``pharmacie``), so that
"the nearest pharmacy" is the nearest of all pharmacies, not of the ten best text matches. A
category only counts when the request's words name it: a pool filed under "sport" does not
make every gym a pool.

The nearest are found with a bounding-box prefilter on the indexed (category, latitude,
longitude) columns, widened until enough services lie within the box's inscribed circle, then
ranked by exact haversine distance — the same statements on SQLite and PostgreSQL.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import STOP_WORDS, normalize
from bot.yamlfile import load_file
from knowledge.geo import EARTH_RADIUS_M, distance_m
from knowledge.models import Service
from knowledge.search import CANDIDATES, matched_words, query_words, relevant, rows_of, search

FIRST_RADIUS_M = 1_000.0
KINDS_FILE = Path(__file__).parent / "service_kinds.yaml"
_METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


@dataclass(frozen=True)
class Kind:
    """What a request asks for: the services its words match, and the categories it names."""

    matches: tuple[Service, ...]
    categories: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.matches or self.categories)


async def _categories(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(Service.category).distinct())).all())


@cache
def _residents_words() -> dict[str, tuple[str, ...]]:
    """OSM category → the words residents use for it (``service_kinds.yaml``)."""
    kinds = load_file(KINDS_FILE)
    return {category: tuple(normalize(word) for word in words) for category, words in kinds.items()}


def _names(category: str, words: tuple[str, ...]) -> bool:
    """Whether the request's words name the category: every word of the category or of one
    of its residents' names, spelt close enough ("supermarche" names ``supermarket``,
    "boulangerie" names ``bakery``; "mairie" does not name ``mairie annexe``)."""
    joined = " ".join(words)
    for name in (category.replace("_", " "), *_residents_words().get(category, ())):
        own = tuple(word for word in normalize(name).split() if word not in STOP_WORDS)
        if own and len(matched_words(own, joined, "")) == len(own):
            return True
    return False


async def asked_kind(session: AsyncSession, request: str, ignore: frozenset[str]) -> Kind:
    hits = relevant(await search(session, request, ("service",), limit=CANDIDATES, ignore=ignore))
    words = hits[0].words if hits else tuple(query_words(request, ignore))
    categories = frozenset(category for category in await _categories(session)
                           if category and _names(category, words))
    return Kind(tuple(await rows_of(session, Service, hits)), categories)


async def all_of(session: AsyncSession, kind: Kind) -> list[Service]:
    """Every service of the kind: the text matches first, then the rest of their categories."""
    services = list(kind.matches)
    if kind.categories:
        seen = {service.key for service in services}
        rows = await session.scalars(select(Service).where(Service.category.in_(kind.categories))
                                     .order_by(Service.name))
        services += [service for service in rows if service.key not in seen]
    return services


def distance_to(service: Service, latitude: float, longitude: float) -> float:
    """Metres from the point, infinite for a service without a position."""
    if service.latitude is None or service.longitude is None:
        return math.inf
    return distance_m(latitude, longitude, service.latitude, service.longitude)


async def nearest(session: AsyncSession, kind: Kind, latitude: float, longitude: float,
                  limit: int) -> list[Service]:
    """The ``limit`` services of the kind nearest to the point, nearest first."""
    found = {service.key: service for service in kind.matches}
    radius = FIRST_RADIUS_M
    while kind.categories:
        box = _box(latitude, longitude, radius)
        rows = await session.scalars(select(Service).where(
            Service.category.in_(kind.categories), *box))
        found.update((service.key, service) for service in rows)
        within = sum(distance_to(service, latitude, longitude) <= radius
                     for service in found.values())
        if within >= limit or not box:
            break
        radius *= 4
    ranked = sorted(found.values(), key=lambda service: distance_to(service, latitude, longitude))
    return ranked[:limit]


def _box(latitude: float, longitude: float, radius: float) -> tuple:
    """The conditions of the box holding every point within ``radius`` metres (none: the
    box would cover a pole or half the earth, so every position is a candidate)."""
    half_height = radius / _METRES_PER_DEGREE
    if abs(latitude) + half_height >= 89 or half_height >= 45:
        return ()
    half_width = half_height / math.cos(math.radians(abs(latitude) + half_height))
    if half_width >= 180:
        return ()
    return (Service.latitude.between(latitude - half_height, latitude + half_height),
            Service.longitude.between(longitude - half_width, longitude + half_width))
