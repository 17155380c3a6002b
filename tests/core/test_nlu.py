"""Intent classification: scores, threshold, typos, and the intents' example data."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np
import pytest
import time_machine

from bot.app import load_intents
from bot.config import Settings
from bot.dates import date_extractor
from bot.entities import EntityExtractors
from bot.features import FEATURES
from bot.intent import IntentSpec
from bot.linear import KernelRidge
from bot.nlu import UNKNOWN, Nlu
from bot.text import fold, names
from bot.tfidf import TfidfIndex
from tests.support.data import SCORED_INTENTS, TEST_DATA

DEV_SET = TEST_DATA / "nlu_dev.jsonl"
HELD_OUT = TEST_DATA / "nlu_heldout.jsonl"


async def _handle(ctx):  # the NLU never calls handlers
    raise AssertionError


def spec(name: str, fr: list[str], en: list[str] | None = None) -> IntentSpec:
    return IntentSpec(name, _handle, examples={"fr": fr, "en": en or []})


@pytest.fixture(scope="module")
def intents() -> dict[str, IntentSpec]:
    return load_intents(FEATURES)


@pytest.fixture(scope="module")
def nlu(intents) -> Nlu:
    return Nlu(intents, Settings().nlu_threshold)


def small_nlu(threshold: float = 0.3) -> Nlu:
    return Nlu({
        "subscribe": spec("subscribe", ["je veux m'abonner aux travaux", "abonnement quartier"]),
        "unsubscribe": spec("unsubscribe", ["me desabonner", "je ne veux plus d'alertes"]),
        "greet": spec("greet", ["bonjour", "salut"], ["hello"]),
    }, threshold)


def test_result_shape_and_json(nlu: Nlu) -> None:
    result = nlu.classify("Bonjour !")
    assert result.intent == "greet"
    assert 0 < result.confidence <= 1
    assert result.as_json() == {"text": "Bonjour !", "intent": "greet",
                                "confidence": round(result.confidence, 3), "entities": {}}
    names = [name for name, _score in result.ranking]
    assert names[0] == "greet" and sorted(names) == sorted(set(names))
    scores = [score for _name, score in result.ranking]
    assert scores == sorted(scores, reverse=True)


def test_below_the_threshold_the_intent_is_unknown() -> None:
    text = "abonnement aux travaux de la rue"
    lenient, strict = small_nlu(0.1).classify(text), small_nlu(0.99).classify(text)
    assert lenient.intent == "subscribe"
    assert strict.intent == UNKNOWN and strict.confidence == pytest.approx(lenient.confidence)
    assert strict.ranking[0][0] == "subscribe"  # still there for suggestions


def test_confidence_grows_with_closeness() -> None:
    nlu = small_nlu()
    exact = nlu.classify("je veux m'abonner aux travaux").confidence
    partial = nlu.classify("abonnement pour les travaux de la rue de la republique a Doulon").confidence
    assert exact > partial > 0


def test_a_negation_word_tells_unsubscribe_from_subscribe() -> None:
    nlu = small_nlu()
    assert nlu.classify("je ne veux plus les alertes travaux").intent == "unsubscribe"
    assert nlu.classify("je veux les alertes travaux").intent == "subscribe"


@pytest.mark.parametrize("text", [
    "", "   ", "!!!", "😀😀😀", "asdfghjkl", "zxcv qwerty", "123456", "\x00\x01", "\ud800",
    "lorem ipsum dolor sit amet",
])
def test_empty_gibberish_and_symbols_are_unknown(nlu: Nlu, text: str) -> None:
    result = nlu.classify(text)
    assert result.intent == UNKNOWN, result.ranking[:3]
    assert 0 <= result.confidence <= 1


@pytest.mark.parametrize("text", [
    "quel temps fait-il ce week-end", "tell me a joke about cats", "recette du gateau nantais",
    "who won the rugby match",
])
def test_off_topic_is_unknown(nlu: Nlu, text: str) -> None:
    assert nlu.classify(text).intent == UNKNOWN


@pytest.mark.parametrize(("text", "intent"), [
    ("je veux me desabonnner", "unsubscribe"),
    ("desabonement", "unsubscribe"),
    ("unsubscibe", "unsubscribe"),
    ("signalemnt d'un lampadere en pane", "report_problem"),
    ("qui est le mair", "find_official"),
    ("horraires de la mediatheque", "find_service"),
    ("rebonjour", "greet"),
    ("hellooooo", "greet"),
])
def test_typos_are_tolerated(nlu: Nlu, text: str, intent: str) -> None:
    assert nlu.classify(text).intent == intent


def test_typo_correction_keeps_to_words_of_the_examples() -> None:
    nlu = small_nlu()
    assert nlu.tokens("abonement") == nlu.tokens("abonnement")
    assert nlu.tokens("salutbonjour") == nlu.tokens("bonjour")  # glued words
    assert nlu.tokens("zorglub") == ["zorglub"]  # nothing close: left as it is


@pytest.mark.parametrize(("text", "intent"), [
    ("Bonjour, je voudrais me desabonner", "unsubscribe"),
    ("hello, who is the mayor?", "find_official"),
    ("Salut ! quel est le budget de la culture", "ask_data"),
    ("bonjour le bot", "greet"),
    ("salut ca va", "greet"),
    ("hi, how are you doing", "greet"),
    # a short request weighs less than its greeting, and is the point all the same
    ("bjr je voudrais voter svp", "vote"), ("hello i would like to vote", "vote"),
    ("coucou je voudrais participer au vote", "vote"),
    # what is left is itself a courtesy
    ("thanks a lot, see you", "greet"), ("merci bien bonne journee", "greet"),
    ("coucou tout le monde", "greet"),
])
def test_a_greeting_opening_a_request_does_not_make_it_a_greeting(nlu: Nlu, text: str,
                                                                   intent: str) -> None:
    assert nlu.classify(text).intent == intent


def test_numbers_and_names_do_not_count_against_a_request(nlu: Nlu) -> None:
    plain = nlu.classify("il y a un nid de poule dans la rue")
    located = nlu.classify("il y a un nid de poule dans la rue Zorglubovski Trebouchet 14")
    assert located.intent == plain.intent == "report_problem"
    assert located.confidence == pytest.approx(plain.confidence)
    assert names("le 14 rue Paul Bellamy. Merci") == {"paul", "bellamy"}
    assert names("JE VEUX ME DESABONNER") == frozenset()  # all capitals: no names


def test_accents_case_and_punctuation_do_not_matter(nlu: Nlu) -> None:
    plain = nlu.classify("ou est la mairie annexe")
    fancy = nlu.classify("OÙ EST LA MAIRIE ANNEXE ???")
    assert fancy.intent == plain.intent == "find_service"
    assert fancy.confidence == pytest.approx(plain.confidence)


def test_a_very_long_message_is_classified_quickly(nlu: Nlu) -> None:
    result = nlu.classify("nid de poule rue de la paix " * 5000)
    assert result.intent == "report_problem"


def test_entities_come_with_the_intent() -> None:
    extractors = EntityExtractors([lambda text, normalized: {"echo": normalized}])
    result = Nlu({"greet": spec("greet", ["bonjour"])}, 0.3, extractors).classify("Bonjour !")
    assert result.entities == {"echo": "bonjour"}


def test_a_message_written_again_is_classified_the_same_with_todays_entities(intents) -> None:
    """Rankings are kept per text; the entities are not: "ce week-end" asked on a Monday and
    again a week later names two different week-ends."""
    question = "la piscine est ouverte ce week-end ?"

    def new_nlu() -> Nlu:
        return Nlu(intents, Settings().nlu_threshold, EntityExtractors([date_extractor("Europe/Paris")]))

    nlu = new_nlu()
    with time_machine.travel(datetime(2026, 12, 7, 10, tzinfo=UTC), tick=False):
        first = nlu.classify(question)
    with time_machine.travel(datetime(2026, 12, 14, 10, tzinfo=UTC), tick=False):
        again = nlu.classify(question)
        uncached = new_nlu().classify(question)
    assert again.ranking == first.ranking == uncached.ranking
    assert (again.intent, again.confidence) == (uncached.intent, uncached.confidence)
    assert again.entities == uncached.entities != first.entities


def test_no_examples_at_all_gives_unknown() -> None:
    assert Nlu({}, 0.3).classify("bonjour").intent == UNKNOWN


def test_every_intent_has_examples_in_both_languages(intents) -> None:
    for name in SCORED_INTENTS:
        examples = intents[name].examples
        assert len(examples["fr"]) >= 25 and len(examples["en"]) >= 20, name
        assert len(examples["fr"]) + len(examples["en"]) >= 50, name


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text).replace("'", " ")).split())


@pytest.mark.parametrize("path", [DEV_SET, HELD_OUT], ids=["dev", "heldout"])
def test_no_evaluation_utterance_is_copied_into_the_examples(intents, path) -> None:
    examples = {_clean(phrase) for spec in intents.values()
                for phrases in spec.examples.values() for phrase in phrases}
    copied = [record["text"] for record in map(json.loads, path.read_text().splitlines())
              if _clean(record["text"]) in examples]
    assert copied == []


@pytest.mark.parametrize(("text", "intent"), [
    ("abonemnt travaux", "subscribe"), ("desabonement svp", "unsubscribe"),
    ("signalr un lampadere cassé", "report_problem"), ("ki est le mair", "find_official"),
    ("horaire piscin", "find_service"), ("jveux parlé a un humin", "talk_to_human"),
    ("suprimer mes donné", "privacy_forget"), ("mes abonemments", "my_subscriptions"),
    ("wen is the nxt council meetng", "council"), ("unsubscrbe me pls", "unsubscribe"),
    ("i wanna reprot a pothol", "report_problem"), ("whats my subscritions", "my_subscriptions"),
    ("expotr my data", "privacy_export"), ("propse an idae", "propose_idea"),
])
def test_typos_in_residents_words(nlu: Nlu, text: str, intent: str) -> None:
    assert nlu.classify(text).intent == intent


def test_character_ngrams_survive_typos() -> None:
    index = TfidfIndex(["abonnement travaux", "horaires piscine", "signaler probleme"])
    similarities = index.similarities("abonemnt travau")
    assert similarities.argmax() == 0 and similarities[0] > 0.4
    assert index.similarities("zzzz").max() == 0
    gram = index.example_similarities()
    assert gram.shape == (3, 3) and np.allclose(np.diag(gram), 1.0, atol=1e-5)


def test_kernel_ridge_learns_which_examples_discriminate() -> None:
    index = TfidfIndex(["abonne moi au conseil", "prochain conseil municipal", "seance du conseil"])
    classifier = KernelRidge(index.example_similarities(), np.array([0, 1, 1]), 2)
    scores = classifier.scores(index.similarities("abonne moi"))
    assert scores[0] > scores[1]
    scores = classifier.scores(index.similarities("conseil municipal"))
    assert scores[1] > scores[0]


def test_negation_words_only_turn_the_intent_they_negate() -> None:
    intents = {
        "subscribe": spec("subscribe", ["je veux recevoir les alertes travaux", "abonnement quartier"]),
        "unsubscribe": IntentSpec("unsubscribe", _handle, examples={"fr": ["me desabonner"]},
                                  negates="subscribe", negations=["veux plus", "ne * plus"]),
        "greet": spec("greet", ["bonjour", "salut"]),
    }
    nlu = Nlu(intents, 0.1)
    turned = nlu.classify("je veux plus recevoir les alertes travaux")
    assert turned.intent == "unsubscribe"
    assert [name for name, _score in turned.ranking][-1] == "subscribe"
    assert nlu.classify("je ne reçois plus rien, bonjour ?").intent != "subscribe"
    assert nlu.classify("bonjour, je ne veux plus rien rater").intent == "greet"  # not a subscription: untouched
    assert nlu.classify("je veux recevoir les alertes travaux").intent == "subscribe"


# a wish turned around by negation words (the unsubscribe intent negates subscribe), and chat
# shorthand (bot/shorthand.yaml), in residents' words
NEGATED_WISHES = [
    ("je veux plus recevoir les alertes travaux", "unsubscribe"),
    ("jveux plus de notifs sur la culture", "unsubscribe"),
    ("je souhaiterais ne plus être prévenu des travaux", "unsubscribe"),
    ("I don't want roadworks alerts anymore", "unsubscribe"),
    ("plus envie de recevoir vos alertes sur la culture", "unsubscribe"),
    ("je veux recevoir les alertes travaux", "subscribe"),
    ("je voudrais être prévenue des travaux à Doulon", "subscribe"),
    ("I want roadworks alerts", "subscribe"),
]
SHORTHAND = [
    ("c koi le budget de la culture", "ask_data"), ("ki s'occupe des ecoles", "find_official"),
    ("kan est le prochain conseil", "council"), ("jai un trou ds ma rue", "report_problem"),
    ("pk le conseil a voté contre le tram", "council"), ("qd ouvre la piscine", "find_service"),
]


@pytest.mark.parametrize(("text", "intent"), NEGATED_WISHES + SHORTHAND)
def test_negations_and_shorthand_are_understood(nlu: Nlu, text: str, intent: str) -> None:
    assert nlu.classify(text).intent == intent
