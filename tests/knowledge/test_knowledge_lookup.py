"""Opening hours, entity extractors, and the look-up of officials and streets."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot import db
from bot.text import normalize
from knowledge import store
from knowledge.extractors import area_extractor, extract_address
from knowledge.geo import AreaIndex, distance_m, street_named
from knowledge.hours import OpeningHours
from knowledge.models import Area
from knowledge.officials import find_by_name, for_area, in_charge_of, name_keys, of_communes, with_role

PARIS = ZoneInfo("Europe/Paris")


def test_opening_hours_open_now_and_next_opening() -> None:
    hours = OpeningHours.parse("Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; Su off")
    monday_morning = datetime(2024, 3, 4, 10, 0, tzinfo=PARIS)
    assert hours.is_open(monday_morning) and hours.closes_at(monday_morning) == time(12, 0)
    lunch = datetime(2024, 3, 4, 12, 30, tzinfo=PARIS)
    assert not hours.is_open(lunch) and hours.next_opening(lunch) == datetime(2024, 3, 4, 13, 30,
                                                                              tzinfo=PARIS)
    saturday_evening = datetime(2024, 3, 9, 18, 0, tzinfo=PARIS)
    assert hours.next_opening(saturday_evening) == datetime(2024, 3, 11, 8, 30, tzinfo=PARIS)
    assert hours.on(6) == [] and hours.on(5) == [(time(9), time(12))]


def test_opening_hours_variants_and_errors() -> None:
    assert OpeningHours.parse("24/7").is_open(datetime(2024, 3, 10, 3, 0))
    assert OpeningHours.parse("Sa-Mo 10:00-24:00").on(0) == [(time(10), time(23, 59, 59))]
    assert OpeningHours.parse("10:00-18:00").on(3) == [(time(10), time(18))]
    assert OpeningHours.parse("Mo,We 09:00-12:00; PH off").on(2) == [(time(9), time(12))]
    assert OpeningHours.parse("").on(0) == []
    never = OpeningHours.parse("Mo-Su off")
    assert never.next_opening(datetime(2024, 3, 4, tzinfo=PARIS)) is None
    for bad in ("Xy 10:00-12:00", "Mo 10h-12h", "Mo 18:00-09:00", "Mo 25:00-26:00"):
        with pytest.raises(ValueError):
            OpeningHours.parse(bad)


AREAS = [("area-nantes-malakoff", "Malakoff - Saint-Donatien", "Nantes"),
         ("area-nantes-nord", "Nantes Nord", "Nantes"),
         ("area-nantes-sud", "Nantes Sud", "Nantes"),
         ("area-nantes-ile", "Ile de Nantes", "Nantes"),
         ("area-nantes-zola", "Dervallières - Zola", "Nantes")]


@pytest.mark.parametrize("message, key", [
    ("je vis à Malakoff", "area-nantes-malakoff"),
    ("travaux a malakof", "area-nantes-malakoff"),
    ("quartier saint donatien", "area-nantes-malakoff"),
    ("du côté de Nantes Nord", "area-nantes-nord"),
    ("nantes sud", "area-nantes-sud"),
    ("sur l'île de Nantes", "area-nantes-ile"),
    ("rue Zola", "area-nantes-zola"),
])
def test_area_extractor_is_typo_tolerant(message: str, key: str) -> None:
    extract = area_extractor(AREAS)
    assert extract(message, normalize(message))["area_key"] == key


@pytest.mark.parametrize("message", ["bonjour", "je vais à Nantes", "une zone sud", "le nord"])
def test_area_extractor_does_not_guess(message: str) -> None:
    assert area_extractor(AREAS)(message, normalize(message)) == {}


@pytest.mark.parametrize("message, address", [
    ("j'habite 12 rue de Strasbourg à Nantes", "12 rue de Strasbourg"),
    ("3 bis, boulevard Jules Verne", "3 boulevard Jules Verne"),
    ("près de la place Graslin svp", "place Graslin"),
    ("12 rue de la paix", "12 rue de la paix"),
])
def test_address_extractor(message: str, address: str) -> None:
    assert extract_address(message, normalize(message)) == {"address": address}


@pytest.mark.parametrize("message", ["je cherche une place en crèche", "la rue est sale",
                                     "cours de yoga"])
def test_address_extractor_ignores_ordinary_words(message: str) -> None:
    assert extract_address(message, normalize(message)) == {}


def test_areas_known_by_a_centre_point_only_claim_points_nearby() -> None:
    index = AreaIndex([
        Area(key="square", geometry={"type": "Polygon", "coordinates": [
            [[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]]}),
        Area(key="north", geometry=None, latitude=0.05, longitude=0.005),
        Area(key="east", geometry=None, latitude=0.005, longitude=0.05),
    ])
    assert index.locate(0.005, 0.005) == "square"
    assert index.locate(0.052, 0.006) == "north"
    assert index.locate(0.004, 0.049) == "east"
    assert index.locate(0.5, 0.5) is None  # too far from any centre


def test_distance() -> None:
    assert distance_m(47.2161, -1.5497, 47.2161, -1.5497) == 0
    assert 1200 < distance_m(47.2161, -1.5497, 47.2063, -1.5640) < 1700


def _official(first: str, last: str, role: str = "Conseiller municipal",
              delegations: list[str] | None = None, areas: list[str] | None = None) -> dict:
    return {"key": f"o-{first}-{last}", "first_name": first, "last_name": last,
            **name_keys(first, last), "role": role, "delegations": delegations or [],
            "areas": areas or [], "commune_code": "", "commune": "", "email": "", "phone": "",
            "url": "", "mandate_start": None, "mandate_end": None, "function_start": None,
            "source": "test", "source_url": "", "licence": "", "source_date": None,
            "demo": False}


async def test_officials_by_name_role_topic_and_area(engine) -> None:
    async with db.session_factory(engine)() as session:
        await store.save(session, "official", [
            _official("Johanna", "Rolland", "Maire"),
            {**_official("Paul", "Bernard", "Maire"), "commune": "Rezé"},
            _official("Bassem", "Asseh", "Adjoint", ["dialogue citoyen"]),
            _official("Mahel", "Coppey", "Adjointe", ["économie sociale et solidaire"]),
            _official("Jean", "Martin", areas=["area-nantes-nord"]),
            _official("Marie", "Martin"),
        ])
        await session.commit()
        for query, expected in (("Rolland", "Johanna Rolland"), ("roland", "Johanna Rolland"),
                                ("johana rolan", "Johanna Rolland"), ("Aseh", "Bassem Asseh"),
                                ("bassem", "Bassem Asseh"), ("Copey", "Mahel Coppey")):
            found = await find_by_name(session, query)
            assert found and found[0][0].full_name == expected, query
        assert {o.full_name for o, _ in await find_by_name(session, "martin")} == {
            "Jean Martin", "Marie Martin"}
        assert (await find_by_name(session, "marie martin"))[0][0].full_name == "Marie Martin"
        assert await find_by_name(session, "zorglub") == []
        assert [o.full_name for o in await with_role(session, "maire", "Nantes")] == [
            "Johanna Rolland"]
        assert len(await with_role(session, "Maire")) == 2
        city = await of_communes(session, ("",))
        assert [o.full_name for o in in_charge_of(city, ["dialogue citoyen"])] == ["Bassem Asseh"]
        assert [o.full_name for o in in_charge_of(city, ["économies solidaires"])] == ["Mahel Coppey"]
        assert in_charge_of(city, ["velo"]) == [] and in_charge_of(city, ["dialogue velo"]) == []
        assert [o.full_name for o in await of_communes(session, ("", "reze"), "maire")] == [
            "Paul Bernard", "Johanna Rolland"]  # by surname
        assert [o.full_name for o in await for_area(session, "area-nantes-nord")] == ["Jean Martin"]


async def test_street_look_up(engine) -> None:
    async with db.session_factory(engine)() as session:
        await store.save(session, "street", [
            {"key": f"s-{n}", "name": name, "name_key": normalize(name), "city": "Nantes",
             "area": "", "latitude": None, "longitude": None, "source": "test",
             "source_url": "", "licence": "", "source_date": None, "demo": False}
            for n, name in enumerate(("Rue de Strasbourg", "Rue Crébillon", "Quai de la Fosse"))])
        await session.commit()
        assert (await street_named(session, "12 rue de Strasbourg")).name == "Rue de Strasbourg"
        assert (await street_named(session, "rue crebilon")).name == "Rue Crébillon"
        assert await street_named(session, "avenue des Champs") is None
        assert await street_named(session, "12") is None
