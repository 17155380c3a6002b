"""Text clean-up and normalisation for matching."""
from __future__ import annotations

import pytest

from bot.text import STOP_WORDS, content_words, fold, normalize, sanitize, stem


def test_case_and_accents_are_folded() -> None:
    assert fold("ÉTÉ À Noël") == "ete a noel"
    assert normalize("Où est la Mairie ?") == "ou est la mairie"
    assert normalize("cœur et ÆTHER") == "coeur et aether"


@pytest.mark.parametrize(("raw", "expected"), [
    ("l'adjoint", "adjoint"),
    ("d'identité", "identite"),
    ("qu'est-ce", "est ce"),
    ("j'ai", "ai"),
    ("jusqu'à demain", "a demain"),
    ("L’élu", "elu"),  # typographic apostrophe
    ("aujourd'hui", "aujourd hui"),  # not an elision
])
def test_french_elisions_are_removed(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_punctuation_and_spacing_become_single_spaces() -> None:
    assert normalize("  nid-de-poule!!! rue   Crébillon,   svp... ") == "nid de poule rue crebillon svp"
    assert normalize("?!…") == ""


def test_drawn_out_letters_are_reduced_but_numbers_kept() -> None:
    assert normalize("Salutttt") == "salut"
    assert normalize("HIIII") == "hi"
    assert normalize("1000 euros") == "1000 euros"


def test_stop_words_are_dropped_but_not_meaningful_words() -> None:
    assert content_words("je veux la liste des elus") == ["je", "veux", "liste", "elus"]
    assert content_words("what is the budget") == ["what", "budget"]
    # possessives, negations and question words say what is wanted: they stay
    for word in ("mes", "my", "plus", "ne", "not", "no", "qui", "who", "ou", "where", "quand"):
        assert word not in STOP_WORDS
        assert word in content_words(f"le {word} la")


def test_a_message_of_stop_words_only_keeps_its_words() -> None:
    assert content_words("et la") == ["et", "la"]
    assert content_words("") == []


@pytest.mark.parametrize(("forms", "common"), [
    (("abonnement", "abonnements", "abonner", "abonnez"), "abonn"),
    (("signalement", "signaler", "signale", "signales"), "signal"),
    (("report", "reports", "reported", "reporting"), "report"),
])
def test_stemming_joins_inflections(forms: tuple[str, ...], common: str) -> None:
    assert {stem(form) for form in forms} == {common}


def test_stemming_keeps_short_words_whole() -> None:
    assert stem("bus") == "bus"
    assert stem("mes") == "mes"
    assert stem("vote") == stem("votes") == stem("voter") == "vot"


def test_sanitize_drops_control_characters_and_lone_surrogates() -> None:
    clean, truncated = sanitize("bon\x00jour\ud800 \u200b!", 100)
    assert clean == "bon jour  !" and not truncated


def test_sanitize_truncates_long_text() -> None:
    clean, truncated = sanitize("a" * 50, 10)
    assert clean == "a" * 10 and truncated


@pytest.mark.parametrize(("raw", "expected"), [
    ("c koi ki a voté ?", "c quoi qui a vote"), ("jai besoin d'1 rdv", "j ai besoin 1 rendez vous"),
    ("whats up", "what is up"), ("chui ds le tram", "je suis dans le tram"),
])
def test_chat_shorthand_is_written_out(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_shorthand_leaves_initials_and_street_abbreviations() -> None:
    assert normalize("12 r. de la Paix, c'est J. Dupont") == "12 r de la paix est j dupont"
