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
