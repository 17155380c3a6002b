"""Ideas and their supports, polls and votes, and the resident's view of all their contributions."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.app import CivicBot
from bot.contributions.followup import record_status
from bot.contributions.models import Contribution, Opinion, Poll, Vote
from bot.contributions.polls import create_poll, options_of, publish_due_results
from bot.db import utcnow
from bot.models import User
from bot.testing import ChatTester
from tests.support.contributions import contribution, outbox_rows, reference_in, report


async def propose(tester: ChatTester, title: str = "Des bancs place du Commerce",
                  link: str = "follow") -> str:
    assert "titre" in (await tester.say("/idee")).text
    await tester.say(title)
    await tester.say("Pour que les personnes âgées puissent se reposer.")
    await tester.say("urbanisme")
    assert "anonyme" in (await tester.say("Centre Ville")).text.lower()
    await tester.say(link)
    return reference_in((await tester.say("envoyer")).text)


async def test_an_idea_is_proposed_then_supported_by_others(bot: CivicBot, alice: ChatTester) -> None:
    reference = await propose(alice)
    idea = await contribution(bot, reference)
    assert (idea.kind, idea.title, idea.category, idea.area) == (
        "idea", "Des bancs place du Commerce", "urbanisme", "Centre Ville")
    bob = ChatTester(bot, "bob")
    await bob.say("/idee")
    listing = await bob.say("voir")
    assert reference in listing.text and listing.choices[0].value == f"+1 {reference}"
    await bob.choose(1)
    await bob.say("anonymous")
    assert "soutien" in (await bob.say("oui")).text
    assert (await contribution(bot, reference)).support_count == 1


async def test_an_idea_passing_the_threshold_is_sent_to_the_city_once(bot: CivicBot, alice: ChatTester) -> None:
    bot.settings.idea_support_threshold = 2
    bot.settings.webhook_url, bot.settings.webhook_secret = "http://127.0.0.1:9/hook", "s"
    reference = await propose(alice)
    for name in ("bob", "carol", "dave"):
        tester = ChatTester(bot, name)
        await tester.say("/idee")
        await tester.say("voir")
        await tester.say(f"+1 {reference}")
        await tester.say("silent")
        await tester.say("envoyer")
    idea = await contribution(bot, reference)
    assert idea.support_count == 3 and idea.city_notified_at is not None
    events = [row.payload["event"] for row in await outbox_rows(bot, "contribution.forward")]
    assert events == ["idea.created", "idea.threshold_reached"]
    news = await outbox_rows(bot, "message")
    assert [row.chat_id for row in news] == ["alice"]  # the author follows; the others are silent
    assert "2 soutiens" in news[0].payload["text"]


async def test_bad_idea_answers_are_asked_again(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/idee")
    assert "quelques mots" in (await alice.say("!!")).text
    await alice.say("Un composteur de quartier")
    assert "quelques mots" in (await alice.say("  ")).text
    await alice.say("Dans le square")
    assert "pas reconnu" in (await alice.say("xyzzy plugh")).text
    await alice.say("environnement")
    await alice.say("passer")
    assert "trois" in (await alice.say("bof")).text


async def _poll(bot: CivicBot, *, closes_in: timedelta = timedelta(days=7), areas=None,
                question="Faut-il piétonniser la rue Crébillon ?") -> Poll:
    async with bot.sessions() as session:
        poll = await create_poll(session, question={"fr": question, "en": "Pedestrianise Crébillon street?"},
                                 options=[{"fr": "Oui", "en": "Yes"}, {"fr": "Non", "en": "No"}],
                                 opens_at=utcnow() - timedelta(hours=1), closes_at=utcnow() + closes_in,
                                 areas=areas)
        await session.commit()
        return poll


async def test_one_vote_per_resident_changeable_with_an_opinion(bot: CivicBot, alice: ChatTester) -> None:
    poll = await _poll(bot)
    reply = await alice.say("/voter")
    assert "Crébillon" in reply.text and [c.label for c in reply.choices] == ["Oui", "Non"]
    assert "avis" in (await alice.say("Oui")).text
    await alice.say("Enfin un peu de calme pour les piétons")
    recorded = await alice.say("follow")
    assert "« Oui » est enregistré" in recorded.text and "résultats" in recorded.text
    again = await alice.say("/voter")
    assert "déjà voté" in again.text and "« Oui »" in again.text
    await alice.choose(2)
    await alice.say("passer")
    await alice.say("anonymous")
    async with bot.sessions() as session:
        votes = (await session.execute(select(Vote))).scalars().all()
        opinions = (await session.execute(select(Opinion))).scalars().all()
    assert len(votes) == 1 and votes[0].user_id is None and votes[0].chat_id is None
    assert votes[0].option_id != (await _options(bot, poll))[0]
    assert [opinion.text for opinion in opinions] == ["Enfin un peu de calme pour les piétons"]


async def test_results_go_to_followers_after_the_close(bot: CivicBot) -> None:
    await _poll(bot)
    for name, answer, link in (("a", "Oui", "follow"), ("b", "Oui", "anonymous"), ("c", "Non", "follow")):
        tester = ChatTester(bot, name, language="en" if name == "c" else None)
        await tester.say("/voter")
        await tester.say(answer if name != "c" else "No")
        await tester.say("passer")
        await tester.say(link)
    assert await publish_due_results(bot) == 0
    async with bot.sessions() as session:
        await session.execute(update(Poll).values(closes_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert "pas de consultation" in (await ChatTester(bot, "a").say("/voter")).text
    assert await publish_due_results(bot) == 1
    assert await publish_due_results(bot) == 0  # once
    messages = {row.chat_id: row.payload["text"] for row in await outbox_rows(bot, "message")}
    assert set(messages) == {"a", "c"}
    assert "Oui : 2 (67 %)" in messages["a"] and "Yes : 2 (67 %)" in messages["c"]
    async with bot.sessions() as session:
        keys = (await session.execute(select(Vote.voter_key))).scalars().all()
    assert keys == [None, None, None]


async def test_no_open_poll_and_a_closed_poll_cannot_be_voted(bot: CivicBot, alice: ChatTester) -> None:
    assert "pas de consultation" in (await alice.say("/voter")).text
    poll = await _poll(bot)
    await alice.say("/voter")
    async with bot.sessions() as session:
        await session.execute(update(Poll).where(Poll.id == poll.id)
                              .values(closes_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert "close" in (await alice.say("Oui")).text


async def test_polls_of_another_quartier_are_not_offered(bot: CivicBot, alice: ChatTester) -> None:
    await _poll(bot, areas=["Doulon - Bottière"], question="Un marché à Doulon ?")
    await _poll(bot, question="Question pour toute la ville ?")
    await alice.say("bonjour")
    async with bot.sessions() as session:
        await session.execute(update(User).values(home_area="Centre Ville"))
        await session.commit()
    reply = await alice.say("/voter")
    assert "toute la ville" in reply.text and "Doulon" not in reply.text


async def test_my_contributions_lists_everything_linked_with_status_and_notes(bot: CivicBot,
                                                                               alice: ChatTester) -> None:
    assert "pas encore" in (await alice.say("/contributions")).text
    linked = await report(alice, "voirie", "Trou rue de Strasbourg")
    anonymous = await report(alice, "tags", "Tag", link="anonymous", point=(47.22, -1.56))
    idea = await propose(alice, "Un composteur")
    await _poll(bot)
    await alice.say("/voter")
    await alice.say("Non")
    await alice.say("Trop de livraisons")
    await alice.say("silent")
    async with bot.sessions() as session:
        stored = await session.get(Contribution, (await contribution(bot, linked)).id)
        await record_status(bot, session, stored, "closed", "Rebouché le 3 mars")
        await session.commit()
    listing = await alice.say("mes contributions")
    assert linked in listing.text and idea in listing.text and anonymous not in listing.text
    assert "Rebouché le 3 mars" in listing.text and "Trop de livraisons" in listing.text
    assert "Vos contributions (3)" in listing.text
    history = await alice.say(f"/contributions {linked.lower()}")
    assert "reçu" in history.text and "clos" in history.text and "Rebouché" in history.text
    assert "Je ne trouve pas" in (await ChatTester(bot, "eve").say(f"/contributions {linked}")).text


async def _options(bot: CivicBot, poll: Poll) -> list[int]:
    async with bot.sessions() as session:
        return [option.id for option in await options_of(session, poll)]
