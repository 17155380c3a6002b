"""When a question about opening hours is about: "ouvert maintenant", "samedi", "ce week-end",
"demain à 10h", "dimanche soir", "open now / on Saturday / tomorrow at 10am / tonight".

The days are read as every intent reads dates (:mod:`bot.dates`), the time of day here; the
answer is either a moment (a day and a time) or whole days. A part of the day stands for the
moment of ``parts_of_day`` in ``query_words.yaml`` ("ce soir": 19:00), which the answer says.
Nothing asked: None.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.dates import find_period
from bot.text import normalize
from knowledge.words import parts_of_day

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
        return _part_of_day(text)
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


def _part_of_day(text: str) -> dt.time | None:
    """The moment checked for a part of the day the text names ("ce soir": 19:00), the longest
    name first ("après-midi" is not "midi")."""
    for words, time in sorted(parts_of_day().items(), key=lambda item: -len(item[0])):
        if f" {words} " in text:
            return dt.time.fromisoformat(time)
    return None


def _days(text: str, today: dt.date) -> tuple[dt.date, ...] | None:
    """The days a message names (:func:`bot.dates.find_period`, as every intent reads them):
    a day, or the days of a week-end or week still to come; None for now, nothing or a longer
    period."""
    period = find_period(text, today)
    if period is None or period.grain not in ("day", "weekend", "week"):
        return None
    days = [period.start + dt.timedelta(days=offset)
            for offset in range((period.end - period.start).days + 1)]
    return tuple(day for day in days if day >= today) or (period.start,)


def asked_time(text: str, now: dt.datetime) -> Asked | None:
    """The moment or days ``text`` asks about, relative to ``now`` (the city's local time)."""
    period = find_period(text, now.date())
    if period is not None and period.grain == "now":
        return Asked((now.date(),), now, now=True)
    days = _days(text, now.date())
    clock = _clock(f" {normalize(text)} ")
    if clock is not None:
        day = days[0] if days else now.date()
        return Asked((day,), dt.datetime.combine(day, clock, tzinfo=now.tzinfo))
    return Asked(days) if days else None


def without_clock(text: str) -> str:
    """The request without the time it names ("10h30" is no word to search for)."""
    return _CLOCK.sub(" ", normalize(text))
