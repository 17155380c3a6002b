"""The conversation's language: set by the first message, sticky, switched only by an explicit
request or a message clearly and substantially in the other language."""
from __future__ import annotations

import pytest

from bench.language import detector as bot_detector
from bench.language import first_message_scores, records, sticky_mistakes
from bot.app import CivicBot
from bot.language import LanguageDetector, language_words, requested_language
from bot.testing import ChatTester


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return bot_detector()


def test_the_language_set_is_large_and_varied() -> None:
    items = records()
    assert len(items) >= 300
    assert {record["lang"] for record in items} == {"fr", "en", None}
    assert sum(record["switch"] for record in items if record["lang"] == "fr") >= 80
    assert sum(record["switch"] for record in items if record["lang"] == "en") >= 80
    assert not any(record["switch"] for record in items if record["lang"] is None)


def test_sticky_decision_on_the_language_set(detector: LanguageDetector) -> None:
    """Measured at 0.979 (742/758) when written, 0.981 (867/884) once extended with 63 harder
    messages (names with particles, whole street names, shorthand, mixed); a wrong switch is
    worse than a missed one."""
    items = records()
    mistakes = sticky_mistakes(detector.decide, items)
    wrong_switches = [(current, text) for current, text, decided in mistakes if decided != current]
    assert 1 - len(mistakes) / (2 * len(items)) >= 0.97, mistakes
    assert wrong_switches == []


def test_first_messages_on_the_language_set(detector: LanguageDetector) -> None:
    """A first message without words of its own (a name, a number) gives no opinion. Measured
    329 right, 20 wrong when written (397 right, 19 wrong of 442 once extended): one-word
    messages both languages use ("ok", "stop", "parking") are taken for English, the price of
    "hello" being English. With the intents' examples as each language's words (a short first
    message with none of the guessed language's words gives no opinion): 396 right, 10 wrong.
    A fair guess of several words, one of them used in that language alone, tells it: 406 right,
    10 wrong. A short message tells a language only with a word used mostly in it (three times
    as often in its examples): "stop", "ok", "parking" give no opinion, "hello" is English: 413
    right, 3 wrong."""
    right, _silent, wrong = first_message_scores(detector.decide, records())
    assert right >= 410 and wrong <= 3


@pytest.mark.parametrize("text", ["Busway 4", "busway", "Tram 1", "Chronobus C5", "bof", "malakof",
                                  "Trentemoult"])
def test_a_name_or_a_line_sets_no_language(detector: LanguageDetector, text: str) -> None:
    assert detector.decide(text, None) is None


@pytest.mark.parametrize(("text", "language"), [
    ("city investments 2015", "en"), ("schools budget 2015", "en"), ("hello", "en"),
    ("budget education 2015", None),
    # a word residents use in one language only tells it: "ecoles", "for", "pls"
    ("budget ecoles 2015", "fr"), ("education budget for 2015?", "en"), ("education budget 2015 pls", "en"),
])
def test_short_first_messages_in_residents_words(detector: LanguageDetector, text: str,
                                                 language: str | None) -> None:
    assert detector.decide(text, None) == language


@pytest.mark.parametrize("text", [
    "Johanna Rolland", "I-7F3K2A", "rue de la Paix", "Commerce", "12 rue Crébillon", "44000",
    "budget culture 2015", "ok", "merci", "👍", "oui", "lampadaire casse", "Malakoff", "malakof",
    "Médiathèque Jacques Demy", "bus 54", "14h30", "https://data.nantes.fr", "jean.dupont@mail.fr",
    "Île de Nantes", "Rue Paul Bellamy", "Boulevard de la Prairie au Duc", "S-4KD9QX", "26/06/2015",
])
@pytest.mark.parametrize("current", ["fr", "en"])
def test_fragments_names_and_references_never_switch(detector: LanguageDetector, text: str,
                                                      current: str) -> None:
    assert detector.decide(text, current) == current


@pytest.mark.parametrize("text", ["et sur les parkings ?", "et pour les parkings svp"])
def test_a_french_follow_up_the_detector_takes_for_english_stays_french(detector: LanguageDetector,
                                                                        text: str) -> None:
    """"et", "sur", "les" are words residents use in French alone: the detector's guess of
    English for "parkings" does not switch the conversation."""
    assert detector.decide(text, "fr") == "fr"


FRENCH_WITH_A_AND_I = [
    "il y a un trou a cote de chez moi", "je vais a la mairie demain matin",
    "y a t il un conseil ce mois ci", "jsuis a la maison, g besoin d'aide",
    "Où se trouve la mairie de quartier ?", "je voudrais m'abonner aux infos du quartier",
    "la piscine est fermee ou quoi", "arretez de m'envoyer des alertes svp",
]
ENGLISH_WITH_STREETS = [
    "there is a pothole on rue de la Paix", "is rue de la Paix closed for works today",
    "i'd like to know what is happening at place Royale", "where is the nearest recycling centre",
    "i wanna report a broken streetlight", "the bus is late again this morning",
]


@pytest.mark.parametrize(("text", "language"), [(text, "fr") for text in FRENCH_WITH_A_AND_I]
                         + [(text, "en") for text in ENGLISH_WITH_STREETS])
def test_a_clear_sentence_keeps_or_sets_its_language(detector: LanguageDetector, text: str,
                                                     language: str) -> None:
    """A French sentence with "a" and "i" stays French; an English one with a street stays English."""
    assert detector.decide(text, "fr") == detector.decide(text, "en") == language


def test_street_names_references_and_names_tell_no_language() -> None:
    assert language_words("there is a pothole on rue de la Paix") == ["there", "is", "a", "pothole", "on"]
    assert language_words("je cherche Johanna Rolland svp") == ["je", "cherche", "svp"]
    assert language_words("ma ref c'est I-7F3K2A, au 12 allée des Tilleuls") == ["ma", "ref", "c'est", "au"]
    assert language_words("Johanna Rolland") == []


@pytest.mark.parametrize(("text", "code"), [
    ("english please", "en"), ("English pls", "en"), ("en français svp", "fr"), ("parle français", "fr"),
    ("can you speak english", "en"), ("Can you speak English?", "en"), ("en anglais stp", "en"),
    ("parlez moi en francais", "fr"), ("in french please", "fr"), ("je ne parle pas anglais", "fr"),
    ("i don't speak french", "en"), ("francais", "fr"), ("ENGLISH", "en"),
])
def test_explicit_requests(text: str, code: str) -> None:
    assert requested_language(text) == code


@pytest.mark.parametrize("text", [
    "le cours d'anglais a la mediatheque", "french fries near me", "je veux parler a quelqu'un",
    "english or french", "bonjour", "",
])
def test_not_a_language_request(text: str) -> None:
    assert requested_language(text) is None


async def test_the_first_message_sets_the_language_and_later_ones_keep_it(alice: ChatTester) -> None:
    assert (await alice.say("bonjour, je voudrais de l'aide")).language == "fr"
    for text in ("Johanna Rolland", "budget culture 2015", "I-7F3K2A", "ok", "👍", "rue de la Paix",
                 "Commerce", "thanks", "1"):
        assert (await alice.say(text)).language == "fr", text
    assert (await alice.say("il y a un nid de poule a cote de l'ecole")).language == "fr"


async def test_an_english_conversation_stays_english(bot: CivicBot) -> None:
    bob = ChatTester(bot, "bob")
    assert (await bob.say("hi, i'd like to report a problem please")).language == "en"
    for text in ("rue de la Paix", "Malakoff", "merci", "ok", "oui", "budget 2015", "Johanna Rolland"):
        assert (await bob.say(text)).language == "en", text
    assert (await bob.say("who is the mayor of the city")).language == "en"


async def test_a_clear_message_in_the_other_language_switches(bot: CivicBot) -> None:
    carol = ChatTester(bot, "carol")
    assert (await carol.say("hello, what can you do for me?")).language == "en"
    assert (await carol.say("desole je parle francais, je veux signaler un probleme")).language == "fr"
    assert (await carol.say("merci")).language == "fr"


async def test_an_explicit_request_switches_and_holds(bot: CivicBot) -> None:
    dan = ChatTester(bot, "dan")
    assert (await dan.say("bonjour")).language == "fr"
    assert (await dan.say("can you speak english")).language == "en"
    assert (await dan.say("bonjour, je veux de l'aide")).language == "en"  # the resident asked
    assert (await dan.say("en français svp")).language == "fr"


async def test_a_picked_choice_says_nothing_of_the_language(alice: ChatTester) -> None:
    assert (await alice.say("hello, i need some help please")).language == "en"
    reply = await alice.say("1")
    assert reply.language == "en"


async def test_user_override_wins_over_detection(bot: CivicBot) -> None:
    resident = ChatTester(bot, "anglophone")
    await resident.say("/langue en")
    assert (await resident.say("bonjour, je veux de l'aide")).language == "en"
    await resident.say("/langue auto")
    assert (await resident.say("bonjour, je veux de l'aide")).language == "fr"


async def test_the_platform_language_helps_a_first_message_without_words(bot: CivicBot) -> None:
    resident = ChatTester(bot, "erin", language="en")
    assert (await resident.say("Johanna Rolland")).language == "en"
    other = ChatTester(bot, "frank")
    assert (await other.say("👍")).language == bot.settings.default_language


@pytest.mark.parametrize("text", [
    "Île de Nantes", "Rue Paul Bellamy", "Boulevard de la Prairie au Duc", "Jean de La Fontaine",
    "Place du Bouffay", "Mairie Annexe de Chantenay",
])
def test_a_first_message_that_is_a_name_gives_no_language(detector: LanguageDetector, text: str) -> None:
    assert detector.decide(text, None) is None


def test_a_whole_street_name_is_set_aside_but_the_sentence_around_it_counts() -> None:
    assert language_words("I live Rue Paul Bellamy now") == ["I", "live", "now"]
    assert language_words("un trou boulevard de la Prairie au Duc svp") == ["un", "trou", "svp"]
