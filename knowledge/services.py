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

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import STOP_WORDS, normalize
from bot.yamlfile import load_file
from knowledge.geo import EARTH_RADIUS_M, distance_m
from knowledge.models import Service
from knowledge.search import (
    CANDIDATES,
    correct,
    matched_words,
    query_words,
    relevant,
    rows_of,
    search,
)

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


# The distinct categories by skipping along the (category, …) index: one probe per category,
# not a scan of every service (SELECT DISTINCT reads them all on PostgreSQL).
_CATEGORIES = text(
    "WITH RECURSIVE c(category) AS (SELECT min(category) FROM kb_services UNION ALL "
    "SELECT (SELECT min(category) FROM kb_services WHERE category > c.category) FROM c "
    "WHERE c.category IS NOT NULL) SELECT category FROM c WHERE category IS NOT NULL")


async def _categories(session: AsyncSession) -> list[str]:
    return list((await session.scalars(_CATEGORIES)).all())


@cache
def _residents_words() -> dict[str, tuple[str, ...]]:
    """Category (folded) → the words residents use for it (``service_kinds.yaml``)."""
    kinds = load_file(KINDS_FILE)
    return {normalize(category): tuple(normalize(word) for word in words)
            for category, words in kinds.items()}


def _names_of(category: str) -> str:
    """The category and the words residents use for it, folded."""
    return normalize(" ".join((category.replace("_", " "), *_residents_words().get(normalize(category), ()))))


def _named(category: str, words: tuple[str, ...]) -> int:
    """How many words the request uses to name the category: every word of the category or
    of one of its residents' names, spelt close enough ("supermarche" names ``supermarket``,
    "boulangerie" names ``bakery``); 0 if it does not name it."""
    joined = " ".join(words)
    best = 0
    for name in (category.replace("_", " "), *_residents_words().get(normalize(category), ())):
        own = tuple(word for word in normalize(name).split() if word not in STOP_WORDS)
        if own and len(matched_words(own, joined, "")) == len(own):
            best = max(best, len(own))
    return best


async def asked_kind(session: AsyncSession, request: str, ignore: frozenset[str]) -> Kind:
    """The services a request asks for. A request that only names categories ("pharmacie la
    plus proche") is those categories, without a full-text search; one with other words too
    ("piscine Léo Lagrange") also gets the services its words match."""
    words = tuple(await correct(session, query_words(request, ignore)))
    named = {category: count for category in await _categories(session)
             if category and (count := _named(category, words))}
    categories = _most_specific(named)
    names = " ".join(_names_of(category) for category in categories)
    if categories and len(matched_words(words, names, "")) == len(words):
        return Kind((), categories)
    hits = relevant(await search(session, request, ("service",), limit=CANDIDATES, ignore=ignore))
    return Kind(tuple(await rows_of(session, Service, hits)), categories)


def _most_specific(named: dict[str, int]) -> frozenset[str]:
    """The categories named with the most words: "mairie annexe" names ``mairie annexe`` and
    ``mairie``, and asks for the first; "restauration rapide" is ``fast_food``, not
    ``restaurant``."""
    most = max(named.values(), default=0)
    return frozenset(category for category, count in named.items() if count == most)


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
