"""Text clean-up: making raw input safe, and normalising it for matching."""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from bot.yamlfile import load_file

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’`´]", re.IGNORECASE)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_DRAWN_OUT = re.compile(r"([a-z])\1{2,}")  # "helloooo", "stooop": three or more of one letter
# "koi" -> "quoi", "jai" -> "j ai": chat shorthand, written out (bot/shorthand.yaml)
SHORTHAND: dict[str, str] = {str(short): str(words)
                             for short, words in load_file(Path(__file__).with_name("shorthand.yaml")).items()}

# Words that say nothing about what a resident wants: articles, prepositions, linking verbs,
# politeness. Words that do (my/mes, no/plus/ne, who/qui, where/ou, when/quand) are kept.
STOP_WORDS = frozenset([
    "le", "la", "les", "un", "une", "des", "du", "de", "au", "aux", "et", "en", "dans", "sur", "par",
    "avec", "ce", "cet", "cette", "ces", "c", "il", "elle", "on", "ils", "elles", "y", "est", "sont",
    "suis", "etre", "ete", "ca", "cela", "ceci", "svp", "stp", "sil", "plait", "tres", "bien", "alors",
    "donc", "peu", "se", "me", "te", "moi", "toi", "lui", "leur", "a", "the", "an", "of", "to", "in",
    "on", "at", "for", "with", "and", "or", "is", "are", "am", "be", "been", "being", "it", "its",
    "this", "that", "these", "those", "please", "pls", "plz", "just", "some", "any", "so", "there",
    "do", "does", "can", "could", "would", "will", "shall", "might",
])
_SUFFIXES = ("ements", "ement", "ent", "ations", "ation", "ings", "ing", "ers", "er", "ez", "es", "ed",
             "e", "s", "x")
_MIN_STEM = 3


def sanitize(text: str, max_chars: int) -> tuple[str, bool]:
    """Drop control characters and lone surrogates, trim, and cut to ``max_chars``.

    Returns the clean text and whether it was truncated.
    """
    text = _SURROGATE.sub("", text)
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > max_chars:
        return text[:max_chars], True
    return text, False


def fold(text: str) -> str:
    """Lower case without accents: ``"Été"`` -> ``"ete"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@functools.lru_cache(maxsize=4096)  # choice labels and common phrases come back all the time
def normalize(text: str) -> str:
    """Folded words separated by single spaces, French elisions removed (``l'``, ``qu'`` …),
    drawn-out letters reduced to one (``salutttt`` -> ``salut``), chat shorthand written out
    (``koi`` -> ``quoi``)."""
    text = _ELISION.sub("", fold(text).replace("œ", "oe").replace("æ", "ae"))
    words = _DRAWN_OUT.sub(r"\1", _NON_WORD.sub(" ", text).strip()).split()
    return " ".join(SHORTHAND.get(word, word) for word in words)


def content_words(normalized: str) -> list[str]:
    """The words of a normalised text without stop words (all of them if only stop words)."""
    words = normalized.split()
    kept = [word for word in words if word not in STOP_WORDS]
    return kept or words


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A light French/English stem, enough to match inflections (``abonnements`` ~ ``abonner``,
    ``reports`` ~ ``reported``): one common ending removed, at least three letters kept."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def names(text: str) -> frozenset[str]:
    """Normalised words written with a capital inside a sentence ("rue Paul Bellamy"), unless
    the whole message is capitalised; they are names when the examples do not know them."""
    words = re.findall(r"[^\W\d_][\w'’-]*", text)
    capitalised = [word for word in words if word[0].isupper()]
    if len(capitalised) == len(words):
        return frozenset()
    sentence_starts = {match.group(1) for match in re.finditer(r"(?:^|[.!?:]\s+)([^\W\d_][\w'’-]*)", text)}
    return frozenset(part for word in capitalised if word not in sentence_starts
                     for part in normalize(word).split())
