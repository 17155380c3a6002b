"""Hand-over through the chat: a resident asks for a person, their messages go to the ticket,
the agent's answers reach their chat, and they come back to the bot whichever way it ends."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import CivicBot
from bot.http import create_app
from bot.messages import PRIORITY_REPLY
from bot.testing import ChatTester
from tests.support.delivery import RecordingConnector, running
from tests.support.handover import agent_token, bearer, conversation, handover_rows, tickets

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
FRENCH_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@pytest.fixture
async def client(bot: CivicBot):
    async with TestClient(TestServer(create_app(bot))) as client:
        yield client


async def test_asking_opens_a_ticket_and_says_what_happens_next(bot: CivicBot, alice: ChatTester) -> None:
    reply = await alice.say("je voudrais parler à une vraie personne")
    [ticket] = await tickets(bot)
    assert f"demande n° {ticket.id}" in reply.text
    assert "Nantes" in reply.text and "« fin »" in reply.text and "annuler" in reply.text
    assert "30 jours" in reply.text and "identifiant" in reply.text  # what is kept, how long
    assert "lundi–vendredi 09:00–17:00" in reply.text  # when agents usually answer
    assert reply.choices == []  # a typed "1" must reach the agent, not pick a choice
    assert (ticket.status, ticket.platform, ticket.chat_id, ticket.language) == ("open", "test", "alice", "fr")
    assert [(row.author, row.event) for row in await conversation(bot, ticket.id)] == [("system", "opened")]


async def test_a_second_request_finds_the_open_ticket(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/humain")
    again = await alice.say("/humain")
    also = await alice.say("/human")
    [ticket] = await tickets(bot)
    assert "déjà ouverte" in again.text and f"n° {ticket.id}" in again.text
    assert "déjà ouverte" in also.text  # a command alone does not switch the conversation's language
    other = await ChatTester(bot, "bob", language="en").say("I want to talk to a human")
    assert "request no. 2" in other.text and "\"end\"" in other.text and "30 days" in other.text
    assert len({ticket.user_id for ticket in await tickets(bot)}) == 2


async def test_messages_go_to_the_ticket_with_a_short_acknowledgement(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/humain")
    text_reply = await alice.say("horaires de la piscine ?")
    assert "Transmis" in text_reply.text and "Piscine" not in text_reply.text  # not the NLU's answer
    assert "Transmis" in (await alice.share_location(47.2184, -1.5536)).text
    assert "Transmis" in (await alice.attach("AgACAgQAAxkBAAIB", text="la photo du trottoir")).text
    assert "Transmis" in (await alice.say("1")).text  # a number is a message, not a choice
    assert "Transmis" in (await alice.say("👍")).text
    [ticket] = await tickets(bot)
    rows = [row for row in await conversation(bot, ticket.id) if row.author == "resident"]
    assert [row.text for row in rows] == ["horaires de la piscine ?", None, "la photo du trottoir", "1", "👍"]
    assert (rows[1].latitude, rows[1].longitude) == (47.2184, -1.5536)
    assert (rows[2].attachment_kind, rows[2].attachment_reference) == ("photo", "AgACAgQAAxkBAAIB")
    assert ticket.waiting_since is not None


async def test_an_empty_message_or_a_very_long_one_gets_a_clear_answer(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/humain")
    empty = await alice.say("   \u200b ")
    assert "rien reçu" in empty.text
    long = await alice.say("Bonjour, la rue est encore fermée à cause des travaux. " * 100)
    assert "2000" in long.text and "Transmis" in long.text
    [ticket] = await tickets(bot)
    rows = [row for row in await conversation(bot, ticket.id) if row.author == "resident"]
    assert [len(row.text) for row in rows] == [bot.settings.max_message_chars]


async def test_the_agent_answers_in_the_resident_chat_and_closes(bot: CivicBot, client: TestClient) -> None:
    alice, bob = ChatTester(bot, "alice"), ChatTester(bot, "bob")
    await alice.say("/humain")
    await bob.say("/humain")
    await alice.say("Mon bac jaune n'a pas été ramassé")
    alice_ticket = next(ticket for ticket in await tickets(bot) if ticket.chat_id == "alice")
    headers = bearer(await agent_token(bot))
    answer = await client.post(f"/api/v1/handover/tickets/{alice_ticket.id}/messages",
                               json={"text": "Je préviens la collecte, passage demain."}, headers=headers)
    assert answer.status == 201, await answer.text()
    [row] = await handover_rows(bot)
    assert (row.kind, row.platform, row.chat_id, row.priority) == ("message", "test", "alice", PRIORITY_REPLY)
    assert row.user_id == alice_ticket.user_id
    connector = RecordingConnector("test")
    async with running(bot, {"test": connector}):
        await connector.wait_for(1)
        closed = await client.post(f"/api/v1/handover/tickets/{alice_ticket.id}/close", headers=headers)
        assert closed.status == 200
        await connector.wait_for(2)
    (chat, text, _), (closing_chat, closing, _) = connector.sent
    assert chat == closing_chat == "alice"
    assert "Je préviens la collecte, passage demain." in text and f"demande n° {alice_ticket.id}" in text
    assert "a clos la demande" in closing
    back = await alice.say("horaires de la piscine ?")
    assert "Piscine" in back.text  # the bot answers again
    alice_ticket = next(ticket for ticket in await tickets(bot) if ticket.id == alice_ticket.id)
    assert (alice_ticket.status, alice_ticket.closed_by, alice_ticket.chat_id) == ("closed", "agent", None)
    assert "Transmis" in (await bob.say("toujours là ?")).text  # bob's ticket is untouched


@pytest.mark.parametrize("word", ["fin", "Terminer", "end", "annuler", "cancel"])
async def test_the_resident_goes_back_to_the_bot_at_any_time(bot: CivicBot, alice: ChatTester, word: str) -> None:
    await alice.say("/humain")
    await alice.say("finalement non")
    ended = await alice.say(word)
    assert "Transmis" not in ended.text
    [ticket] = await tickets(bot)
    assert (ticket.status, ticket.closed_by, ticket.platform, ticket.chat_id) == ("closed", "resident", None, None)
    events = [row.event for row in await conversation(bot, ticket.id) if row.event]
    assert events == ["opened", "closed_by_resident"]
    assert "Piscine" in (await alice.say("horaires de la piscine ?")).text
    reopened = await alice.say("/humain")
    assert f"n° {ticket.id + 1}" in reopened.text and "déjà" not in reopened.text


async def test_another_flow_started_by_a_command_closes_the_ticket(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/humain")
    await alice.say("/signaler")
    [ticket] = await tickets(bot)
    assert ticket.status == "closed" and ticket.closed_by == "resident"


async def test_a_command_that_starts_no_flow_keeps_the_handover(bot: CivicBot, alice: ChatTester) -> None:
    await alice.say("/humain")
    assert len((await alice.say("/aide")).choices) >= 8
    assert "Transmis" in (await alice.say("et donc ?")).text


def _city_now(bot: CivicBot) -> datetime:
    return datetime.now(ZoneInfo(bot.settings.timezone))


async def test_when_nobody_is_there_the_resident_knows_when_they_come_back(bot: CivicBot) -> None:
    yesterday = (_city_now(bot) - timedelta(days=1)).weekday()
    bot.settings.handover_hours = f"{WEEKDAYS[yesterday]} 10:00-12:00"
    reply = await ChatTester(bot, "alice").say("/humain")
    assert "Personne n'est disponible en ce moment" in reply.text
    assert f"({FRENCH_WEEKDAYS[yesterday]} à 10:00)" in reply.text


async def test_agents_there_now_or_hours_not_set(bot: CivicBot, caplog) -> None:
    bot.settings.handover_hours = "24/7"
    assert "disponible en ce moment" in (await ChatTester(bot, "a").say("/humain")).text
    bot.settings.handover_hours = ""
    assert "dès que possible" in (await ChatTester(bot, "b").say("/humain")).text
    bot.settings.handover_hours = "du lundi au vendredi"
    with caplog.at_level(logging.WARNING):
        assert "dès que possible" in (await ChatTester(bot, "c").say("/humain")).text
    assert "handover_hours" in caplog.text
