"""The report_problem flow, with the local categories (no back end configured)."""
from __future__ import annotations

from sqlalchemy import select

from bot.app import CivicBot
from bot.contributions.models import Contribution, ContributionEvent, Support
from bot.testing import ChatTester
from tests.support.contributions import contribution, outbox_rows, report

NANTES = (47.2184, -1.5536)


async def test_a_report_from_start_to_receipt(bot: CivicBot, alice: ChatTester) -> None:
    start = await alice.say("il y a un problème dans ma rue")
    assert "type de problème" in start.text
    assert "Chaussée, trottoir abîmé" in [choice.label for choice in start.choices]
    reply = await alice.choose(1)
    assert "décrivez" in reply.text.lower()
    reply = await alice.say("Un grand trou devant le numéro 12, dangereux pour les vélos")
    assert reply.request_location
    reply = await alice.share_location(*NANTES)
    assert "photo" in reply.text
    reply = await alice.attach("telegram-file-1")
    assert "anonyme" in reply.text.lower() and "suivie" in reply.text  # said before the choice
    assert [c.value for c in reply.choices] == ["follow", "silent", "anonymous"]
    summary = await alice.choose(1)
    assert "Un grand trou" in summary.text and "Chaussée" in summary.text and "Oui" in summary.text
    receipt = await alice.press("Envoyer")
    assert "référence S-" in receipt.text
    async with bot.sessions() as session:
        stored = (await session.execute(select(Contribution))).scalar_one()
        events = (await session.execute(select(ContributionEvent))).scalars().all()
    assert stored.reference in receipt.text and stored.kind == "report"
    assert stored.category == "local:voirie" and stored.media == "telegram-file-1"
    assert (stored.latitude, stored.longitude) == NANTES
    assert stored.user_id is not None and stored.platform == "test" and stored.chat_id == "alice"
    assert [event.status for event in events] == ["received"]
    assert await outbox_rows(bot) == []  # no back end configured: kept for the city's API


async def test_anonymous_report_has_no_link_at_all(bot: CivicBot, alice: ChatTester) -> None:
    reference = await report(alice, "éclairage", "Lampadaire éteint depuis 3 jours",
                             link="anonymous")
    stored = await contribution(bot, reference)
    assert (stored.user_id, stored.platform, stored.chat_id, stored.language) == (None,) * 4
    assert "anonyme" in alice.last.text


async def test_silent_report_is_linked_without_an_address(bot: CivicBot, alice: ChatTester) -> None:
    stored = await contribution(bot, await report(alice, "tags", "Tag sur le mur de l'école",
                                                  link="silent"))
    assert stored.user_id is not None and stored.chat_id is None and stored.platform is None


async def test_location_by_address_and_typed_category(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/signaler")
    reply = await alice.say("lampadere")  # a typo for lampadaire
    assert "Éclairage" in reply.text
    await alice.say("Il clignote toute la nuit")
    reply = await alice.say("12 rue de Strasbourg")
    assert "photo" in reply.text
    await alice.say("non")
    await alice.say("anonyme")
    summary = alice.last
    assert "12 Rue de Strasbourg" in summary.text
    await alice.say("oui")
    stored = (await _all(bot))[0]  # the street's point in the demo pack's streets.csv
    assert stored.address == "12 Rue de Strasbourg"
    assert (stored.latitude, stored.longitude) == (47.2170, -1.5520)


async def test_a_nearby_open_report_can_be_supported_instead(bot: CivicBot) -> None:
    first = await report(ChatTester(bot, "bob"), "voirie", "Trou dans la chaussée", point=NANTES)
    carol = ChatTester(bot, "carol")
    await carol.say("/signaler")
    await carol.say("voirie")
    await carol.say("Gros nid de poule")
    reply = await carol.share_location(NANTES[0] + 0.0002, NANTES[1])  # about 22 m away
    assert first in reply.text and "22 m" in reply.text
    assert reply.choices[0].value == f"+1 {first}"
    reply = await carol.choose(1)
    assert "anonyme" in reply.text.lower()
    await carol.say("follow")
    receipt = await carol.say("confirm")
    assert first in receipt.text and "soutien" in receipt.text
    stored = await contribution(bot, first)
    assert stored.support_count == 1 and len(await _all(bot)) == 1
    async with bot.sessions() as session:
        support = (await session.execute(select(Support))).scalar_one()
    assert support.chat_id == "carol" and support.supporter_key
    # a second +1 from the same resident is not counted twice, even anonymous
    await carol.say("/signaler")
    await carol.say("voirie")
    await carol.say("Toujours ce trou")
    await carol.share_location(*NANTES)
    await carol.say(f"+1 {first}")
    await carol.say("anonymous")
    assert "déjà" in (await carol.say("confirm")).text
    assert (await contribution(bot, first)).support_count == 1


async def test_far_or_other_category_reports_are_not_duplicates(bot: CivicBot) -> None:
    await report(ChatTester(bot, "bob"), "voirie", "Trou dans la chaussée", point=NANTES)
    carol = ChatTester(bot, "carol")
    await carol.say("/signaler")
    await carol.say("voirie")
    await carol.say("Autre trou")
    far = await carol.share_location(NANTES[0] + 0.001, NANTES[1])  # about 110 m
    assert "photo" in far.text
    dave = ChatTester(bot, "dave")
    await dave.say("/signaler")
    await dave.say("tags")
    await dave.say("Tag")
    assert "photo" in (await dave.share_location(*NANTES)).text


async def test_the_summary_lets_the_resident_change_an_answer(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/signaler")
    await alice.say("voirie")
    await alice.say("Trou")
    await alice.share_location(*NANTES)
    await alice.say("passer")
    await alice.say("follow")
    reply = await alice.say("modifier")
    assert len(reply.choices) == 5
    await alice.say("description")
    summary = await alice.say("Un trou profond de 20 cm")
    assert "Un trou profond de 20 cm" in summary.text and "Envoyer" in [c.label for c in summary.choices]
    await alice.say("envoyer")
    assert (await _all(bot))[0].description == "Un trou profond de 20 cm"


async def test_bad_answers_get_a_clear_question_again(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/signaler")
    assert "pas reconnu" in (await alice.say("zzzz qqqq")).text
    await alice.say("voirie")
    assert "quelques mots" in (await alice.say("🙂")).text
    await alice.say("Trou énorme")
    assert "par exemple" in (await alice.say("?")).text
    await alice.say("quai de la fosse")
    assert "Passer" in (await alice.say("j'ai pas de photo sur moi là")).text
    await alice.say("passer")
    assert "trois" in (await alice.say("peut-être")).text
    await alice.say("anonymous")
    assert "Envoyer" in (await alice.say("hmm")).text
    assert "annulé" in (await alice.say("annuler")).text
    assert await _all(bot) == []


async def _all(bot: CivicBot) -> list[Contribution]:
    async with bot.sessions() as session:
        return list((await session.execute(select(Contribution).order_by(Contribution.id))).scalars())
