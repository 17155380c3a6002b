"""Text clean-up: making raw input safe, and normalising it for matching."""
from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’`´]", re.IGNORECASE)
_NON_WORD = re.compile(r"[^a-z0-9]+")

STOP_WORDS = frozenset(
    """
    le la les un une des du de au aux et ou a en dans sur pour par avec ce cet cette ces
    je tu il elle on nous vous ils elles me te se moi toi lui leur y est sont suis es etre
    mon ma mes ton ta tes son sa ses notre nos votre vos que qui quoi dont est-ce ca cela
    ne pas plus tres bien alors donc svp stp merci sil plait peu
    the a an of to in on at for with and or is are am be i me my you your it its we our
    this that these those do does please pls can could would will just some any
    """.split()
)


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


def normalize(text: str) -> str:
    """Folded words separated by single spaces, French elisions removed (``l'``, ``qu'`` …)."""
    text = _ELISION.sub("", fold(text).replace("œ", "oe").replace("æ", "ae"))
    return _NON_WORD.sub(" ", text).strip()


def content_words(normalized: str) -> list[str]:
    """The words of a normalised text without stop words (all of them if only stop words)."""
    words = normalized.split()
    kept = [word for word in words if word not in STOP_WORDS]
    return kept or words
