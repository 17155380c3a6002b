"""Consent before acting (bot.consent): what is a question, a yes, a no, an explicit request;
and that a declared intent is asked about, then acts only on a yes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.app import CivicBot
from bot.consent import is_no, is_question, is_yes, read_with, requested
from bot.handover.models import Ticket
from bot.testing import ChatTester


@pytest.mark.parametrize("text", [
    "on peut s'abonner aux travaux ?", "est ce qu il y a des travaux a doulon", "comment on se desabonne",
    "c'est possible de parler a un humain", "quelles données avez-vous sur moi", "y a t il une piscine",
    "c koi ?", "how do I unsubscribe", "can I subscribe to roadworks", "is there a way to talk to someone",
    "what data do you keep about me", "are there roadworks",
])
def test_questions(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", [
    "abonne moi aux travaux", "je veux parler a quelqu'un", "mets mes abonnements en pause",
    "tu peux relancer mes abonnements", "stop", "subscribe me to roadworks", "please pause my subscriptions",
    "envoie moi mes données", "la mairie",
])
def test_requests_are_not_questions(text: str) -> None:
    assert not is_question(text)


@pytest.mark.parametrize("text", ["oui", "Oui !", "ouais vas y", "ok", "d'accord", "oui je veux bien", "oui stp",
                                  "yes", "Yes please", "sure", "go ahead", "👍"])
def test_yes(text: str) -> None:
    assert is_yes(text) and not is_no(text)


@pytest.mark.parametrize("text", ["non", "Non merci", "nan", "non pas maintenant merci", "pas maintenant",
                                  "laisse tomber", "no", "no thanks, keep them", "nope", "nah", "bof"])
def test_no(text: str) -> None:
    assert is_no(text) and not is_yes(text)


@pytest.mark.parametrize("text", ["ok merci je garde pour l'instant", "ok got it", "oui mais non",
                                  "c'est quand le prochain conseil ?", "merci"])
def test_neither_yes_nor_no(text: str) -> None:
    assert not is_yes(text)


def test_request_words_match_whole_words() -> None:
    assert requested("je veux me désabonner de tout", ["desabonner"])
    assert requested("je voudrais parler à quelqu'un", ["quelqu un"])
    assert not requested("les abonnements", ["abonne"])  # a word, not a prefix


async def _tickets(bot: CivicBot) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def test_a_question_is_asked_about_and_acts_only_on_yes(bot: CivicBot) -> None:
    alice = ChatTester(bot, "alice")
    question = await alice.say("c'est possible de parler a un humain ?")
    assert [choice.label for choice in question.choices] == ["Oui", "Non"]
    assert await _tickets(bot) == 0
    done = await alice.say("oui")
    assert "demande n°" in done.text and await _tickets(bot) == 1


async def test_no_and_another_subject_drop_the_question(bot: CivicBot) -> None:
    bob = ChatTester(bot, "bob")
    await bob.say("c'est possible de parler a un humain ?")
    assert "rien" in (await bob.say("non merci")).text
    assert await _tickets(bot) == 0
    await bob.say("is there a way to talk to a real person?")
    answered = await bob.say("qui est le maire ?")
    assert "Rolland" in answered.text
    await bob.say("oui")  # the question was dropped: this yes acts on nothing
    assert await _tickets(bot) == 0


async def test_commands_and_sure_requests_are_not_asked_about(bot: CivicBot) -> None:
    carol = ChatTester(bot, "carol")
    assert "demande n°" in (await carol.say("/humain")).text
    assert await _tickets(bot) == 1


def test_a_short_reply_goes_on_from_the_message_asked_about() -> None:
    pending = {"intent": "talk_to_human", "text": "la mairie"}
    assert read_with(pending, "les horaires", "find_service") == "la mairie les horaires"
    assert read_with(pending, "merci", "greet") == "merci"
    assert read_with(pending, "", "unknown") == ""  # a shared position alone
    assert read_with(pending, "et le budget ?", "ask_data") == "et le budget ?"
    assert read_with(pending, "je cherche le budget de la culture", "ask_data").startswith("je cherche")
