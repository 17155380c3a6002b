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

from bot.text import normalize, stem

# (raw text, normalised text) -> entities found
Extractor = Callable[[str, str], dict[str, Any]]

_RELATIVE_DAYS = {"aujourd hui": 0, "aujourdhui": 0, "today": 0, "ce soir": 0, "tonight": 0,
                  "apres demain": 2, "day after tomorrow": 2, "demain": 1, "tomorrow": 1,
                  "avant hier": -2, "day before yesterday": -2, "hier": -1, "yesterday": -1}
_WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}
_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "janv": 1, "fev": 2, "fevr": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11,
    "dec": 12, "jan": 1, "feb": 2, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# "12 mars 2024", "1er mai", "march 12th, 2024" (on normalised text: no accents, no punctuation)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)? ({_MONTH_NAMES})\b(?: (\d{{4}}))?")
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAMES}) (\d{{1,2}})(?:st|nd|rd|th)?\b(?: (\d{{4}}))?")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_NAMES}) (\d{{4}})\b")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def _day(year: int | None, month: int, day: int, today: date) -> dict[str, Any]:
    """The ISO date, in the given year or else this year; nothing for an impossible date."""
    try:
        return {"date": date(year or today.year, month, day).isoformat()}
    except ValueError:
        return {}


def _numeric_date(text: str, today: date) -> dict[str, Any] | None:
    iso = _ISO_DATE.search(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        return _day(year, month, day, today)
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
        day_digits, month_digits, year_digits = numeric.groups()
        full_year = None if year_digits is None else int(year_digits) + (2000 if len(year_digits) == 2 else 0)
        return _day(full_year, int(month_digits), int(day_digits), today)
    return None


def _named_date(normalized: str, today: date) -> dict[str, Any] | None:
    day_month = _DAY_MONTH.search(normalized)
    if day_month:
        day, month, year = day_month.groups()
        return _day(int(year) if year else None, _MONTHS[month], int(day), today)
    month_day = _MONTH_DAY.search(normalized)
    if month_day:
        month, day, year = month_day.groups()
        return _day(int(year) if year else None, _MONTHS[month], int(day), today)
    month_year = _MONTH_YEAR.search(normalized)
    if month_year:
        month, year = month_year.groups()
        return {"month": f"{int(year):04d}-{_MONTHS[month]:02d}"}
    return None


def extract_date(text: str, normalized: str, today: date | None = None) -> dict[str, Any]:
    """A day (ISO string) from numeric dates, day and month names, relative words or weekdays;
    else a month (``"2024-03"``) or a bare year."""
    today = today or date.today()
    found = _numeric_date(text, today)
    if found is None:
        found = _named_date(normalized, today)
    if found is not None:
        return found
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


def _stems(normalized: str) -> str:
    return " ".join(stem(word) for word in normalized.split())


def topic_extractor(topics: list[str], synonyms: dict[str, list[str]] | None = None) -> Extractor:
    """An extractor that finds the first configured topic (or one of its synonyms) named,
    whatever the inflection (``piscines`` finds ``piscine``)."""
    names: list[tuple[str, str]] = []
    for topic in topics:
        names.append((_stems(normalize(topic)), topic))
        names += [(_stems(normalize(word)), topic) for word in (synonyms or {}).get(topic, [])]
    names.sort(key=lambda pair: -len(pair[0]))

    def extract(_text: str, normalized: str) -> dict[str, Any]:
        padded = f" {_stems(normalized)} "
        for name, topic in names:
            if name and f" {name} " in padded:
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
