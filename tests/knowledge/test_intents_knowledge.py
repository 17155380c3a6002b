"""ask_data, council, find_official and find_service, as a resident uses them (demo pack)."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import CivicBot
from bot.models import User
from bot.testing import ChatTester
from knowledge import store
from knowledge.officials import name_keys

DEMO = "Données de démonstration"
PACK_DATE = "30/06/2015"


def values(reply) -> list[str]:
    return [choice.value for choice in reply.choices]


def assert_sourced(reply, date: str = PACK_DATE) -> None:
    assert "Source" in reply.text and date in reply.text and "https://" in reply.text
    assert DEMO in reply.text or "Demonstration data" in reply.text


def assert_honest_no(reply) -> None:
    assert "/humain" in values(reply) or "/human" in values(reply)
    assert "Source" not in reply.text


async def home_area(bot: CivicBot) -> str | None:
    async with bot.sessions() as session:
        return await session.scalar(select(User.home_area).where(User.platform == "test"))


# ask_data

async def test_ask_data_gives_a_figure_with_its_source(alice: ChatTester) -> None:
    reply = await alice.say("/donnees budget culture 2015")
    assert "Budget de la culture (2015) : 80 millions d'euros" in reply.text
    assert_sourced(reply)
    natural = await alice.say("quel est le budget de la culture en 2015 ?")
    assert "80 millions d'euros" in natural.text


async def test_ask_data_never_gives_another_year_as_the_one_asked(alice: ChatTester) -> None:
    reply = await alice.say("/donnees budget culture 2030")
    assert "pas ce chiffre pour 2030" in reply.text and "2015" in reply.text


async def test_ask_data_points_to_datasets_when_no_figure_fits(alice: ChatTester) -> None:
    reply = await alice.say("/donnees pollution")
    assert "Qualité de l'air" in reply.text
    assert "https://example.org/civicbot-demo/donnees/qualite-air" in reply.text
    assert_sourced(reply)


async def test_ask_data_says_so_when_it_does_not_know(alice: ChatTester) -> None:
    reply = await alice.say("/donnees licornes")
    assert "licornes" in reply.text and "inventer" in reply.text
    assert not re.search(r"\d", reply.text)
    assert_honest_no(reply)


async def test_ask_data_asks_what_is_wanted_then_answers(alice: ChatTester) -> None:
    question = await alice.say("/donnees")
    assert "Que cherchez-vous" in question.text
    answer = await alice.say("population")
    assert "290\u202f000 habitants" in answer.text
    assert_sourced(answer)


async def test_ask_data_in_english(alice: ChatTester) -> None:
    await alice.say("hello, I'm looking for some figures about the city")
    reply = await alice.say("/data culture budget")  # the conversation is in English
    assert "80 million euros" in reply.text and "Source:" in reply.text
    assert "Demonstration data (as of 30 Jun 2015)" in reply.text and "2015-06-30" not in reply.text


# council

async def test_council_last_meeting_with_deliberations_votes_and_links(alice: ChatTester) -> None:
    menu = await alice.say("/conseil")
    assert len(menu.choices) == 2
    reply = await alice.choose(2)
    assert "Dernière séance : Conseil municipal, séance du 26/06/2015" in reply.text
    assert "Plan vélo : nouvelles pistes cyclables (pour 50, contre 8, abstentions 4)" in reply.text
    assert "https://example.org/civicbot-demo/deliberations/2015-06-02" in reply.text
    assert_sourced(reply)
    natural = await alice.say("compte rendu du dernier conseil municipal")
    assert "26/06/2015" in natural.text
    assert "Dernière séance" in (await alice.say("/conseil quand a eu lieu le dernier ?")).text


async def test_council_next_meeting_is_not_made_up(alice: ChatTester) -> None:
    reply = await alice.say("/conseil prochaine")
    assert "ne connais pas encore la date de la prochaine séance" in reply.text
    assert "26/06/2015" in reply.text
    assert_sourced(reply)


async def test_council_deliberations_on_a_subject(alice: ChatTester) -> None:
    reply = await alice.say("/conseil logement")
    assert "Logement social : garanties d'emprunt (pour 51, contre 12, abstentions 0)" in reply.text
    assert "Plan vélo" not in reply.text
    assert_sourced(reply)
    assert_honest_no(await alice.say("/conseil piscine"))


# find_official

async def test_official_by_name_with_typos(alice: ChatTester) -> None:
    for query in ("/elu Rolland", "/elu johana roland", "/elu belamiti", "/elu Trichet"):
        reply = await alice.say(query)
        assert_sourced(reply)
        assert "Mandat depuis le 04/04/2014" in reply.text, query
    assert "Mounir Belhamiti" in (await alice.say("/elu belamiti")).text
    assert "02 00 00 00 00" in (await alice.say("/elu Asseh")).text


async def test_official_by_role_and_topic(alice: ChatTester) -> None:
    assert "Johanna Rolland — Maire" in (await alice.say("/elu maire")).text
    assert "Johanna Rolland" in (await alice.say("qui est le maire ?")).text
    assert "Francky Trichet" in (await alice.say("/elu numérique")).text
    assert "Bassem Asseh" in (await alice.say("/elu participation")).text
    assert "Mahel Coppey" in (await alice.say("/elu economie sociale et solidaire")).text
    unknown = await alice.say("/elu velo")
    assert "velo" in unknown.text
    assert_honest_no(unknown)


async def test_my_councillor_asks_where_then_offers_to_remember(bot: CivicBot, alice: ChatTester) -> None:
    question = await alice.say("qui est mon élu ?")
    assert question.request_location and "position" in question.text
    answer = await alice.share_location(47.2161, -1.5497)
    assert "Centre Ville" in answer.text and "approximatifs" in answer.text
    assert_sourced(answer)
    assert await home_area(bot) is None  # nothing remembered without consent
    assert "retienne" in answer.text
    remembered = await alice.choose(1)
    assert "C'est noté" in remembered.text
    assert await home_area(bot) == "area-nantes-centre-ville"
    again = await alice.say("/elu")
    assert "Centre Ville" in again.text and "Quartier retenu" in again.text
    forgotten = await alice.say("/elu oublier")
    assert "oublié" in forgotten.text
    assert await home_area(bot) is None
    assert "pas retenu" in (await alice.say("/elu oublier")).text


async def test_my_councillor_by_address_or_quartier_and_declining(bot: CivicBot,
                                                                 alice: ChatTester) -> None:
    await alice.say("/elu")
    by_address = await alice.say("12 rue de Strasbourg")
    assert "Centre Ville" in by_address.text
    declined = await alice.say("non")
    assert "je ne retiens rien" in declined.text
    assert await home_area(bot) is None
    by_quartier = await alice.say("qui est l'élu de malakof ?")
    assert "Malakoff - Saint-Donatien" in by_quartier.text


async def test_my_councillor_gives_up_honestly_on_an_unknown_place(alice: ChatTester) -> None:
    await alice.say("/elu")
    first = await alice.say("zzz qqq")
    assert first.request_location and "pas reconnu" in first.text
    second = await alice.say("xxx yyy")
    assert "n'arrive pas" in second.text
    assert_honest_no(second)
    outside = await alice.say("/elu")
    assert outside.request_location
    far = await alice.share_location(48.8566, 2.3522)  # Paris: no quartier known there
    assert "pas reconnu" in far.text


async def test_official_of_a_quartier(bot: CivicBot, alice: ChatTester) -> None:
    async with bot.sessions() as session:
        await store.save(session, "official", [{
            "key": "official-test-doulon", "first_name": "Camille", "last_name": "Exemple",
            **name_keys("Camille", "Exemple"), "role": "Adjointe de quartier", "delegations": [],
            "areas": ["area-nantes-doulon-bottiere"], "commune_code": "44109",
            "commune": "Nantes", "email": "quartier@example.org", "phone": "", "url": "",
            "mandate_start": None, "mandate_end": None, "function_start": None,
            "source": "Ville de Nantes", "source_url": "https://example.org/elus",
            "licence": "", "source_date": datetime(2024, 1, 5).date(), "demo": False}])
        await session.commit()
    reply = await alice.say("/elu Doulon")
    assert "Élu·es du quartier Doulon - Bottière" in reply.text
    assert "Camille Exemple — Adjointe de quartier" in reply.text
    assert "Source : Ville de Nantes (05/01/2024) — https://example.org/elus" in reply.text


async def test_my_councillor_through_the_geocoder(bot: CivicBot, alice: ChatTester) -> None:
    async def search_address(request: web.Request) -> web.Response:
        return web.json_response({"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.5497, 47.2161]},
            "properties": {"label": "4 Place Marc Elder 44000 Nantes", "score": 0.9,
                           "citycode": "44109", "postcode": "44000"}}]})

    app = web.Application()
    app.router.add_get("/search", search_address)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        bot.settings.geocoder_url = str(server.make_url("/search"))
        await alice.say("/elu")
        reply = await alice.say("4 place Marc Elder")
        assert "Centre Ville" in reply.text
    finally:
        await server.close()


# find_service

def _at(monkeypatch, *moment: int) -> None:
    import intents.find_service

    when = datetime(*moment, tzinfo=ZoneInfo("Europe/Paris"))
    monkeypatch.setattr(intents.find_service, "now", lambda ctx: when)


async def test_service_by_need_with_hours_and_open_now(alice: ChatTester, monkeypatch) -> None:
    _at(monkeypatch, 2024, 3, 4, 10, 0)  # a Monday morning
    reply = await alice.say("/service acte de naissance")
    assert "Hôtel de Ville de Nantes" in reply.text
    assert "Ouvert en ce moment, jusqu'à 17:30." in reply.text
    assert "lundi–vendredi 08:30–17:30 ; samedi 09:00–12:30" in reply.text
    assert reply.request_location
    assert_sourced(reply)
    _at(monkeypatch, 2024, 3, 10, 15, 0)  # a Sunday afternoon
    closed = await alice.say("/service acte de naissance")
    assert "Fermé en ce moment ; ouvre le lundi 11/03 à 08:30." in closed.text
    natural = await alice.say("ou renouveler ma carte d'identite ?")
    assert natural.text.count("• ") == 3 and "Mairie annexe" in natural.text


async def test_service_open_on_the_day_asked(alice: ChatTester) -> None:
    reply = await alice.say("/service déchetterie ouverte dimanche")
    assert "Déchèterie de la Prairie de Mauves" in reply.text
    assert re.search(r"Ouvert le dimanche \d\d/\d\d : 09:00–12:00\.", reply.text)
    assert re.search(r"Fermé le dimanche \d\d/\d\d\.", reply.text)  # the Écopoint


async def test_service_nearest_first_with_a_location(alice: ChatTester) -> None:
    await alice.share_location(47.2295, -1.5160)  # Doulon
    reply = await alice.say("/service mairie annexe")
    first = reply.text.split("•")[1]
    assert "Mairie annexe de Doulon" in first and "à 94\u00a0m" in first  # services.csv 47.2290,-1.5150
    assert not reply.request_location


async def test_service_says_so_when_it_does_not_know(alice: ChatTester) -> None:
    assert_honest_no(await alice.say("/service zorglub"))
    question = await alice.say("/service")
    assert "De quel service" in question.text
    answer = await alice.say("piscine")
    assert "Piscine Léo Lagrange" in answer.text
