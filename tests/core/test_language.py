"""French/English detection, per message, with a per-user override."""
from __future__ import annotations

import pytest

from bot.app import CivicBot
from bot.language import TrigramModel, detect_language, examples_by_language
from bot.testing import ChatTester


@pytest.mark.parametrize("text", [
    "bonjour", "je veux signaler un nid de poule", "ou est la mairie", "Où se trouve la piscine ?",
    "horaires piscine", "qui est le maire", "desabonne moi svp", "J'AI UN PROBLÈME",
    "lampadaire casse", "statistiques pollution",
])
def test_french_messages(text: str) -> None:
    assert detect_language(text) == "fr"


@pytest.mark.parametrize("text", [
    "hello", "i want to report a pothole", "where is the town hall", "who is the mayor",
    "swimming pool hours", "unsubscribe me please", "broken streetlight", "good morning",
])
def test_english_messages(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "12", "😀😀", "Bellevue", "stop", "ok", "budget 2015", "!!!"])
def test_no_clue_gives_none(text: str) -> None:
    """Numbers, names and words both languages share leave the conversation's language alone."""
    assert detect_language(text) is None


def test_trigrams_decide_when_function_words_do_not() -> None:
    model = TrigramModel({"fr": ["les donnees de la ville", "statistiques et chiffres"],
                          "en": ["the city data", "statistics and figures"]})
    assert model.french_lean("statistiques chiffres") > 0 > model.french_lean("statistics figures")
    assert detect_language("chiffres statistiques", model) == "fr"
    assert detect_language("figures statistics", model) == "en"


def test_the_trigram_model_learns_from_the_intents_examples() -> None:
    samples = examples_by_language()
    assert len(samples["fr"]) > 500 and len(samples["en"]) > 500


async def test_reply_follows_each_message_language(alice: ChatTester) -> None:
    assert (await alice.say("bonjour")).language == "fr"
    assert (await alice.say("hello, what can you do?")).language == "en"
    assert (await alice.say("1234")).language == "en"  # no clue: the conversation's language
    assert (await alice.say("je veux de l'aide")).language == "fr"


async def test_user_override_wins_over_detection(bot: CivicBot) -> None:
    resident = ChatTester(bot, "anglophone")
    await resident.say("/langue en")
    assert (await resident.say("bonjour, je veux de l'aide")).language == "en"
    await resident.say("/langue auto")
    assert (await resident.say("bonjour, je veux de l'aide")).language == "fr"
