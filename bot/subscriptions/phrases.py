"""What a resident's words ask of their subscriptions: pause, resume, a frequency, quiet hours,
a place, a person to follow. Word lists are in ``words.yaml`` (French and English)."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from bot.subscriptions.models import DAILY, IMMEDIATE, WEEKLY
from bot.subscriptions.schedule import QuietHours
from bot.text import normalize

WORDS_FILE = Path(__file__).with_name("words.yaml")
# "21h à 7h", "21:30-7", "9pm and 7am": the first hour says it is one (h, :, am/pm)
_RANGE = re.compile(r"(\d{1,2})\s*(?:(?:h|:)\s*(\d{2})?|(am|pm)\b)\s*"
                    r"(?:-|–|à|a|to|and|until|jusqu'?à|et)\s*"
                    r"(\d{1,2})\s*(?:h|:)?\s*(\d{2})?\s*(am|pm)?\b", re.IGNORECASE)
_CAPITALISED = r"[A-ZÀÂÉÈÊÎÔÛÇ][\w'’-]*"
_PLACE = re.compile(rf"\b(?:à|au|aux|dans|quartier|in|near|around)\s+({_CAPITALISED}(?:\s+(?:-\s+)?{_CAPITALISED})*)")


@cache
def word_lists() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
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
    match = _RANGE.search(text)
    if match:
        start, end = _hour(match.group(1), match.group(3)), _hour(match.group(4), match.group(6))
        try:
            return QuietHours.parse(f"{start}:{match.group(2) or '00'}-{end}:{match.group(5) or '00'}")
        except ValueError:
            return None
    return None


def _hour(hour: str, half: str | None) -> int:
    """The hour on a 24-hour clock: 9 pm is 21, 12 am is 0."""
    value = int(hour)
    if half and half.lower() == "pm" and value < 12:
        return value + 12
    if half and half.lower() == "am" and value == 12:
        return 0
    return value


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
