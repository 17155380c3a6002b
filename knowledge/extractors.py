"""Entity extractors for neighbourhoods (typo-tolerant) and addresses.

``area_extractor`` finds a quartier named in a message, also by one of its parts
("Malakoff" for "Malakoff - Saint-Donatien") and with typos: ``{"area": name, "area_key": key}``.
``extract_address`` finds a street address: ``{"address": "12 rue de Strasbourg"}``.
"""
from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

from bot.entities import Extractor
from bot.text import normalize

AREA_MATCH = 86  # rapidfuzz ratio between an area's name and the same number of words
_EXACT_BELOW = 5  # aliases shorter than this must be written exactly
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
    """An extractor over (key, name, city) areas."""
    aliases = [(alias.split(), key, name) for key, name, city in areas
               for alias in area_aliases(name, city)]

    def extract(_text: str, normalized: str) -> dict[str, Any]:
        words = normalized.split()
        best: tuple[float, int, str, str] | None = None
        for alias_words, key, name in aliases:
            size = len(alias_words)
            alias = " ".join(alias_words)
            for start in range(len(words) - size + 1):
                window = " ".join(words[start:start + size])
                if len(alias) < _EXACT_BELOW:
                    score = 100.0 if window == alias else 0.0
                else:
                    score = fuzz.ratio(window, alias)
                if score >= AREA_MATCH and (best is None or (score, len(alias)) > best[:2]):
                    best = (score, len(alias), key, name)
        return {"area": best[3], "area_key": best[2]} if best else {}

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
