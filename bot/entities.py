"""Entity extraction hooks.

An extractor looks at a message and returns the entities it recognises, e.g.
``{"date": "2026-11-23"}``. The core ships date and topic extractors; the knowledge base adds
neighbourhoods and addresses (see ``knowledge``) by calling :meth:`EntityExtractors.add`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bot.text import normalize

# (raw text, normalised text) -> entities found
Extractor = Callable[[str, str], dict[str, Any]]

_RELATIVE_DAYS = {"aujourd hui": 0, "aujourdhui": 0, "today": 0, "demain": 1, "tomorrow": 1,
                  "hier": -1, "yesterday": -1, "apres demain": 2}
_WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def extract_date(text: str, normalized: str, today: date | None = None) -> dict[str, Any]:
    """A day (ISO string) from relative words, weekdays or numeric dates; or a bare year."""
    today = today or date.today()
    for match in (_ISO_DATE.search(text), _NUMERIC_DATE.search(text)):
        if match:
            parts = [int(part) for part in match.groups()]
            year, month, day = parts if match.re is _ISO_DATE else (parts[2], parts[1], parts[0])
            try:
                return {"date": date(year, month, day).isoformat()}
            except ValueError:
                return {}
    padded = f" {normalized} "
    for words, offset in _RELATIVE_DAYS.items():
        if f" {words} " in padded:
            return {"date": (today + timedelta(days=offset)).isoformat()}
    for word in normalized.split():
        if word in _WEEKDAYS:
            ahead = (_WEEKDAYS[word] - today.weekday()) % 7
            return {"date": (today + timedelta(days=ahead)).isoformat(), "weekday": word}
    year = _YEAR.search(normalized)
    return {"year": int(year.group(1))} if year else {}


def topic_extractor(topics: list[str], synonyms: dict[str, list[str]] | None = None) -> Extractor:
    """An extractor that finds the first configured topic (or one of its synonyms) named."""
    names: list[tuple[str, str]] = []
    for topic in topics:
        names.append((normalize(topic), topic))
        names += [(normalize(word), topic) for word in (synonyms or {}).get(topic, [])]
    names.sort(key=lambda pair: -len(pair[0]))

    def extract(_text: str, normalized: str) -> dict[str, Any]:
        padded = f" {normalized} "
        for name, topic in names:
            if f" {name} " in padded:
                return {"topic": topic}
        return {}

    return extract


class EntityExtractors:
    """The ordered set of extractors the NLU runs on every message."""

    def __init__(self, extractors: list[Extractor] | None = None) -> None:
        self._extractors: list[Extractor] = list(extractors or [])

    def add(self, extractor: Extractor) -> None:
        self._extractors.append(extractor)

    def extract(self, text: str, normalized: str) -> dict[str, Any]:
        entities: dict[str, Any] = {}
        for extractor in self._extractors:
            for key, value in extractor(text, normalized).items():
                entities.setdefault(key, value)
        return entities
