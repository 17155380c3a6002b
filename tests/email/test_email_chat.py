"""Subscribing an e-mail address from a chat, in residents' words: double opt-in, bad
addresses answered clearly, stopping, "forget me" and the export."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import CivicBot
from bot.config import Settings
from bot.email.models import ACTIVE, PENDING, STOPPED, EmailChoice
from bot.email.store import CONFIRM, EMAIL_KIND
from bot.subscriptions.models import Subscription
from bot.subscriptions.targeting import name_key
from bot.testing import ChatTester
from bot.yamlfile import load_file
from tests.support.contributions import drain, outbox_rows
from tests.support.email import addresses, confirm, link, publish
from tests.support.smtp import MailServer

QUARTIERS = Path(__file__).parents[2] / "knowledge" / "demo" / "quartiers.geojson"
TOPIC_WORDS = Path(__file__).parents[2] / "bot" / "topics.yaml"
MARIE = "marie.durand@exemple.fr"


@pytest.fixture
def settings(settings: Settings, mail_server: MailServer) -> Settings:
    mail_server.configure(settings)
    return settings


def quartier(word: str) -> str:
    """The demo data's name of the quartier that has ``word`` in it."""
    names = [feature["properties"]["nom"] for feature in json.loads(QUARTIERS.read_text())["features"]]
    return next(name for name in names if word in name)


def topic_of(word: str) -> str:
    """The city's topic that ``word`` is a synonym of (bot/topics.yaml)."""
    return next(topic for topic, words in load_file(TOPIC_WORDS).items() if word in words)


async def choices(bot: CivicBot) -> list[tuple[str, str, str]]:
    async with bot.sessions() as session:
        rows = await session.execute(select(EmailChoice.kind, EmailChoice.value, EmailChoice.label))
        return [tuple(row) for row in rows]


@pytest.mark.parametrize(("words", "kind", "label"), [
    ("je veux recevoir les comptes rendus du conseil par mail", "topic", topic_of("conseil")),
    ("je veux recevoir les comptes rendus du conseil par mial", "topic", topic_of("conseil")),
    ("pouvez vous m'envoyer le compte rendu du conseil municipal par e-mail", "topic", topic_of("conseil")),
    ("send me the council minutes by e-mail", "topic", topic_of("council")),
    ("abonne moi par email à Nantes Nord", "area", quartier("Nantes Nord")),
    ("jveux les travaux par mail", "topic", "travaux"),
    ("recevoir les consultations par courriel svp", "topic", topic_of("consultations")),
    ("email me news about Malakoff", "area", quartier("Malakoff")),
    ("abonne moi par mail au sport", "topic", "sport"),
])
async def test_residents_subscribe_an_address_in_their_words(bot: CivicBot, words: str, kind: str,
                                                             label: str) -> None:
    resident = ChatTester(bot, "alice")
    asked = await resident.say(words)
    assert "@" in asked.text  # which address? with an example
    reply = await resident.say(MARIE)
    assert "m•••@exemple.fr" in reply.text and MARIE not in reply.text
    [row] = await addresses(bot)
    assert (row.address, row.status) == (MARIE, PENDING)
    value = name_key(label) if kind == "area" else label
    assert await choices(bot) == [(kind, value, label)]
    [entry] = await outbox_rows(bot, EMAIL_KIND)
    assert entry.payload["message"] == CONFIRM and MARIE not in json.dumps(entry.payload)
    async with bot.sessions() as session:  # the chat subscriptions are untouched
        assert (await session.execute(select(Subscription))).first() is None


async def test_an_address_in_the_request_is_taken_at_once_and_nothing_goes_out_before_the_click(
        bot: CivicBot, mail_server: MailServer) -> None:
    reply = await ChatTester(bot, "alice").say(f"abonne moi par mail aux travaux, mon adresse : {MARIE}")
    assert "confirmer" in reply.text
    assert await publish(bot, "Travaux", "Rue fermée.", topics=["travaux"], kind="works") == 0
    await drain(bot, (EMAIL_KIND,))
    [confirmation] = mail_server.messages_to(MARIE)
    assert "travaux" in confirmation.get_body(("plain",)).get_content()
    assert await confirm(bot, link(confirmation, "/email/confirm")) == "confirmed"
    assert await publish(bot, "Travaux", "Rue fermée.", topics=["travaux"], kind="works") == 1


async def test_without_the_word_mail_it_stays_a_chat_subscription(bot: CivicBot) -> None:
    reply = await ChatTester(bot, "alice").say("je veux recevoir les comptes rendus du conseil")
    assert reply.intent == "subscribe"
    assert await addresses(bot) == [] and await choices(bot) == []


@pytest.mark.parametrize(("typed", "says"), [
    ("marie@", "ne semble pas valable"),
    ("marie.durand@@exemple.fr", "ne semble pas valable"),
    ("marie durand@exemple", "ne semble pas valable"),
    ("x" * 250 + "@exemple.fr", "ne semble pas valable"),
    ("a@b.c\r\nBcc: x@y.z", "une seule adresse"),
    ("marie@exemple.fr, paul@exemple.fr", "une seule adresse"),
])
async def test_a_bad_address_is_answered_clearly_and_nothing_is_stored(bot: CivicBot, typed: str,
                                                                       says: str) -> None:
    resident = ChatTester(bot, "alice")
    await resident.say("je veux les travaux par mail")
    reply = await resident.say(typed)
    assert says in reply.text
    assert await addresses(bot) == [] and await outbox_rows(bot, EMAIL_KIND) == []
    reply = await resident.say(MARIE)  # typed again, right
    assert "m•••@exemple.fr" in reply.text
    assert [row.address for row in await addresses(bot)] == [MARIE]


async def test_a_header_injection_in_the_first_message_is_refused(bot: CivicBot) -> None:
    reply = await ChatTester(bot, "alice").say("abonne moi par mail aux travaux a@b.c\r\nBcc: x@y.z")
    assert "une seule adresse" in reply.text
    assert await addresses(bot) == [] and await outbox_rows(bot, EMAIL_KIND) == []


async def test_a_question_is_asked_about_first(bot: CivicBot) -> None:
    resident = ChatTester(bot, "alice")
    reply = await resident.say(f"est-ce que je peux recevoir les travaux par mail à {MARIE} ?")
    assert "m•••@exemple.fr" in reply.text and [choice.value for choice in reply.choices] == ["oui", "non"]
    assert await addresses(bot) == []
    await resident.say("non")
    assert await addresses(bot) == []
    await resident.say(f"est-ce que je peux recevoir les travaux par mail à {MARIE} ?")
    await resident.say("oui")
    assert [row.status for row in await addresses(bot)] == [PENDING]


async def test_english_resident(bot: CivicBot) -> None:
    resident = ChatTester(bot, "john", language="en")
    asked = await resident.say("I'd like the roadworks by email please")
    assert "address" in asked.text
    reply = await resident.say("my email is john.smith@example.org")
    assert "j•••@example.org" in reply.text and "confirm" in reply.text
    [row] = await addresses(bot)
    assert row.language == "en"


async def test_settings_and_stopping_from_the_chat(bot: CivicBot) -> None:
    resident = ChatTester(bot, "alice")
    await resident.say(f"envoyez moi les infos travaux par courriel stp {MARIE}")
    await resident.say("abonne moi aussi au sport par mail")  # the address is known
    reply = await resident.say("mon abonnement par mail")
    assert "m•••@exemple.fr" in reply.text and "en attente" in reply.text
    assert "travaux" in reply.text and "sport" in reply.text
    assert len(await outbox_rows(bot, EMAIL_KIND)) == 1  # one confirmation, not one per topic
    reply = await resident.say("arrête les mails")
    assert "effacée" in reply.text
    [row] = await addresses(bot)
    assert row.status == STOPPED and row.address == "" and await choices(bot) == []
    assert await outbox_rows(bot, EMAIL_KIND) == []  # the confirmation waiting is dropped
    reply = await resident.say("arrête les mails")
    assert "rien à arrêter" in reply.text


async def test_a_new_address_replaces_the_old_one(bot: CivicBot) -> None:
    resident = ChatTester(bot, "alice")
    await resident.say(f"abonne moi aux travaux par mail {MARIE}")
    [old] = await addresses(bot)
    old_nonce = old.nonce
    await resident.say("mon nouveau mail est marie@nouveau.fr")
    [row] = await addresses(bot)
    assert (row.address, row.status) == ("marie@nouveau.fr", PENDING) and row.nonce != old_nonce
    assert await choices(bot) == [("topic", "travaux", "travaux")]
    [entry] = await outbox_rows(bot, EMAIL_KIND)
    assert entry.payload["nonce"] == row.nonce


async def test_without_smtp_the_resident_is_told_and_nothing_is_stored(bot: CivicBot) -> None:
    bot.settings.smtp_host = ""
    reply = await ChatTester(bot, "alice").say(f"je veux les travaux par mail {MARIE}")
    assert "pas encore" in reply.text
    assert await addresses(bot) == []


async def test_the_export_includes_the_address_and_forget_me_erases_it(bot: CivicBot,
                                                                       mail_server: MailServer) -> None:
    resident = ChatTester(bot, "alice")
    await resident.say(f"abonne moi aux travaux par mail {MARIE}")
    await drain(bot, (EMAIL_KIND,))
    assert await confirm(bot, link(mail_server.messages_to(MARIE)[0], "/email/confirm")) == "confirmed"
    exported = await resident.say("/mesdonnees")
    assert exported.document is not None
    document = json.loads(exported.document.content)
    assert [row["address"] for row in document["email_addresses"]] == [MARIE]
    assert [row["status"] for row in document["email_addresses"]] == [ACTIVE]
    assert [row["value"] for row in document["email_choices"]] == ["travaux"]
    await resident.say("oubliez moi")
    await resident.say("confirm")
    assert await addresses(bot) == [] and await choices(bot) == []
    assert await publish(bot, "Travaux", "Rue fermée.", topics=["travaux"], kind="works") == 0
