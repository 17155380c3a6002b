"""Per-message French/English detection.

Two clues, strongest first: function words and accented letters (reliable even on two-word
messages), then letter trigrams learnt from the intents' French and English example phrases
(which tell ``statistiques`` from ``statistics`` when no function word helps). A message that
gives no clue either way (a number, a name, an emoji) gets None, so the caller keeps the
conversation's language.
"""
from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

from bot.text import normalize

_FRENCH = frozenset(
    ["le", "la", "les", "un", "une", "des", "du", "de", "au", "aux", "et", "est", "sont", "je", "tu", "il", "elle",
     "nous", "vous", "ils", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "ce", "cette", "ces", "qui",
     "que", "quoi", "quand", "comment", "pourquoi", "ou", "avec", "pour", "dans", "sur", "pas", "ne", "plus", "bonjour",
     "salut", "merci", "oui", "non", "aide", "veux", "voudrais", "peux", "faut", "quel", "quelle", "quels", "quelles",
     "mairie", "ville", "quartier", "rue", "signaler", "probleme", "abonner", "desabonner", "conseil", "elu", "elus",
     "adjoint", "maire", "horaires", "ouvert", "demain", "aujourd", "hui", "svp", "stp", "parler", "humain", "quelqu",
     "mes", "donnees", "supprimer", "voter", "idee", "proposer", "suis", "avez", "annuler", "annule", "arreter",
     "arrete", "aidez", "bonsoir", "coucou", "moi", "toi", "nos", "vos", "chez", "sont", "est-ce", "combien", "ou",
     "quoi", "aussi", "tres", "encore", "deja", "rien", "tout", "tous", "toute", "toutes", "faire", "fait"]
)
_ENGLISH = frozenset(
    ["the", "a", "an", "is", "are", "i", "you", "he", "she", "we", "they", "my", "your", "his", "her", "our", "their",
     "this", "that", "these", "what", "who", "when", "how", "why", "where", "with", "for", "in", "on", "not", "no",
     "yes", "hello", "hi", "hey", "thanks", "thank", "please", "help", "want", "would", "like", "can", "could", "need",
     "city", "council", "neighbourhood", "neighborhood", "street", "report", "problem", "subscribe", "unsubscribe",
     "elected", "mayor", "hours", "open", "tomorrow", "today", "talk", "human", "someone", "data", "delete", "vote",
     "idea", "propose", "am", "do", "does", "have", "has", "which", "cancel", "quit", "of", "to", "from", "about",
     "there", "here", "it", "me", "any", "some", "all", "much", "many", "get", "give", "morning", "evening",
     "afternoon", "good"]
)
_FRENCH_LETTERS = frozenset("éèêàçùûôîœëï")
_EXAMPLES = Path(__file__).resolve().parent.parent / "intents"
_TRIGRAM_EVIDENCE = 4.0  # log-likelihood ratio the trigrams need to count as a clue
_TRIGRAM_CLUE = 0.9  # what such a clue weighs: less than one function word
_TRIGRAM_MIN_WORDS = 2  # a single word (often a name: "Bellevue") is no trigram clue


class TrigramModel:
    """Letter-trigram naive Bayes over two languages, add-one smoothed."""

    def __init__(self, samples: dict[str, list[str]]) -> None:
        counts = {lang: Counter(gram for text in texts for gram in _trigrams(text))
                  for lang, texts in samples.items()}
        self._lean: dict[str, float] = {}  # trigram -> log P(gram | fr) - log P(gram | en)
        self._unseen_lean = 0.0
        if set(counts) == {"fr", "en"}:
            vocabulary = len(set().union(*counts.values())) + 1
            fr_total = math.log(sum(counts["fr"].values()) + vocabulary)
            en_total = math.log(sum(counts["en"].values()) + vocabulary)
            self._unseen_lean = en_total - fr_total
            self._lean = {gram: math.log(counts["fr"][gram] + 1) - math.log(counts["en"][gram] + 1)
                          + self._unseen_lean for gram in counts["fr"].keys() | counts["en"].keys()}

    def french_lean(self, text: str) -> float:
        """Log-likelihood ratio French/English of the text's trigrams (0 for none)."""
        if not self._lean:
            return 0.0
        return sum(self._lean.get(gram, self._unseen_lean) for gram in _trigrams(text))


def _trigrams(text: str) -> list[str]:
    grams = []
    for word in normalize(text).split():
        if word.isdigit():
            continue
        padded = f" {word} "
        grams += [padded[i:i + 3] for i in range(len(padded) - 2)]
    return grams


def examples_by_language(folder: Path = _EXAMPLES) -> dict[str, list[str]]:
    """The example phrases of every intent data file in ``folder``, by language."""
    samples: dict[str, list[str]] = {"fr": [], "en": []}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        examples = data.get("examples") if isinstance(data, dict) else None
        for lang, phrases in (examples or {}).items():
            if lang in samples and isinstance(phrases, list):
                samples[lang] += [str(phrase) for phrase in phrases]
    return samples


@lru_cache(maxsize=1)
def _default_model() -> TrigramModel:
    return TrigramModel(examples_by_language())


def detect_language(text: str, model: TrigramModel | None = None) -> str | None:
    """``"fr"``, ``"en"``, or None when the message gives no clue (e.g. only a number)."""
    words = normalize(text).split()
    if not words:
        return None
    french = sum(word in _FRENCH for word in words) + (2 if set(text.lower()) & _FRENCH_LETTERS else 0)
    english = sum(word in _ENGLISH for word in words)
    score = float(french - english)
    if sum(not word.isdigit() for word in words) >= _TRIGRAM_MIN_WORDS:
        lean = (model or _default_model()).french_lean(text)
        if abs(lean) >= _TRIGRAM_EVIDENCE:
            score += math.copysign(_TRIGRAM_CLUE, lean)
    if score == 0:
        return None
    return "fr" if score > 0 else "en"
