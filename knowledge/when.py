"""When a question about opening hours is about: "ouvert maintenant", "samedi", "ce week-end",
"demain à 10h", "open now / on Saturday / tomorrow at 10am".

A small reader of the words residents use for these; the answer is either a moment (a day and
a time) or whole days. Nothing asked: None.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.text import normalize

_DAY = dt.timedelta(days=1)
_NOW = re.compile(r"\b(maintenant|en ce moment|actuellement|tout de suite|now|right now|currently)\b")
_TODAY = re.compile(r"\b(aujourd hui|aujourdhui|auj|ce jour|today|tonight|ce soir)\b")
_TOMORROW = re.compile(r"\b(demain|dmain|tomorrow|tmrw)\b")
_AFTER_TOMORROW = re.compile(r"\bapres demain\b")
_WEEKEND = re.compile(r"\b(week end|weekend|(?:le|ce|this) we)\b")
_WEEKDAYS = {
    "lundi": 0, "lun": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
    "sam": 5, "dimanche": 6, "dim": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
}
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")s?\b")
# "10h", "10h30", "10:30", "a 10 h", "at 10am", "at 3 pm"
_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:h|:)\s*(\d{2})?\b|\b(?:at|vers)\s+(\d{1,2})\s*(am|pm)?\b"
                    r"|\b(\d{1,2})\s*(am|pm)\b")


@dataclass(frozen=True)
class Asked:
    """A moment (``at`` set) or whole days (``days``) a resident asks about."""

    days: tuple[dt.date, ...]
    at: dt.datetime | None = None
    now: bool = False


def _clock(text: str) -> dt.time | None:
    match = _CLOCK.search(text)
    if not match:
        return None
    hours, minutes, at_hours, at_half, bare_hours, bare_half = match.groups()
    hour = int(hours or at_hours or bare_hours)
    half = at_half or bare_half
    if half == "pm" and hour < 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    minute = int(minutes or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _days(text: str, today: dt.date) -> tuple[dt.date, ...]:
    if _AFTER_TOMORROW.search(text):
        return (today + 2 * _DAY,)
    if _TOMORROW.search(text):
        return (today + _DAY,)
    if _TODAY.search(text):
        return (today,)
    weekday = _WEEKDAY.search(text)
    if weekday:
        return (today + ((_WEEKDAYS[weekday.group(1)] - today.weekday()) % 7) * _DAY,)
    if _WEEKEND.search(text):
        saturday = today + ((5 - today.weekday()) % 7) * _DAY
        return (today,) if today.weekday() == 6 else (saturday, saturday + _DAY)
    return ()


def asked_time(text: str, now: dt.datetime) -> Asked | None:
    """The moment or days ``text`` asks about, relative to ``now`` (the city's local time)."""
    folded = f" {normalize(text)} "
    if _NOW.search(folded):
        return Asked((now.date(),), now, now=True)
    days = _days(folded, now.date())
    clock = _clock(folded)
    if clock is not None:
        day = days[0] if days else now.date()
        return Asked((day,), dt.datetime.combine(day, clock, tzinfo=now.tzinfo))
    return Asked(days) if days else None


def without_clock(text: str) -> str:
    """The request without the time it names ("10h30" is no word to search for)."""
    return _CLOCK.sub(" ", normalize(text))
