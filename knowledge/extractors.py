"""Entity extractors for neighbourhoods (typo-tolerant) and addresses.

``area_extractor`` finds a quartier named in a message, also by one of its parts
("Malakoff" for "Malakoff - Saint-Donatien") and with typos: ``{"area": name, "area_key": key}``.
``extract_address`` finds a street address: ``{"address": "12 rue de Strasbourg"}``.
"""
from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.entities import Extractor
from bot.text import normalize

AREA_MATCH = 86  # rapidfuzz ratio between an area's name and the same number of words
_EXACT_BELOW = 5  # aliases shorter than this must be written exactly
_FOUND_KEPT = 2_048  # the areas found in the messages seen last
_PARTS = re.compile(r"\s+-\s+|/")
_STREET_TYPES = (r"rue|avenue|av\.?|boulevard|bd|place|quai|all[ée]e|impasse|chemin|route|cours|"
                 r"square|passage|mail|esplanade|rond-point|venelle|sentier")
_ADDRESS = re.compile(
    rf"(?:\b(\d{{1,4}})\s*(?:bis|ter)?\s*,?\s+)?\b({_STREET_TYPES})\s+"
    r"((?:(?:de\s+la|de\s+l['’]|du|des|de|d['’]|l['’]|la|le)\s*)?"
    r"[\w'’-]+(?:\s+(?!(?:à|a|au|en|pour|svp|merci|nantes)\b)[\w'’-]+){0,4})",
    re.IGNORECASE,
)


def area_aliases(name: str, city: str = "") -> list[str]:
    """The folded ways to name an area: its full name and each of its parts."""
    aliases = {normalize(name)}
    aliases.update(normalize(part) for part in _PARTS.split(name))
    return [alias for alias in aliases if alias and alias != normalize(city)]


def area_extractor(areas: list[tuple[str, str, str]]) -> Extractor:
    """An extractor over (key, name, city) areas: the closest alias wins, then the longest,
    then the first named."""
    aliases = [(alias, key, name) for key, name, city in areas for alias in area_aliases(name, city)]
    by_size: dict[int, list[int]] = {}  # words in an alias -> the aliases' indexes
    for index, (alias, _key, _name) in enumerate(aliases):
        by_size.setdefault(len(alias.split()), []).append(index)
    names_by_size = {size: [aliases[index][0] for index in indexes] for size, indexes in by_size.items()}

    def extract(_text: str, normalized: str) -> dict[str, Any]:
        return dict(found(normalized))

    @functools.lru_cache(maxsize=_FOUND_KEPT)  # residents write the same messages again and again
    def found(normalized: str) -> dict[str, Any]:
        words = normalized.split()
        best: tuple[float, int, int, int] | None = None  # score, length, -alias, -start
        for size, indexes in by_size.items():
            windows = [" ".join(words[start:start + size]) for start in range(len(words) - size + 1)]
            if not windows:
                continue
            scores = process.cdist(windows, names_by_size[size],
                                   scorer=fuzz.ratio, score_cutoff=AREA_MATCH, workers=1)
            for start, column in zip(*np.nonzero(scores), strict=True):
                index = indexes[column]
                alias = aliases[index][0]
                if len(alias) < _EXACT_BELOW and windows[start] != alias:
                    continue
                candidate = (float(scores[start, column]), len(alias), -index, -int(start))
                best = max(best, candidate) if best else candidate
        if best is None:
            return {}
        _alias, key, name = aliases[-best[2]]
        return {"area": name, "area_key": key}

    return extract


def extract_address(text: str, _normalized: str) -> dict[str, Any]:
    """A street address: a number is optional, a capitalised street name is not (so that "une
    place en crèche" is not taken for a square)."""
    for match in _ADDRESS.finditer(text):
        number, kind, name = match.groups()
        name_words = [word for word in re.split(r"\s+", name)
                      if word.lower() not in ("de", "la", "le", "du", "des")]
        capitalised = bool(name_words) and name_words[0][:1].isupper()
        if number or capitalised:
            address = " ".join(part for part in (number, kind, name) if part)
            return {"address": re.sub(r"\s+", " ", address).strip(" ,.?!")}
    return {}
