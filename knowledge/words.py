"""The word lists of ``query_words.yaml`` that reading requests needs (asking words, places,
agreeing and declining, weekdays...), folded."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.text import normalize
from bot.yamlfile import load_file

WORDS_FILE = Path(__file__).parent / "query_words.yaml"


@cache
def word_list(name: str) -> frozenset[str]:
    """A list of ``query_words.yaml``, folded."""
    words = load_file(WORDS_FILE)[name]
    return frozenset(normalize(str(word)) for word in words)


@cache
def weekdays() -> dict[str, int]:
    return {normalize(word): day for word, day in
            load_file(WORDS_FILE)["weekdays"].items()}


@cache
def parts_of_day() -> dict[str, str]:
    """A part of the day (folded) → the time checked for it ("soir" → "19:00")."""
    return {normalize(word): str(time) for word, time in load_file(WORDS_FILE)["parts_of_day"].items()}
