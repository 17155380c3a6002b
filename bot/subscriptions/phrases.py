"""What a resident's words ask of their subscriptions: pause, resume, a frequency, quiet hours,
a place, a person to follow. Word lists are in ``words.yaml`` (French and English)."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from bot.subscriptions.models import DAILY, IMMEDIATE, WEEKLY
from bot.subscriptions.schedule import QuietHours
from bot.text import normalize
from bot.yamlfile import load_file

WORDS_FILE = Path(__file__).with_name("words.yaml")
_RANGE = re.compile(r"(\d{1,2})\s*(?:h|:)\s*(\d{2})?\s*(?:-|–|à|a|to|until|jusqu'?à|et)\s*"
                    r"(\d{1,2})\s*(?:h|:)?\s*(\d{2})?", re.IGNORECASE)
_TWELVE_HOUR_RANGE = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)\s*(?:-|–|to|until|and)\s*"
                                r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)", re.IGNORECASE)
_CAPITALISED = r"[A-ZÀÂÉÈÊÎÔÛÇ][\w'’-]*"
_PLACE = re.compile(rf"\b(?:à|au|aux|dans|quartier|in|near|around)\s+({_CAPITALISED}(?:\s+(?:-\s+)?{_CAPITALISED})*)")


@cache
def word_lists() -> dict[str, tuple[str, ...]]:
    data = load_file(WORDS_FILE)
    return {name: tuple(normalize(word) for word in words) for name, words in data.items()}


def says(text: str, name: str) -> bool:
    """Whether ``text`` uses a word or expression of the list ``name``."""
    padded = f" {normalize(text)} "
    return any(f" {word} " in padded for word in word_lists()[name])


def frequency_in(text: str) -> str | None:
    for frequency in (DAILY, WEEKLY, IMMEDIATE):
        if says(text, frequency):
            return frequency
    return None


def quiet_hours_in(text: str) -> QuietHours | str | None:
    """Quiet hours written in the text ("de 21h à 7h"), "" for none, or None when not said."""
    if says(text, "no_quiet"):
        return ""
    twelve = _TWELVE_HOUR_RANGE.search(text)
    match = twelve or _RANGE.search(text)
    if match:
        is_twelve = twelve is not None
        start, end = _hour(match, 1, is_twelve), _hour(match, 4 if is_twelve else 3, is_twelve)
        try:
            return QuietHours.parse(f"{start}-{end}")
        except ValueError:
            return None
    return None


def _hour(match: re.Match[str], first: int, twelve: bool) -> str:
    """"21:00" from the groups hour, minutes (and am/pm on a 12-hour clock) starting at ``first``."""
    hour, minutes = int(match.group(first)), match.group(first + 1) or "00"
    if twelve:
        hour = hour % 12 + (12 if match.group(first + 2).lower() == "pm" else 0)
    return f"{hour}:{minutes}"


def place_in(text: str) -> str | None:
    """A capitalised place name after "à", "quartier", "in"... ("travaux à Malakoff")."""
    match = _PLACE.search(text)
    return match.group(1).strip(" -") if match else None


def after_follow_word(text: str) -> str:
    """What follows "suivre" / "follow": the person to follow."""
    words = text.split()
    follow = word_lists()["follow"]
    for index, word in enumerate(words):
        if normalize(word) in follow:
            return " ".join(words[index + 1:]).strip(" .!?")
    return ""
