"""Other wordings of a query: the expressions ``equivalents.yaml`` says name the same thing
("budget de la cantine" is also "budget de la restauration scolaire", "street lighting" is
"éclairage public"). Shipped as data so that a city adds its own words without code."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.text import STOP_WORDS, normalize
from bot.yamlfile import load_file

EQUIVALENTS_FILE = Path(__file__).parent / "equivalents.yaml"


@dataclass(frozen=True)
class Wording:
    text: str  # the folded query with one expression replaced
    replacement: tuple[str, ...]  # the words put in: worth searching only if the index has them


def _folded(text: str) -> str:
    """Folded, without stop words: as searches read it ("parcs et jardins" is "parcs jardins")."""
    return " ".join(word for word in normalize(text).split() if word not in STOP_WORDS)


@cache
def _groups() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(dict.fromkeys(_folded(str(expression)) for expression in group))
                 for group in load_file(EQUIVALENTS_FILE))


@cache
def _pattern() -> re.Pattern[str]:
    """Any expression of the file as whole words, the longest first ("ecole primaire" before
    "ecole")."""
    expressions = sorted({expression for group in _groups() for expression in group}, key=len,
                         reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, expressions)) + r")\b")


def _others(expression: str) -> list[str]:
    return [other for group in _groups() if expression in group
            for other in group if other != expression]


def variants(query: str) -> list[Wording]:
    """The folded query with one expression replaced by each of its equivalents."""
    folded = _folded(query)
    wordings: dict[str, Wording] = {}
    for match in _pattern().finditer(folded):
        for other in _others(match.group()):
            text = f"{folded[:match.start()]}{other}{folded[match.end():]}"
            wordings.setdefault(text, Wording(text, tuple(other.split())))
    return list(wordings.values())
