"""Opening hours as OSM and French cities write them, public holidays included, and the time a
resident asks about ("ouvert samedi", "demain à 10h", "open now")."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from knowledge.hours import OpeningHours
from knowledge.when import asked_time, without_clock

PARIS = ZoneInfo("Europe/Paris")
WEEK = date(2026, 3, 9)  # a Monday, no public holiday that week
MORNING_AFTERNOON = [(time(9), time(12)), (time(14), time(17))]


def _read(spec: str) -> OpeningHours:
    hours = OpeningHours.read(spec)
    assert hours is not None, spec
    return hours


def test_osm_hours_open_now_closing_and_next_opening() -> None:
    hours = _read("Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; Su off")
    monday_morning = datetime(2024, 3, 4, 10, 0, tzinfo=PARIS)
    assert hours.is_open(monday_morning)
    assert hours.closes_at(monday_morning) == datetime(2024, 3, 4, 12, 0, tzinfo=PARIS)
    lunch = datetime(2024, 3, 4, 12, 30, tzinfo=PARIS)
    assert not hours.is_open(lunch)
    assert hours.next_opening(lunch) == datetime(2024, 3, 4, 13, 30, tzinfo=PARIS)
    saturday_evening = datetime(2024, 3, 9, 18, 0, tzinfo=PARIS)
    assert hours.next_opening(saturday_evening) == datetime(2024, 3, 11, 8, 30, tzinfo=PARIS)
    week = hours.week(WEEK)
    assert week[6] == [] and week[5] == [(time(9), time(12))]


def test_osm_variants() -> None:
    assert _read("24/7").is_open(datetime(2024, 3, 10, 3, 0))
    assert _read("Sa-Mo 10:00-24:00").week(WEEK)[0] == [(time(10), time(23, 59, 59))]
    assert _read("10:00-18:00").week(WEEK)[3] == [(time(10), time(18))]
    assert _read("Mo,We 09:00-12:00; PH off").week(WEEK)[2] == [(time(9), time(12))]


@pytest.mark.parametrize(("published", "weekdays", "intervals"), [
    ("Lu-Ve 9h-12h / 14h-17h", range(5), MORNING_AFTERNOON),
    ("lu-ve 9h-12h/14h-17h", range(5), MORNING_AFTERNOON),
    ("Lundi au vendredi 9h-12h et 14h-17h", range(5), MORNING_AFTERNOON),
    ("du lundi au vendredi de 9h à 12h et de 14h à 17h", range(5), MORNING_AFTERNOON),
    ("Lun-Ven 09h00-12h00 / 14h00-17h00", range(5), MORNING_AFTERNOON),
    ("Ma-Sa 09:30-19:00", range(1, 6), [(time(9, 30), time(19))]),
    ("Lu-Ve 07:00-19:30", range(5), [(time(7), time(19, 30))]),
    ("7h-20h", range(7), [(time(7), time(20))]),
    ("Lu-Ve 9h-12h / 14h-17h ; Di et jours fériés : fermé", range(5), MORNING_AFTERNOON),
    ("Mo-Fr 09:00-12:00,14:00-17:00; Su,PH off", range(5), MORNING_AFTERNOON),
])
def test_french_forms_mean_what_they_say(published: str, weekdays: range, intervals: list) -> None:
    week = _read(published).week(WEEK)
    assert {day: week[day] for day in weekdays} == {day: intervals for day in weekdays}
    assert all(week[day] == [] for day in set(range(7)) - set(weekdays))


def test_public_holidays_close_what_says_so() -> None:
    hours = _read("Lu-Ve 9h-12h / 14h-17h ; Di et jours fériés : fermé")
    assert hours.on_date(date(2026, 12, 25)) == []  # Noël, a Friday
    assert hours.on_date(date(2026, 7, 14)) == []  # fête nationale, a Tuesday
    assert hours.on_date(date(2026, 7, 15)) == MORNING_AFTERNOON
    assert not hours.is_open(datetime(2026, 5, 1, 10, 0, tzinfo=PARIS))  # 1er mai
    assert hours.next_opening(datetime(2026, 12, 24, 18, 0, tzinfo=PARIS)) == datetime(
        2026, 12, 28, 9, 0, tzinfo=PARIS)


@pytest.mark.parametrize("unreadable", [
    "", "sur rendez-vous", "Su,PH off", "Mo-Su off", "Xy 10:00-12:00", "Mo 25:00-26:00",
    "Mo-Fr 25:00-18:00", "voir site internet", "variable selon la saison", "du lundi au vendredi",
    "Lu-Sa", "fermé le lundi",
])
def test_unreadable_hours_are_not_guessed(unreadable: str) -> None:
    assert OpeningHours.read(unreadable) is None


NOW = datetime(2026, 12, 9, 15, 0, tzinfo=PARIS)  # a Wednesday afternoon


@pytest.mark.parametrize(("question", "days", "at"), [
    ("pharmacie ouverte maintenant ?", [date(2026, 12, 9)], NOW),
    ("la poste est ouverte en ce moment", [date(2026, 12, 9)], NOW),
    ("is the pool open now", [date(2026, 12, 9)], NOW),
    ("la mairie est ouverte samedi ?", [date(2026, 12, 12)], None),
    ("mairie ouverte le samedi", [date(2026, 12, 12)], None),
    ("open on Saturday", [date(2026, 12, 12)], None),
    ("dechetterie ouverte dimanche", [date(2026, 12, 13)], None),
    ("ouvert mercredi", [date(2026, 12, 9)], None),
    ("ouvert ce week-end ?", [date(2026, 12, 12), date(2026, 12, 13)], None),
    ("pharmacie ouverte le we", [date(2026, 12, 12), date(2026, 12, 13)], None),
    ("open this weekend", [date(2026, 12, 12), date(2026, 12, 13)], None),
    ("ouvert aujourd'hui", [date(2026, 12, 9)], None),
    ("piscine demain à 10h", [date(2026, 12, 10)], datetime(2026, 12, 10, 10, 0, tzinfo=PARIS)),
    ("piscine demain a 10h30", [date(2026, 12, 10)], datetime(2026, 12, 10, 10, 30, tzinfo=PARIS)),
    ("open tomorrow at 10am", [date(2026, 12, 10)], datetime(2026, 12, 10, 10, 0, tzinfo=PARIS)),
    ("ouvert samedi a 9h", [date(2026, 12, 12)], datetime(2026, 12, 12, 9, 0, tzinfo=PARIS)),
    # a part of the day is the moment checked, said in the answer; "après-midi" is not "midi"
    ("un resto ouvert ce soir", [date(2026, 12, 9)], datetime(2026, 12, 9, 19, 0, tzinfo=PARIS)),
    ("c ouvert dimanche soir ?", [date(2026, 12, 13)], datetime(2026, 12, 13, 19, 0, tzinfo=PARIS)),
    ("ouvert demain matin", [date(2026, 12, 10)], datetime(2026, 12, 10, 10, 0, tzinfo=PARIS)),
    ("monoprix ouvert samedi apres-midi", [date(2026, 12, 12)], datetime(2026, 12, 12, 15, 0, tzinfo=PARIS)),
    ("open on sunday afternoon", [date(2026, 12, 13)], datetime(2026, 12, 13, 15, 0, tzinfo=PARIS)),
    ("is it open tonight", [date(2026, 12, 9)], datetime(2026, 12, 9, 19, 0, tzinfo=PARIS)),
    ("ouvert samedi midi", [date(2026, 12, 12)], datetime(2026, 12, 12, 12, 0, tzinfo=PARIS)),
    ("ouvert samedi soir a 18h", [date(2026, 12, 12)], datetime(2026, 12, 12, 18, 0, tzinfo=PARIS)),
])
def test_the_time_asked(question: str, days: list, at: datetime | None) -> None:
    asked = asked_time(question, NOW)
    assert asked is not None
    assert list(asked.days) == days and asked.at == at


@pytest.mark.parametrize("question", [
    "pharmacie", "horaires de la mairie", "where can we renew a passport",
    "ecole a 3 minutes de chez moi",
])
def test_no_time_asked(question: str) -> None:
    assert asked_time(question, NOW) is None


def test_the_time_is_not_searched_for() -> None:
    assert "10" not in without_clock("piscine demain à 10h30").split()
