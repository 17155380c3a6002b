"""Subscribing, unsubscribing and changing how, in a conversation, as a resident would."""
from __future__ import annotations

from sqlalchemy import delete, func, select

from bot.app import CivicBot
from bot.models import User
from bot.outbox import OutboxEntry
from bot.subscriptions.models import Subscriber, Subscription
from bot.testing import ChatTester
from knowledge.importers import Writer
from knowledge.officials import name_keys
from tests.support.delivery import publish


async def subscriptions(bot: CivicBot, user: str = "alice") -> list[tuple[str, str, str]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(Subscription.kind, Subscription.value, Subscription.area).join(User)
            .where(User.user_hash == bot.pseudonymizer.user_hash("test", user)).order_by(Subscription.id))
        return [tuple(row) for row in rows]


async def subscriber(bot: CivicBot, user: str = "alice") -> Subscriber | None:
    async with bot.sessions() as session:
        return (await session.execute(
            select(Subscriber).join(User, User.id == Subscriber.user_id)
            .where(User.user_hash == bot.pseudonymizer.user_hash("test", user)))).scalar_one_or_none()


async def test_plain_words_subscribe_to_a_topic_in_a_quartier(bot: CivicBot, alice: ChatTester) -> None:
    question = await alice.say("Prévenez-moi des travaux à Malakoff")  # asked first: see bot.consent
    assert "« travaux » à Malakoff - Saint-Donatien" in question.text and await subscriptions(bot) == []
    reply = await alice.say("oui")
    assert (await subscriptions(bot)) == [("topic", "travaux", "malakoff saint donatien")]
    assert "« travaux » à Malakoff - Saint-Donatien" in reply.text
    assert "dès leur parution" in reply.text and "22:00" in reply.text and "« stop »" in reply.text
    found = await subscriber(bot)
    assert (found.platform, found.chat_id, found.frequency, found.paused) == ("test", "alice", "immediate", False)
    again = await alice.say("abonnez moi aux travaux à Malakoff")
    assert "déjà abonné" in again.text and len(await subscriptions(bot)) == 1


async def test_choosing_a_topic_from_the_buttons(bot: CivicBot, alice: ChatTester) -> None:
    reply = await alice.say("/abonner")
    labels = [choice.label for choice in reply.choices]
    assert "Culture" in labels and "Mon quartier" in labels and len(labels) == len(bot.settings.topics) + 1
    await alice.press("Culture")
    assert await subscriptions(bot) == [("topic", "culture", "")]
    await alice.say("/abonner")
    await alice.say("les transports")  # typed instead of pressed
    assert ("topic", "transports", "") in await subscriptions(bot)


async def test_my_quartier_is_asked_then_remembered_as_a_subscription(bot: CivicBot, alice: ChatTester) -> None:
    reply = await alice.say("je voudrais recevoir les infos de mon quartier")
    assert reply.request_location and "quartier" in reply.text
    await alice.say("Nantes Erdre")
    assert await subscriptions(bot) == [("area", "nantes erdre", "")]


async def test_following_an_official_by_name(bot: CivicBot, alice: ChatTester) -> None:
    async with bot.sessions() as session:
        writer = Writer(session)
        await writer.add("official", {"key": "test-official-1", "source": "test", "first_name": "Johanna",
                                      "last_name": "Rolland", "role": "Maire", **name_keys("Johanna", "Rolland")})
        await writer.finish()
        await session.commit()
    reply = await alice.say("je veux suivre Johana Roland")
    assert await subscriptions(bot) == [("official", "johanna rolland", "")]
    assert "Johanna Rolland" in reply.text
    unknown = await alice.say("je veux suivre Zorglub Wibble")
    assert "Zorglub Wibble" in unknown.text and len(await subscriptions(bot)) == 1


async def test_stop_in_one_word_ends_everything_and_forgets_the_address(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("abonnez moi au conseil municipal")
    await alice.say("/abonner culture")
    await publish(bot, topics=("culture",))
    reply = await alice.say("stop")
    assert "plus rien" in reply.text and "culture" in reply.text
    assert await subscriptions(bot) == [] and await subscriber(bot) is None
    async with bot.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(OutboxEntry))).scalar() == 0
    nothing = await alice.say("arrête")
    assert "aucun abonnement" in nothing.text


async def test_unsubscribing_from_one_topic_keeps_the_others(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/abonner culture")
    await alice.say("/abonner transports")
    reply = await alice.say("désabonnez-moi de la culture")
    assert await subscriptions(bot) == [("topic", "transports", "")]
    assert "« culture »" in reply.text and "« transports »" in reply.text
    which = await alice.say("/desabonner sport")
    assert "pas abonné" in which.text and any("transports" in choice.label for choice in which.choices)
    await alice.press(which.choices[0].label)
    assert await subscriptions(bot) == []


async def test_pause_keeps_the_choices_and_stops_deliveries_until_resumed(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/abonner travaux")
    reply = await alice.say("mettre mes abonnements en pause")
    assert "pause" in reply.text and (await subscriber(bot)).paused
    assert (await publish(bot)).targeted == 0
    assert await subscriptions(bot) == [("topic", "travaux", "")]
    resumed = await alice.say("/reprendre")
    assert "reparti" in resumed.text and not (await subscriber(bot)).paused
    assert (await publish(bot)).targeted == 1


async def test_frequency_and_quiet_hours_are_changed_in_words(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/abonner travaux")
    reply = await alice.say("/abonnements quotidien")
    assert "résumé chaque jour à 18:00" in reply.text and (await subscriber(bot)).frequency == "daily"
    assert any(choice.value == "/abonnements immediat" for choice in reply.choices)
    reply = await alice.say("/abonnements heures calmes de 21h30 à 7h")
    assert "21:30" in reply.text and (await subscriber(bot)).quiet_hours == "21:30-07:00"
    await alice.say("/abonnements pas d'heures calmes")
    assert (await subscriber(bot)).quiet_hours == ""
    overview = await alice.say("mes abonnements")
    assert "« travaux »" in overview.text and "à toute heure" in overview.text
    publication = await publish(bot)
    async with bot.sessions() as session:
        row = (await session.execute(select(OutboxEntry).where(OutboxEntry.batch == publication.batch))).scalar_one()
    assert row.kind == "digest" and row.payload["frequency"] == "daily"


async def test_in_english(bot: CivicBot) -> None:
    bob = ChatTester(bot, "bob", language="en")
    reply = await bob.say("please subscribe me to culture news")
    assert reply.language == "en" and "“culture”" in reply.text and "“stop”" in reply.text
    mine = await bob.say("what am i subscribed to")
    assert "Your subscriptions" in mine.text
    stopped = await bob.say("unsubscribe")
    assert "nothing more" in stopped.text


async def test_erasing_a_resident_removes_all_of_their_subscriptions(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/abonner travaux")
    await publish(bot)
    async with bot.sessions() as session:
        await session.execute(delete(User))
        await session.commit()
        for table in (Subscriber, Subscription, OutboxEntry):
            assert (await session.execute(select(func.count()).select_from(table))).scalar() == 0
