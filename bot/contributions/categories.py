"""Report categories: the back end's Open311 services, fetched and cached, or a local list.

The service list is kept in memory for an hour and in the database (``connector_state``), so a
restart while the back end is down still offers the city's own categories. When there is no
back end, or it has never answered, a sensible local list (labels in the catalog) is used; such
a report is matched to the closest Open311 service when it is forwarded.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.db import utcnow
from bot.models import ConnectorState
from bot.text import normalize, stem
from connectors.open311 import Attribute, Open311Client, Open311Error, Service, attribute_from_json, service_from_json

if TYPE_CHECKING:
    from bot.app import CivicBot

log = logging.getLogger(__name__)

LOCAL_PREFIX = "local:"
LOCAL_CODES = ("voirie", "eclairage", "proprete", "tags", "espaces_verts", "vehicule",
               "signalisation", "eau", "mobilier", "autre")
CACHE_SECONDS = 3600.0
RETRY_SECONDS = 60.0
MATCH_THRESHOLD = 80.0
_SERVICES_KEY = "open311.services"


@dataclass(frozen=True)
class Category:
    code: str  # the Open311 service_code, or "local:<code>"
    label: str
    group: str = ""
    keywords: tuple[str, ...] = ()
    has_metadata: bool = False

    @property
    def local(self) -> bool:
        return self.code.startswith(LOCAL_PREFIX)


_memory: dict[str, tuple[float, object]] = {}


def clear_cache() -> None:
    _memory.clear()


def client_for(bot: CivicBot, timeout: float = 10.0) -> Open311Client:
    settings = bot.settings
    return Open311Client(settings.open311_url, settings.open311_api_key,
                         settings.open311_jurisdiction_id, timeout=timeout)


async def _cached(bot: CivicBot, key: str, fetch, retry: bool = False) -> list[dict] | None:
    """A JSON list from memory, else from the back end (kept in the database), else the database.

    A back end that does not answer is asked again only after ``RETRY_SECONDS``, so that a
    resident does not wait for its timeout at every step (``retry`` asks again at once).
    """
    now = time.monotonic()
    memory_key = f"{bot.settings.open311_url}|{key}"
    hit = _memory.get(memory_key)
    if hit and now < hit[0] and not (retry and not hit[1]):
        return hit[1]  # type: ignore[return-value]
    try:
        async with client_for(bot) as client:
            value = await fetch(client)
    except Open311Error as error:
        log.warning("open311: %s unavailable (%s); using the stored copy", key, error)
        async with bot.sessions() as session:
            stored = await session.get(ConnectorState, key)
        value = json.loads(stored.value) if stored else None
        _memory[memory_key] = (now + RETRY_SECONDS, value)
        return value
    _memory[memory_key] = (now + CACHE_SECONDS, value)
    async with bot.sessions() as session:
        stored = await session.get(ConnectorState, key)
        if stored is None:
            session.add(ConnectorState(key=key, value=json.dumps(value, ensure_ascii=False)))
        else:
            stored.value, stored.updated_at = json.dumps(value, ensure_ascii=False), utcnow()
        await session.commit()
    return value


async def open311_services(bot: CivicBot, retry: bool = False) -> list[Service]:
    if not bot.settings.open311_url:
        return []

    async def fetch(client: Open311Client) -> list[dict]:
        return [service.as_json() for service in await client.services()]

    return [service_from_json(item) for item in await _cached(bot, _SERVICES_KEY, fetch, retry) or []]


async def service_attributes(bot: CivicBot, service_code: str) -> list[Attribute]:
    """The questions the service definition asks (only the variable ones matter to residents)."""
    async def fetch(client: Open311Client) -> list[dict]:
        return [attribute.as_json() for attribute in await client.service_definition(service_code)]

    items = await _cached(bot, f"open311.definition.{service_code}", fetch) or []
    return [attribute for attribute in map(attribute_from_json, items) if attribute.variable]


def local_categories(bot: CivicBot, lang: str) -> list[Category]:
    catalog = bot.catalog
    return [Category(
        code=LOCAL_PREFIX + code,
        label=catalog.get(f"contributions.category.{code}.label", lang),
        keywords=tuple(catalog.get(f"contributions.category.{code}.keywords", lang).split(",")),
    ) for code in LOCAL_CODES]


async def report_categories(bot: CivicBot, lang: str) -> list[Category]:
    """The back end's services when it has some, else the local list."""
    services = await open311_services(bot)
    if services:
        return [Category(service.code, service.name, service.group, service.keywords,
                         service.has_metadata) for service in services]
    return local_categories(bot, lang)


def match_category(text: str, categories: list[Category]) -> Category | None:
    """The category a resident's words name (typo-tolerant), if one clearly fits."""
    query = normalize(text)
    if not query:
        return None
    names = [(index, normalize(name)) for index, category in enumerate(categories)
             for name in (category.label, *category.keywords)]
    best = process.extractOne(query, [name for _index, name in names if name], scorer=fuzz.WRatio,
                              score_cutoff=MATCH_THRESHOLD)
    if best is None:
        return None
    return categories[[index for index, name in names if name][best[2]]]


# Keywords that say "a problem" rather than which one: they never choose a category alone.
_GENERIC = frozenset({"autre", "probleme", "divers", "other", "problem", "issue", "misc"})
_SAME_WORD = 88.0  # a keyword written with a typo ("lampadère") still names its category


def category_named_in(request: str, categories: list[Category]) -> Category | None:
    """The one category that a whole request names by a keyword ("signaler un lampadaire en
    panne"), or None when none or several do: then the resident chooses."""
    words = normalize(request).split()
    named = {category.code: category for category in categories
             if any(_said(keyword, words) for keyword in _keywords(category))}
    return next(iter(named.values())) if len(named) == 1 else None


def _keywords(category: Category) -> list[str]:
    return [folded for keyword in category.keywords
            if (folded := normalize(keyword)) and folded not in _GENERIC]


def _said(keyword: str, words: list[str]) -> bool:
    """A keyword among words: a phrase word for word, a single word inflected ("des tags")
    or typo-tolerantly."""
    if " " in keyword:
        return f" {keyword} " in f" {' '.join(words)} "
    return (stem(keyword) in {stem(word) for word in words}
            or len(keyword) >= 4 and any(fuzz.ratio(keyword, word) >= _SAME_WORD for word in words))


def closest_service(category: Category, services: list[Service]) -> Service | None:
    """The Open311 service a local category is forwarded to."""
    as_categories = [Category(s.code, s.name, s.group, s.keywords) for s in services]
    words = " ".join((category.label, *category.keywords))
    match = match_category(words, as_categories)
    return next((s for s in services if match and s.code == match.code), None)
