"""Services from real OpenStreetMap points of Montpellier (../shared/realdata, derived into the
services format): imported whole despite their non-standard hours, then asked about in
residents' words. Every expected answer is computed here from the files — the open ones by the
hours parser on the asked date, the nearest by haversine over every row of the kind."""
from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.app import CivicBot
from bot.formatting import distance
from bot.testing import ChatTester
from knowledge.geo import distance_m
from knowledge.hours import OpeningHours
from knowledge.importers import Origin, Writer
from knowledge.importers.plain import import_plain
from tests.support.data import real_data

ORIGIN = Origin(source="Points OpenStreetMap de Montpellier (fichier dérivé, pas une publication)",
                licence="ODbL")
SATURDAY = datetime(2026, 6, 13, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
FILES = ("derived/montpellier-osm-all-services.csv", "derived/montpellier-osm-pharmacies-services.csv")


def _rows() -> list[dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for name in FILES:
        with real_data(name).open(encoding="utf-8-sig", newline="") as handle:
            rows.update((row["id"], row) for row in csv.DictReader(handle, delimiter=";"))
    return list(rows.values())


def _of(rows: Iterable[dict[str, str]], *categories: str) -> list[dict[str, str]]:
    return [row for row in rows if row["category"] in categories]


def _open_on(row: dict[str, str], day: date) -> bool:
    hours = OpeningHours.read(row["hours"])
    return hours is not None and bool(hours.on_date(day))


def _open_at(row: dict[str, str], moment: datetime) -> bool:
    hours = OpeningHours.read(row["hours"])
    return hours is not None and hours.is_open(moment)


def _nearest(rows: list[dict[str, str]], latitude: float, longitude: float) -> tuple[str, float]:
    best = min(rows, key=lambda row: distance_m(latitude, longitude, float(row["latitude"]),
                                               float(row["longitude"])))
    return best["name"], distance_m(latitude, longitude, float(best["latitude"]),
                                    float(best["longitude"]))


def _bullets(text: str) -> list[str]:
    return [block.split("\n")[0].strip() for block in text.split("• ")[1:]]


@pytest.fixture
async def montpellier(bot: CivicBot, monkeypatch) -> CivicBot:
    import intents.find_service
    import knowledge.answers

    monkeypatch.setattr(intents.find_service, "now", lambda ctx: SATURDAY)
    monkeypatch.setattr(knowledge.answers, "now", lambda ctx: SATURDAY)
    async with bot.sessions() as session:
        writer = Writer(session)
        for name in FILES:
            await import_plain(writer, "service", real_data(name), ORIGIN)
        await writer.finish()
        await session.commit()
    assert writer.counts["service"] >= len(_rows())  # nothing was refused
    return bot


async def test_every_row_is_imported_and_no_hour_is_lost() -> None:
    rows = [row for row in _rows() if row["hours"]]
    unreadable = [row["hours"] for row in rows if OpeningHours.read(row["hours"]) is None]
    assert "Ma-Sa 09:30-19:00" in {row["hours"] for row in rows}
    assert unreadable == []  # "Ma-Sa", "Lu-Ve", "7h-20h" are French forms, read as such


@pytest.mark.parametrize(("question", "categories", "day"), [
    ("pharmacie ouverte samedi ?", ("pharmacie", "pharmacy"), date(2026, 6, 13)),
    ("une pharmacie ouverte le samedi", ("pharmacie", "pharmacy"), date(2026, 6, 13)),
    ("pharmacies ouvertes samedi", ("pharmacie", "pharmacy"), date(2026, 6, 13)),
    ("hairdresser open on saturday", ("hairdresser",), date(2026, 6, 13)),
    ("coiffeur ouvert samedi", ("hairdresser",), date(2026, 6, 13)),
    ("un coiffeur ouvert ce week-end ?", ("hairdresser",), date(2026, 6, 13)),
    ("supermarche ouvert dimanche", ("supermarket",), date(2026, 6, 14)),
    ("supermarket open tomorrow", ("supermarket",), date(2026, 6, 14)),
])
async def test_open_on_a_day_names_every_open_service_first(
        montpellier: CivicBot, question: str, categories: tuple[str, ...], day: date) -> None:
    rows = _of(_rows(), *categories)
    expected = {row["name"] for row in rows if _open_on(row, day)}
    assert expected  # the data has one
    reply = await ChatTester(montpellier, "resident").say(question)
    shown = _bullets(reply.text)
    assert set(shown[:len(expected)]) == expected
    assert f"{len(expected)} " in reply.text.split("\n\n")[1]  # the count of open ones
    assert f"sur {len(rows)} " in reply.text or f"of {len(rows)} " in reply.text


async def test_open_now_and_tomorrow_at_a_time(montpellier: CivicBot) -> None:
    resident = ChatTester(montpellier, "resident")
    pharmacies = _of(_rows(), "pharmacie", "pharmacy")
    open_now = {row["name"] for row in pharmacies if _open_at(row, SATURDAY)}
    reply = await resident.say("pharmacie ouverte maintenant")
    assert set(_bullets(reply.text)[:len(open_now)]) == open_now
    assert "jusqu'à 12:30" in reply.text  # Aiguelongue: Sa 09:00-12:30, 15:00-19:30
    sunday_8 = SATURDAY.replace(day=14, hour=8, minute=0)
    markets = _of(_rows(), "supermarket")
    open_at_8 = {row["name"] for row in markets if _open_at(row, sunday_8)}
    reply = await resident.say("supermarché ouvert demain à 8h ?")
    assert open_at_8 and set(_bullets(reply.text)[:len(open_at_8)]) == open_at_8
    closed = [row for row in markets if OpeningHours.read(row["hours"]) and row["name"] not in open_at_8]
    assert "Monoprix" in {row["name"] for row in closed}  # opens at 09:00 on Sundays
    assert (f"Ouverts le dimanche 14/06 à 08:00 : {len(open_at_8)} sur {len(markets)} "
            f"({len(closed)} fermés") in reply.text


async def test_closed_days_are_said_closed(montpellier: CivicBot) -> None:
    resident = ChatTester(montpellier, "resident")
    reply = await resident.say("pharmacie ouverte dimanche")
    assert "Pharmacie de l'Aiguelongue" not in _bullets(reply.text)[:0]
    assert "Ouverts le dimanche 14/06 : 0 sur" in reply.text
    reply = await resident.say("hairdresser open on monday")
    assert "Open on Monday 15 Jun: 0 of" in reply.text  # R Stars: Ma-Sa (Tuesday to Saturday)


POSITIONS = {"Comédie": (43.6085, 3.8797), "Saint-Roch": (43.6045, 3.8808),
             "Antigone": (43.6080, 3.8880), "Triolet": (43.6320, 3.8630),
             "Port Marianne": (43.6000, 3.8970)}
NEAREST = [
    ("pharmacie la plus proche", ("pharmacie", "pharmacy")),
    ("la pharmacie la + proche stp", ("pharmacie", "pharmacy")),
    ("pharmacie la plus proche de moi", ("pharmacie", "pharmacy")),
    ("boulangerie la plus proche", ("bakery",)),
    ("nearest bakery", ("bakery",)),
    ("restaurant le plus proche", ("restaurant",)),
    ("nearest hairdresser", ("hairdresser",)),
    ("supermarche le plus proche", ("supermarket",)),
    ("coiffeur le plus proche", ("hairdresser",)),
    ("une librairie pres de chez moi", ("books",)),
    ("ou est le bar le plus proche", ("bar",)),
    ("nearest cafe", ("cafe",)),
]


@pytest.mark.parametrize("place", POSITIONS)
async def test_nearest_is_the_nearest_of_all(montpellier: CivicBot, place: str) -> None:
    latitude, longitude = POSITIONS[place]
    resident = ChatTester(montpellier, "resident")
    await resident.share_location(latitude, longitude)
    for question, categories in NEAREST:
        name, metres = _nearest(_of(_rows(), *categories), latitude, longitude)
        reply = await resident.say(question)
        first = reply.text.split("• ")[1]
        assert first.split("\n")[0] == name, (question, place)
        assert f"à {distance(metres, 'fr')}" in first, (question, place)  # "à 334 m", "à 1,2 km"


def test_the_kinds_asked_are_in_the_data() -> None:
    rows = _rows()
    for _question, categories in NEAREST:
        assert _of(rows, *categories), categories


async def test_importing_the_source_again_replaces_its_services(engine, tmp_path) -> None:
    from knowledge.models import Service
    from tests.support.knowledge import count, run_import

    source = real_data(FILES[0])
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    first = await run_import(engine, lambda w: import_plain(w, "service", source, ORIGIN))
    assert first.tally.by_kind["service"]["added"] == len(rows)
    gone, changed = rows[:10], rows[10].replace("\n", "").rstrip("\r") + "Mo-Fr 09:00-12:00\n"
    assert changed.count(";") == header.count(";")  # the hours column was empty
    trimmed = tmp_path / "services.csv"
    trimmed.write_text(header + changed + "".join(rows[11:]), encoding="utf-8")
    again = await run_import(engine, lambda w: import_plain(w, "service", trimmed, ORIGIN))
    counts = again.tally.by_kind["service"]
    assert (counts["added"], counts["updated"], counts["removed"]) == (0, 1, len(gone))
    assert counts["unchanged"] == len(rows) - 11
    assert await count(engine, Service) == len(rows) - len(gone)
