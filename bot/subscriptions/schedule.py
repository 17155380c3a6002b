"""When a publication may reach a resident: quiet hours and digest times, in the city's time zone.

All instants in and out are aware UTC datetimes; wall-clock rules (22:00-08:00, the daily digest
at 18:00) are applied in the city's zone, so they follow daylight saving time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import ConfigError, Settings
from bot.db import as_utc
from bot.subscriptions.models import DAILY, WEEKLY

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = r"(\d{1,2})\s*(?:[:h]\s*(\d{2})?)?"
_RANGE = re.compile(rf"^\s*{_CLOCK}\s*(?:-|–|à|a|to|until|jusqu'?à)\s*{_CLOCK}\s*$", re.IGNORECASE)


def parse_clock(text: str) -> time:
    """``"18:00"``, ``"18h"``, ``"7h30"`` -> a time; ValueError otherwise."""
    match = re.fullmatch(_CLOCK, text.strip(), re.IGNORECASE)
    if not match:
        raise ValueError(f"not a time of day: {text!r}")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour == 24 and minute == 0:
        hour = 0
    return time(hour, minute)  # raises ValueError when out of range


def parse_weekday(text: str) -> int:
    """``"monday"`` -> 0; ValueError otherwise."""
    day = text.strip().lower()
    if day not in WEEKDAYS:
        raise ValueError(f"not a weekday; use one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(day)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str | None) -> QuietHours | None:
        """``"22:00-08:00"``, ``"22h à 7h"``, ``"21h30-7"``; empty means none. ValueError if unreadable."""
        if not text or not text.strip():
            return None
        match = _RANGE.match(text)
        if not match:
            raise ValueError(f"not a time range: {text!r}")
        start = parse_clock(f"{match.group(1)}:{match.group(2) or '00'}")
        end = parse_clock(f"{match.group(3)}:{match.group(4) or '00'}")
        if start == end:
            raise ValueError("quiet hours must start and end at different times")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # across midnight

    def next_allowed(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """``moment`` itself when outside the quiet hours, else the end of those quiet hours."""
        local = as_utc(moment).astimezone(zone)
        if not self.contains(local.time().replace(tzinfo=None)):
            return as_utc(moment)
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)
        return _at(day, self.end, zone)


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def next_digest(moment: datetime, frequency: str, digest_time: time, weekday: int,
                zone: ZoneInfo) -> datetime:
    """The first digest time at or after ``moment``: daily at ``digest_time``, weekly on ``weekday``."""
    local = as_utc(moment).astimezone(zone)
    day = local.date()
    if frequency == WEEKLY:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    elif frequency != DAILY:
        raise ValueError(f"no digest for frequency {frequency!r}")
    candidate = _at(day, digest_time, zone)
    if candidate < as_utc(moment):
        candidate = _at(day + timedelta(days=7 if frequency == WEEKLY else 1), digest_time, zone)
    return candidate


@dataclass(frozen=True)
class DeliveryClock:
    """The city's delivery rules, from the settings."""

    zone: ZoneInfo
    default_quiet: QuietHours | None
    digest_time: time
    digest_weekday: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryClock:
        """The rules of these settings; ConfigError names a setting that cannot be used."""
        try:
            zone = ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"setting 'timezone': unknown time zone {settings.timezone!r}") from None
        values: dict[str, Any] = {}  # each setting's parsed value, of its own type
        for name, parse in (("quiet_hours", QuietHours.parse), ("digest_time", parse_clock),
                            ("digest_weekday", parse_weekday)):
            try:
                values[name] = parse(getattr(settings, name))
            except ValueError as error:
                raise ConfigError(f"setting {name!r}: cannot use {getattr(settings, name)!r} ({error})") from None
        return cls(zone, values["quiet_hours"], values["digest_time"], values["digest_weekday"])

    def quiet_hours(self, stored: str | None) -> QuietHours | None:
        """A subscriber's quiet hours: theirs, none (""), or the city's default (None)."""
        if stored is None:
            return self.default_quiet
        try:
            return QuietHours.parse(stored)
        except ValueError:
            return self.default_quiet

    def due(self, moment: datetime, frequency: str, quiet: QuietHours | None) -> datetime:
        """When something published at ``moment`` reaches a subscriber with these preferences."""
        if frequency in (DAILY, WEEKLY):
            moment = next_digest(moment, frequency, self.digest_time, self.digest_weekday, self.zone)
        return quiet.next_allowed(moment, self.zone) if quiet else as_utc(moment)
