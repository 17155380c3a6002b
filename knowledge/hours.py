"""Opening hours in a subset of OpenStreetMap's ``opening_hours`` syntax.

``Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; Su off`` — rules separated by ``;``, each
with days (``Mo``..``Su``, ranges and lists; none means every day) and time ranges or ``off``;
a later rule replaces earlier ones for its days; ``24/7`` means always open. Public holidays
(``PH``) are not known here: such rules are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_END_OF_DAY = time(23, 59, 59)

Interval = tuple[time, time]


def _time(hours: str, minutes: str) -> time:
    hour, minute = int(hours), int(minutes)
    if (hour, minute) == (24, 0):
        return _END_OF_DAY
    return time(hour, minute)


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day {part!r}")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days += [(start + offset) % 7 for offset in range((end - start) % 7 + 1)]
    return days


def _intervals(spec: str) -> list[Interval]:
    if spec.lower() in ("off", "closed"):
        return []
    intervals = []
    for part in spec.split(","):
        match = _RANGE.match(part.strip())
        if not match:
            raise ValueError(f"cannot read the time range {part!r} (expected HH:MM-HH:MM)")
        opens, closes = _time(*match.groups()[:2]), _time(*match.groups()[2:])
        if closes <= opens:
            raise ValueError(f"the time range {part!r} closes before it opens")
        intervals.append((opens, closes))
    return sorted(intervals)


@dataclass
class OpeningHours:
    week: dict[int, list[Interval]] = field(default_factory=dict)  # weekday (Mon=0) -> intervals

    @classmethod
    def parse(cls, spec: str) -> OpeningHours:
        """Read the hours; raise ValueError saying what is wrong."""
        hours = cls()
        spec = spec.strip()
        if spec == "24/7":
            hours.week = {day: [(time(0, 0), _END_OF_DAY)] for day in range(7)}
            return hours
        for rule in filter(None, (part.strip() for part in spec.split(";"))):
            head, _, rest = rule.partition(" ")
            if head.upper().startswith("PH"):
                continue
            if head[:2].lower() in DAYS:
                days, times = _days(head), rest.strip()
            else:
                days, times = list(range(7)), rule
            for day in days:
                hours.week[day] = _intervals(times)
        return hours

    def on(self, weekday: int) -> list[Interval]:
        return self.week.get(weekday, [])

    def is_open(self, moment: datetime) -> bool:
        now = moment.time()
        return any(opens <= now < closes for opens, closes in self.on(moment.weekday()))

    def closes_at(self, moment: datetime) -> time | None:
        """When the current opening ends, if open."""
        now = moment.time()
        return next((closes for opens, closes in self.on(moment.weekday()) if opens <= now < closes),
                    None)

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next time it opens after ``moment`` (within a week), if ever."""
        for offset in range(8):
            day = (moment + timedelta(days=offset)).date()
            for opens, _closes in self.on(day.weekday()):
                start = datetime.combine(day, opens, tzinfo=moment.tzinfo)
                if start > moment:
                    return start
        return None
