"""Opening hours: OpenStreetMap's ``opening_hours`` syntax, read by ``opening-hours-py``, plus
the French forms cities publish (``Lu-Ve 9h-12h / 14h-17h``, ``Ma-Sa 09:30-19:00``,
``Di et jours fériés : fermé``), translated to OSM first.

Hours are evaluated on real dates, so public holidays (``PH``) count: a rule ``PH off`` closes
Christmas day. A value neither form can read is not guessed at: :meth:`OpeningHours.read`
returns None and the caller shows the source's text as it is.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

import opening_hours

Interval = tuple[dt.time, dt.time]
_END_OF_DAY = dt.time(23, 59, 59)
_DAY = dt.timedelta(days=1)

# French day names and abbreviations, as they are written before a time or another day.
_FRENCH_DAYS = {
    "lundi": "Mo", "lun": "Mo", "lu": "Mo", "mardi": "Tu", "mar": "Tu", "ma": "Tu",
    "mercredi": "We", "mer": "We", "me": "We", "jeudi": "Th", "jeu": "Th", "je": "Th",
    "vendredi": "Fr", "ven": "Fr", "ve": "Fr", "samedi": "Sa", "sam": "Sa",
    "dimanche": "Su", "dim": "Su", "di": "Su",
}
_FRENCH_WORDS = [
    (re.compile(r"\bjours?\s+f[ée]ri[ée]s?\b|\bf[ée]ri[ée]s\b|\bjf\b", re.I), "PH"),
    (re.compile(r"\b(?:ferm[ée]e?s?|closed)\b", re.I), "off"),
    (re.compile(r"\b(" + "|".join(sorted(_FRENCH_DAYS, key=len, reverse=True)) + r")\b\.?", re.I),
     None),
]
_TIME = re.compile(r"\b(\d{1,2})(?:\s*[h:]\s*(\d{2})|\s*h)(?!\d)", re.I)
_TIME_RANGE = re.compile(r"(\d{2}:\d{2})\s*(?:-|–|à|a)\s*(\d{2}:\d{2})")
_BETWEEN_DAYS = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su)\s*(?:au|à|-|–)\s*(Mo|Tu|We|Th|Fr|Sa|Su)\b")
_DAY_LIST = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\s*(?:et|,)\s*(?=Mo|Tu|We|Th|Fr|Sa|Su|PH)")
_RANGE_LIST = re.compile(r"(\d{2}:\d{2})\s*(?:/|et|,)\s*(?=\d{2}:\d{2}-)")
_COLON_AFTER_DAYS = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\s*:\s*(?=\d|off)")
_HOUR_RANGE = re.compile(r"\d{2}:\d{2}-\d{2}:\d{2}")
_LINKING_WORDS = re.compile(r"\b(?:du|de|le|les)\s+(?=Mo|Tu|We|Th|Fr|Sa|Su|PH|\d)", re.I)


def _french_day(match: re.Match) -> str:
    return _FRENCH_DAYS[match.group(1).lower()]


def french_to_osm(spec: str) -> str:
    """The French way of writing hours rewritten in the OSM syntax (unchanged if not French)."""
    text = spec
    for pattern, replacement in _FRENCH_WORDS:
        text = pattern.sub(replacement or _french_day, text)
    text = _LINKING_WORDS.sub("", text)
    text = _TIME.sub(lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}", text)
    text = _TIME_RANGE.sub(r"\1-\2", text)
    text = _BETWEEN_DAYS.sub(r"\1-\2", text)
    text = _DAY_LIST.sub(r"\1,", text)
    text = _RANGE_LIST.sub(r"\1,", text)
    text = _COLON_AFTER_DAYS.sub(r"\1 ", text)
    return re.sub(r"\s+", " ", text).strip()


def _expression(spec: str, country: str | None) -> opening_hours.OpeningHours | None:
    """The parsed expression, or None when it does not parse or never opens (``Su,PH off``
    alone says when it is closed, not when it is open: read as "closed every day" it would
    tell a wrong hour)."""
    try:
        expression = opening_hours.OpeningHours(spec, country=country)
    except (opening_hours.ParserError, ValueError):  # type: ignore[attr-defined]  # not in its stubs
        return None
    start = dt.datetime(2026, 1, 1)
    spans = itertools.islice(expression.intervals(start, start + 366 * _DAY), 64)
    return expression if any(state == opening_hours.State.OPEN for *_, state, _c in spans) else None


@dataclass(frozen=True)
class OpeningHours:
    """Readable opening hours, evaluated in the place's local time (naive datetimes)."""

    expression: opening_hours.OpeningHours

    @classmethod
    def read(cls, spec: str, country: str | None = "FR") -> OpeningHours | None:
        """The hours written in ``spec`` (OSM or French form), or None if they cannot be read."""
        spec = (spec or "").strip()
        if not spec:
            return None
        expression = _expression(spec, country)
        french = french_to_osm(spec)
        if expression is None and _HOUR_RANGE.search(french):  # "du lundi au vendredi" alone
            expression = _expression(french, country)  # would read as open all day: no
        return cls(expression) if expression is not None else None

    def on_date(self, day: dt.date) -> list[Interval]:
        """When it is open on ``day`` (that day's holidays included)."""
        start = dt.datetime.combine(day, dt.time())
        intervals = []
        for opens, closes, state, _comments in self.expression.intervals(start, start + _DAY):
            if state == opening_hours.State.OPEN and opens < start + _DAY:
                end = min(closes or start + _DAY, start + _DAY)
                intervals.append((max(opens, start).time(),
                                  _END_OF_DAY if end == start + _DAY else end.time()))
        return intervals

    def week(self, today: dt.date) -> dict[int, list[Interval]]:
        """The hours of the seven days from ``today``, by weekday (Monday = 0)."""
        days = (today + offset * _DAY for offset in range(7))
        return {day.weekday(): self.on_date(day) for day in days}

    def is_open(self, moment: dt.datetime) -> bool:
        return self.expression.is_open(_local(moment))

    def closes_at(self, moment: dt.datetime) -> dt.datetime | None:
        """When the current opening ends, if open (None: open without end in sight)."""
        return _aware(self.expression.next_change(_local(moment)), moment)

    def next_opening(self, moment: dt.datetime) -> dt.datetime | None:
        """The next time it opens after ``moment`` (within a year), if ever."""
        local = _local(moment)
        for opens, _closes, state, _comments in self.expression.intervals(
                local, local + 366 * _DAY):
            if state == opening_hours.State.OPEN and opens > local:
                return _aware(opens, moment)
        return None


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None)


def _aware(local: dt.datetime | None, moment: dt.datetime) -> dt.datetime | None:
    return local.replace(tzinfo=moment.tzinfo) if local is not None else None
