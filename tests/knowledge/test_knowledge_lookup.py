"""Entity extractors, and the look-up of officials and streets."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import db
from bot.text import normalize
from knowledge import store
from knowledge.extractors import area_extractor, extract_address
from knowledge.geo import AreaIndex, distance_m, street_named
from knowledge.models import Area
from knowledge.officials import find_by_name, for_area, in_charge_of, name_keys, of_communes, with_role

PARIS = ZoneInfo("Europe/Paris")


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


def _square(key: str, corner: float, side: float) -> Area:
    west = south = corner
    east = north = corner + side
    return Area(key=key, geometry={"type": "Polygon", "coordinates": [
        [[west, south], [east, south], [east, north], [west, north], [west, south]]]})


@pytest.mark.parametrize("order", [1, -1])
def test_a_point_in_a_quartier_of_an_imported_commune_is_in_the_quartier(order: int) -> None:
    """Communes and their quartiers imported together overlap: the quartier, the smaller,
    is where the point is, whatever the order of the areas."""
    index = AreaIndex([_square("commune", 0.0, 0.1), _square("quartier", 0.04, 0.02)][::order])
    assert index.locate(0.05, 0.05) == "quartier"
    assert index.locate(0.02, 0.02) == "commune"


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


async def test_a_function_a_later_one_replaced_is_not_current(engine) -> None:
    """An adjoint who became maire, a 4th deputy who became the 3rd: one person's rows that
    began before their latest are not current; a namesake of another commune is kept."""
    def row(first: str, last: str, role: str, began: dt.date, commune: str = "Saffré") -> dict:
        return {**_official(first, last, role), "key": f"o-{first}-{last}-{role}-{commune}",
                "commune": commune, "commune_key": normalize(commune), "commune_code": commune,
                "function_start": began}

    async with db.session_factory(engine)() as session:
        await store.save(session, "official", [
            row("Marie", "Lefeuvre", "4ème adjoint au Maire", dt.date(2020, 5, 18)),
            row("Marie", "Lefeuvre", "Maire", dt.date(2022, 7, 8)),
            row("Marion", "Thomassin", "6ème adjoint au Maire", dt.date(2020, 5, 18)),
            row("Marion", "Thomassin", "4ème adjoint au Maire", dt.date(2022, 7, 8)),
            row("Victor", "Jaffres", "5ème adjoint au Maire", dt.date(2020, 7, 5)),
            row("Victor", "Jaffres", "Maire délégué", dt.date(2020, 7, 5)),  # both, same day
            row("Marie", "Lefeuvre", "4ème adjoint au Maire", dt.date(2020, 5, 18), "Rezé"),
        ])
        await session.commit()
        fourth = await of_communes(session, ("saffre",), "adjoint", 4)
        assert [o.full_name for o in fourth] == ["Marion Thomassin"]
        assert [o.role for o in await of_communes(session, ("saffre",), "maire")] == ["Maire"]
        assert sorted(o.role for o in await of_communes(session, ("saffre",))
                      if o.last_name == "Jaffres") == ["5ème adjoint au Maire", "Maire délégué"]
        named = sorted((o.commune, o.role) for o, _ in await find_by_name(session, "marie lefeuvre"))
        assert named == [("Rezé", "4ème adjoint au Maire"), ("Saffré", "Maire")]


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
        # named inside a sentence that says it is a street
        assert (await street_named(session, "je suis rue de strasbourg")).name == "Rue de Strasbourg"
        assert (await street_named(session, "c'est au 3 quai de la fosse")).name == "Quai de la Fosse"
        assert await street_named(session, "j'habite a Strasbourg") is None  # not said to be a street
