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

from rapidfuzz.distance import Levenshtein
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import STOP_WORDS, normalize
from bot.yamlfile import load_file
from knowledge.cache import kept
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
_LONG_WORD = 6  # a word of a category's name this long may be misspelt by one letter


@dataclass(frozen=True)
class Kind:
    """What a request asks for: the services its words match, and the categories it names."""

    matches: tuple[Service, ...]
    categories: frozenset[str]
    named: frozenset[str] = frozenset()  # the keys of the places named beyond their category

    def __bool__(self) -> bool:
        return bool(self.matches or self.categories)


# The distinct categories by skipping along the (category, …) index: one probe per category,
# not a scan of every service (SELECT DISTINCT reads them all on PostgreSQL).
_CATEGORIES = text(
    "WITH RECURSIVE c(category) AS (SELECT min(category) FROM kb_services UNION ALL "
    "SELECT (SELECT min(category) FROM kb_services WHERE category > c.category) FROM c "
    "WHERE c.category IS NOT NULL) SELECT category FROM c WHERE category IS NOT NULL")


@kept
async def _categories(session: AsyncSession) -> list[str]:
    """The services' categories (kept: a message the NLU could not place asks for them)."""
    return list((await session.scalars(_CATEGORIES)).all())


@cache
def _residents_words() -> dict[str, tuple[str, ...]]:
    """Category (folded) → the words residents use for it (``service_kinds.yaml``)."""
    kinds = load_file(KINDS_FILE)
    return {normalize(category): tuple(normalize(word) for word in words)
            for category, words in kinds.items()}


@cache
def _category_names(category: str) -> tuple[tuple[str, ...], ...]:
    """The ways to name a category, as folded word tuples without stop words."""
    names = (category.replace("_", " "), *_residents_words().get(normalize(category), ()))
    return tuple(own for name in names
                 if (own := tuple(word for word in normalize(name).split() if word not in STOP_WORDS)))


def _same_word(own: str, word: str) -> bool:
    """Whether a request's word is this word of a category's name: the same, a plural of it,
    or one slip away in a long word ("boulangrie") that names no kind itself — never merely
    its start ("station" is not "stationery"), nor another kind's word ("glacier" is not a
    "glazier")."""
    if own == word or _singular(own) == _singular(word):
        return True
    return (min(len(own), len(word)) >= _LONG_WORD and own[0] == word[0]
            and word not in _kind_words() and Levenshtein.distance(own, word) <= 1)


@cache
def _kind_words() -> frozenset[str]:
    """Every word of the residents' names of kinds (folded)."""
    return frozenset(word for words in _residents_words().values() for name in words
                     for word in name.split())


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def _named(category: str, words: tuple[str, ...]) -> int:
    """How many of the request's words name the category, through names of it written whole
    ("boulangerie" names ``bakery``; "station essence" names ``fuel`` with two words, "où jeter
    un meuble" the recycling centre with two); 0 if none does."""
    covering: set[str] = set()
    for own in _category_names(category):
        used = [next((word for word in words if _same_word(part, word)), None) for part in own]
        if all(used):
            covering.update(word for word in used if word)
    return len(covering)


async def asked_kind(session: AsyncSession, request: str, ignore: frozenset[str]) -> Kind:
    """The services a request asks for. A request that only names categories ("pharmacie la
    plus proche") is those categories, with first the services whose name holds its words
    ("horaires du Bookshop"); one with other words too ("piscine Léo Lagrange") also gets the
    services of those categories its words match, and the others whose name holds every word
    ("garer mon vélo" is not the Pharmacie de la Gare). A request that only names a kind no
    service has ("bibliothèque", "police station") gets the services whose name or keywords
    hold every word, except those of another kind ("bibliothèque" is not the Pharmacie de la
    Grande Bibliothèque). Categories are named by the resident's own words, before any
    spelling correction against the index ("chaussures" is not "chaussée"), and a kind's word
    is never corrected ("glacier" is not the index's "glaziery")."""
    written = tuple(query_words(request, ignore))
    words = tuple(await correct(session, [word for word in written if word not in _kind_words()]))
    both = tuple(dict.fromkeys(written + words))
    named = {category: count for category in await _categories(session)
             if category and (count := _named(category, both))}
    categories = _most_specific(named)
    hits = relevant(await search(session, request, ("service",), limit=CANDIDATES, ignore=ignore))
    whole = {hit.key for hit in hits if len(matched_words(hit.words, hit.title, "")) == len(hit.words)}
    services = await rows_of(session, Service, hits)
    if categories:
        only_names = _only_names(written, categories)  # then only services so named
        services = [service for service in services if service.key in whole or (
            not only_names and service.category in categories)]
        if not only_names:  # "le resto du Père Soulas": that place
            return Kind(tuple(services), categories, frozenset(whole))
    elif _only_names(written, _kinds_named(written)):
        asked = {hit.key: hit.words for hit in hits}
        services = [service for service in services
                    if (service.key in whole or _in_keywords(asked[service.key], service))
                    and not _other_kind(service.category, written)]
    return Kind(tuple(services), categories)


def _in_keywords(words: tuple[str, ...], service: Service) -> bool:
    """Whether the service's keywords hold every word (not its address: "la poste" is not
    every service of a "place de la Poste")."""
    return len(matched_words(words, normalize(" ".join(service.keywords)), "")) == len(words)


def _kinds_named(words: tuple[str, ...]) -> frozenset[str]:
    """The kinds of ``service_kinds.yaml`` the words name, whether any service has them or not."""
    return frozenset(kind for kind in _residents_words() if _named(kind, words))


@cache
def _kinds_called() -> dict[str, frozenset[str]]:
    """A folded category → the kinds of ``service_kinds.yaml`` it is: its own, or those a
    residents' word names (a file's ``pharmacie`` is ``pharmacy``)."""
    called: dict[str, set[str]] = {}
    for kind, words in _residents_words().items():
        for name in (kind, *words):
            called.setdefault(name, set()).add(kind)
    return {name: frozenset(kinds) for name, kinds in called.items()}


def _other_kind(category: str | None, words: tuple[str, ...]) -> bool:
    """Whether the category is a kind of ``service_kinds.yaml`` that none of the words names
    even in part ("mairie" names a ``mairie annexe``, "bibliothèque" no ``pharmacie``)."""
    kinds = _kinds_called().get(normalize(category or ""), frozenset())
    return bool(kinds) and not any(_same_word(part, word) for kind in kinds
                                   for own in _category_names(kind) for part in own for word in words)


def _only_names(words: tuple[str, ...], categories: frozenset[str]) -> bool:
    """Whether every word of the request is part of a name of one of the categories."""
    return all(any(_same_word(part, word) for category in categories
                   for own in _category_names(category) for part in own) for word in words)


def _most_specific(named: dict[str, int]) -> frozenset[str]:
    """The categories named with the most words: "mairie annexe" names ``mairie annexe`` and
    ``mairie``, and asks for the first; "restauration rapide" is ``fast_food``, not
    ``restaurant``."""
    most = max(named.values(), default=0)
    return frozenset(category for category, count in named.items() if count == most)


async def all_of(session: AsyncSession, kind: Kind) -> list[Service]:
    """Every service of the kind: the text matches of the categories asked first, then the
    rest of those categories, then the other text matches ("la mairie" is the Hôtel de Ville,
    category ``mairie``, before the ``mairie annexe`` services its name matches)."""
    if not kind.categories:
        return _once(list(kind.matches))
    rows = await session.scalars(select(Service).where(Service.category.in_(kind.categories))
                                 .order_by(Service.name))
    ordered = [service for service in kind.matches if service.category in kind.categories]
    ordered += [*rows, *kind.matches]
    return _once(list({service.key: service for service in ordered}.values()))


def _once(services: list[Service]) -> list[Service]:
    """The services, a place that two sources publish alike (same name, and same position or
    address: two OpenStreetMap extracts) listed once, the first given kept."""
    seen, kept = set(), []
    for service in services:
        where = ((round(service.latitude, 4), round(service.longitude, 4))
                 if service.latitude is not None and service.longitude is not None
                 else normalize(service.address))
        if (normalize(service.name), where) not in seen:
            seen.add((normalize(service.name), where))
            kept.append(service)
    return kept


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
    return _once(ranked)[:limit]


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
