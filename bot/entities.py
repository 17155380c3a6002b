"""Entity extraction hooks.

An extractor looks at a message and returns the entities it recognises, e.g.
``{"date": "2026-11-23"}``. The core ships topic extractors and :func:`bot.dates.date_extractor`;
the knowledge base adds neighbourhoods and addresses (see ``knowledge``) by calling :meth:`EntityExtractors.add`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.text import normalize, stem

# (raw text, normalised text) -> entities found
Extractor = Callable[[str, str], dict[str, Any]]
_ACRONYM = 3  # a one-word name this short ("plu", "ess") is not inflected: "plus" does not name it


def _stems(normalized: str) -> str:
    return " ".join(stem(word) for word in normalized.split())


def topic_extractor(topics: list[str], synonyms: dict[str, list[str]] | None = None) -> Extractor:
    """An extractor that finds the first configured topic (or one of its synonyms) named,
    whatever the inflection (``piscines`` finds ``piscine``); an acronym only as written."""
    names: list[tuple[str, str, bool]] = []
    for topic in topics:
        for word in (topic, *(synonyms or {}).get(topic, [])):
            folded = normalize(word)
            acronym = len(folded) <= _ACRONYM
            names.append((folded if acronym else _stems(folded), topic, acronym))
    names.sort(key=lambda name: -len(name[0]))

    def extract(_text: str, normalized: str) -> dict[str, Any]:
        padded, stems = f" {normalized} ", f" {_stems(normalized)} "
        for name, topic, acronym in names:
            if name and f" {name} " in (padded if acronym else stems):
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
