"""Municipal functions: as sources word them ("4ème adjoint au Maire") and as residents ask for
them ("la 4e adjointe de Rezé", "qui sont les adjoints ?", "l'adjoint à la culture").

A question is read into its parts — the function and rank asked, the words naming a place, the
words naming a delegation, and what is left (perhaps a name) — so that no part is mistaken for
another: the words after "à la" name a topic, never a surname.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.text import STOP_WORDS, normalize
from bot.yamlfile import load_file
from knowledge.words import WORDS_FILE, word_list

MAYOR, DELEGATE_MAYOR, DEPUTY, DELEGATE, COUNCILLOR, COUNCIL = (
    "maire", "maire_delegue", "adjoint", "conseiller_delegue", "conseiller", "conseil")
ORDER = (MAYOR, DELEGATE_MAYOR, DEPUTY, DELEGATE, COUNCILLOR)  # how a council is listed
_RANK = re.compile(r"^(\d{1,2})(?:er|ere|re|e|eme|ieme|em|nd|nde|d|st|th|rd)?$")
_MAX_RANK = 40
# "maire d'Angers": the elision is the commune marker (elisions inside names stay elided).
_OF_ELIDED = re.compile(r"\b(maires?|mayors?|adjointe?s?|[eé]lu[e]?s?|conseill[eè]re?s?|"
                        r"municipa(?:l|le|ux|les))\s+d['’]", re.IGNORECASE)
_MUNICIPAL = frozenset({"municipal", "municipale", "municipaux", "municipales", "sont", "are"})
_OF_THE_MAYOR = (("au", "maire"), ("du", "maire"), ("to", "the", "mayor"), ("mayor",))


@dataclass(frozen=True)
class Function:
    """A function on a municipal council; ``rank`` orders the deputies (1 for the first)."""

    kind: str
    rank: int | None = None


@cache
def function_of(label: str) -> Function:
    """The function a source's label describes; an empty label is a plain councillor."""
    words = normalize(label).split()
    rank = next((_rank(word) for word in words if _rank(word)), None)
    if any(word.startswith("adjoint") for word in words):
        return Function(DEPUTY, rank)
    if words[:1] == ["maire"]:
        return Function(DELEGATE_MAYOR if any(w.startswith("delegue") for w in words) else MAYOR)
    if any(word.startswith("delegue") for word in words):
        return Function(DELEGATE)
    return Function(COUNCILLOR)


def _rank(word: str) -> int | None:
    match = _RANK.match(word)
    return int(match.group(1)) if match and 0 < int(match.group(1)) <= _MAX_RANK else None


@cache
def _ordinals() -> dict[tuple[str, ...], int]:
    values = load_file(WORDS_FILE)["ordinals"]
    return {tuple(normalize(word).split()): int(rank) for word, rank in values.items()}


@cache
def _phrases(name: str) -> tuple[tuple[str, ...], ...]:
    """A word list as word tuples, longest first (so that "en charge de" wins over "de")."""
    return tuple(sorted((tuple(item.split()) for item in word_list(name)), key=len, reverse=True))


def _phrase_at(words: list[str], start: int, name: str) -> tuple[str, ...] | None:
    return next((phrase for phrase in _phrases(name)
                 if tuple(words[start:start + len(phrase)]) == phrase), None)


@dataclass(frozen=True)
class Question:
    """What a resident asks about officials."""

    function: str | None = None  # a kind of :data:`ORDER`, COUNCIL for all, None if no function
    rank: int | None = None
    place: tuple[str, ...] = ()  # the words after "de": a commune, perhaps unknown
    topic: tuple[str, ...] = ()  # the words after "à", "chargé de": a delegation
    rest: tuple[str, ...] = ()  # other words: perhaps a name, or a topic said bare
    this_city: bool = False  # "la ville", "ma commune": the configured city


def read_question(text: str, fillers: frozenset[str]) -> Question:
    """Split a question into function, rank, place, topic and the remaining words."""
    words = normalize(_OF_ELIDED.sub(r"\1 de ", text)).split()
    kinds: set[str] = set()
    rank: int | None = None
    place: list[str] = []
    topic: list[str] = []
    rest: list[str] = []
    this_city = False
    target = rest
    index = 0
    while index < len(words):
        word = words[index]
        ordinal = next((phrase for phrase in _ordinals() if tuple(words[index:index + len(phrase)])
                        == phrase), None)
        of_the_mayor = next((phrase for phrase in _OF_THE_MAYOR
                             if tuple(words[index:index + len(phrase)]) == phrase), None)
        city = _phrase_at(words, index, "official_this_city")
        if kinds & {DEPUTY} and of_the_mayor:
            index += len(of_the_mayor)
            continue
        if ordinal:
            rank, index = _ordinals()[ordinal], index + len(ordinal)
            continue
        if _rank(word) and index + 1 < len(words) and (
                words[index + 1] in word_list("official_deputy") or words[index + 1] in ("eme", "e", "er")):
            rank = _rank(word)
        elif word in ("eme", "er", "ere", "e") and rank is not None:
            pass
        elif city and target is not topic:
            this_city, index, target = True, index + len(city), rest
            continue
        elif _is_function_word(word):
            kinds.add(_function_word(word))
            target = rest
        elif (kinds and target is not topic
              and (marker := _phrase_at(words, index, "official_delegation_markers"))
              and not _phrase_at(words, index, "official_commune_markers")):
            target, index = topic, index + len(marker)
            continue
        elif ((kinds or target is topic) and target is not place
              and word in word_list("official_commune_markers")):
            target = place
            if word in ("du", "des"):  # "du Pellerin": "Le Pellerin"
                place.append("le" if word == "du" else "les")
        elif (word in fillers or word in STOP_WORDS or word in _MUNICIPAL) and target is not place:
            pass
        else:
            target.append(word)
        index += 1
    while place and (place[-1] in fillers or place[-1] in STOP_WORDS):  # "de Rezé svp"
        place.pop()
    return Question(_kind(kinds, text), rank, tuple(place), tuple(topic), tuple(rest), this_city)


def _is_function_word(word: str) -> bool:
    return any(word in word_list(name) for name in
               ("official_mayor", "official_deputy", "official_councillor", "official_delegate",
                "official_all"))


def _function_word(word: str) -> str:
    for name, kind in (("official_mayor", MAYOR), ("official_deputy", DEPUTY),
                       ("official_councillor", COUNCILLOR), ("official_delegate", DELEGATE),
                       ("official_all", COUNCIL)):
        if word in word_list(name):
            return kind
    raise ValueError(word)


def _kind(kinds: set[str], text: str) -> str | None:
    """The function asked: "adjoint au maire" is a deputy, "conseiller délégué" a delegate,
    "maire délégué" a delegate mayor; "conseil municipal" the whole council."""
    if DEPUTY in kinds:
        return DEPUTY
    if MAYOR in kinds:
        return DELEGATE_MAYOR if DELEGATE in kinds else MAYOR
    if DELEGATE in kinds:
        return DELEGATE
    if COUNCILLOR in kinds:
        return COUNCIL if "conseil municipal" in normalize(text) else COUNCILLOR
    return COUNCIL if COUNCIL in kinds else None
