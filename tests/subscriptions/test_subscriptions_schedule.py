"""Quiet hours and digest times in the city's zone, daylight saving included."""
from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings
from bot.subscriptions.phrases import frequency_in, place_in, quiet_hours_in, says
from bot.subscriptions.schedule import DeliveryClock, QuietHours, next_digest, parse_clock

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.mark.parametrize("text, expected", [
    ("22:00-08:00", "22:00-08:00"), ("22h-7h", "22:00-07:00"), ("21h30 à 7h", "21:30-07:00"),
    ("9 to 17", "09:00-17:00"), ("", None), ("  ", None),
])
def test_quiet_hours_are_read_in_several_forms(text: str, expected: str | None) -> None:
    parsed = QuietHours.parse(text)
    assert (str(parsed) if parsed else None) == expected


@pytest.mark.parametrize("text", ["tonight", "25:00-08:00", "22:00-22:00", "22:61-08:00"])
def test_unreadable_quiet_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(text)


def test_quiet_hours_across_midnight() -> None:
    night = QuietHours(time(22), time(8))
    assert night.contains(time(23)) and night.contains(time(3)) and not night.contains(time(12))
    assert not night.contains(time(8)) and night.contains(time(22))
    day = QuietHours(time(12), time(14))
    assert day.contains(time(13)) and not day.contains(time(15))


def test_what_falls_in_quiet_hours_waits_for_their_end() -> None:
    night = QuietHours(time(22), time(8))
    assert night.next_allowed(paris(2026, 6, 10, 23, 30), PARIS) == paris(2026, 6, 11, 8, 0)
    assert night.next_allowed(paris(2026, 6, 10, 3, 0), PARIS) == paris(2026, 6, 10, 8, 0)
    assert night.next_allowed(paris(2026, 6, 10, 12, 0), PARIS) == paris(2026, 6, 10, 12, 0)
    # The night the clocks go forward (29-30 March 2026) still ends at 08:00 local, 06:00 UTC.
    assert night.next_allowed(paris(2026, 3, 28, 23, 0), PARIS) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_digests_go_out_at_the_digest_time() -> None:
    six = parse_clock("18h")
    assert next_digest(paris(2026, 6, 10, 17, 0), "daily", six, 0, PARIS) == paris(2026, 6, 10, 18, 0)
    assert next_digest(paris(2026, 6, 10, 19, 0), "daily", six, 0, PARIS) == paris(2026, 6, 11, 18, 0)
    # 10 June 2026 is a Wednesday: the weekly digest is on Monday 15th.
    assert next_digest(paris(2026, 6, 10, 9, 0), "weekly", six, 0, PARIS) == paris(2026, 6, 15, 18, 0)
    assert next_digest(paris(2026, 6, 15, 19, 0), "weekly", six, 0, PARIS) == paris(2026, 6, 22, 18, 0)


def test_a_digest_inside_quiet_hours_waits_for_their_end() -> None:
    clock = DeliveryClock.from_settings(Settings(digest_time="23:00"))
    due = clock.due(paris(2026, 6, 10, 12, 0), "daily", clock.default_quiet)
    assert due == paris(2026, 6, 11, 8, 0)
    assert clock.due(paris(2026, 6, 10, 12, 0), "immediate", None) == paris(2026, 6, 10, 12, 0)
    assert clock.quiet_hours("") is None and clock.quiet_hours(None) == clock.default_quiet


@pytest.mark.parametrize("setting", [{"digest_time": "25:00"}, {"digest_weekday": "funday"},
                                     {"timezone": "Mars/Olympus"}, {"quiet_hours": "soon"}])
def test_bad_delivery_settings_are_named(setting: dict) -> None:
    with pytest.raises(ConfigError, match=next(iter(setting))):
        DeliveryClock.from_settings(Settings(**setting))


@pytest.mark.parametrize("text, frequency", [
    ("un résumé quotidien svp", "daily"), ("chaque semaine", "weekly"), ("every day please", "daily"),
    ("dès leur parution", "immediate"), ("les travaux", None),
])
def test_frequencies_in_words(text: str, frequency: str | None) -> None:
    assert frequency_in(text) == frequency


def test_other_requests_in_words() -> None:
    assert str(quiet_hours_in("heures calmes de 21h à 6h30")) == "21:00-06:30"
    assert str(quiet_hours_in("no notifications between 9pm and 7am please")) == "21:00-07:00"
    assert str(quiet_hours_in("quiet hours 10:30pm to 6am")) == "22:30-06:00"
    assert str(quiet_hours_in("from 12am to 12pm")) == "00:00-12:00"
    assert quiet_hours_in("pas d'heures calmes") == "" and quiet_hours_in("les travaux") is None
    assert says("Mettez tout en PAUSE", "pause") and says("je reprends", "resume")
    assert place_in("Prévenez-moi des travaux à Malakoff") == "Malakoff"
    assert place_in("les travaux dans le quartier Nantes Nord") == "Nantes Nord"
    assert place_in("abonnez moi au conseil municipal") is None
