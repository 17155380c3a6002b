"""The conversation's language, French or English, and when it changes.

A conversation keeps its language. It changes on an explicit request ("english please",
"parle français") or on a message that is clearly and substantially in the other language:
enough real words once names, numbers, references, addresses and links are set aside, and a
detector sure enough, and not more words residents use in the conversation's language alone
than in the other's alone ("et sur les parkings ?" sounds English to the detector). Short
fragments ("ok", "merci", "budget culture 2015"), names ("Johanna Rolland") and street names
("rue de la Paix") never switch it.

The detector is lingua's, built for French and English only with its models preloaded (they
ship inside the package). ``bench/language.py`` scores the decision on
``tests/data/nlu_language.jsonl``.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cachetools import LRUCache
from lingua import Language, LanguageDetectorBuilder

from bot.text import fold, names, normalize

LANGUAGES = ("fr", "en")
SWITCH_WORDS = 4  # real words a message needs to switch the conversation's language
SWITCH_CONFIDENCE = 0.65  # how sure the detector must be of the other language to switch
FIRST_CONFIDENCE = 0.7  # ... of a first message's language, when the conversation has none yet
FAIR_FIRST_CONFIDENCE = 0.6  # ... or of a first message of several words, each in that language
COMMAND_CONFIDENCE = 0.9  # ... of a first message that is a bare command's ("/council"; "/start": none)
MOSTLY = 3  # how many times as often a word must be used in one language's examples to tell it
_GUESSES_KEPT = 2_048  # guesses of the texts seen last

_LINGUA = {Language.FRENCH: "fr", Language.ENGLISH: "en"}
_LINK = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+|(?<!\w)/\w+")
# a reference ("I-7F3K2A") or a word with a digit: a number, a time, a bus line ("C5")
_CODE = re.compile(r"\b[A-Za-z]-[A-Za-z0-9]{4,}\b|[\w-]*\d[\w./:,-]*")
_PARTICLE = r"(?i:de la|des|du|de|la|le|les|au|aux)\s+|(?i:[dl])['’]\s*"
# a French street type and its name: "rue de la Paix", "bd Victor Hugo", "Boulevard de la Prairie au Duc"
_STREET = re.compile(
    r"\b(?i:rue|avenue|av|boulevard|bd|place|all[ée]e|impasse|quai|chemin|route|cours|square|passage|"
    rf"rond-point|esplanade|parvis)\s+(?:(?:{_PARTICLE})[^\W\d_][\w-]*|[A-ZÀ-Ý][\w-]*)"
    rf"(?:\s+(?:{_PARTICLE})?[A-ZÀ-Ý][\w-]*)*")
# the little words inside a place's or a person's name: "Île de Nantes", "Jean de La Fontaine"
_NAME_PARTICLES = frozenset(["de", "du", "des", "la", "le", "les", "au", "aux", "d", "l", "sur", "en"])
_COMMAND = re.compile(r"^\s*/([^\W\d_]+)")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

# Explicit requests: a language's name with only request words around it.
_LANGUAGE_NAMES = {"francais": "fr", "french": "fr", "anglais": "en", "english": "en"}
_REQUEST_WORDS = frozenset([
    "please", "pls", "plz", "svp", "stp", "sil", "plait", "en", "in", "parle", "parlez", "parler",
    "speak", "speaking", "talk", "can", "could", "you", "do", "je", "j", "i", "we", "on", "veux",
    "voudrais", "prefere", "prefer", "want", "would", "like", "to", "me", "moi", "nous", "us", "with",
    "avec", "answer", "reply", "respond", "repondre", "repondez", "reponds", "ecris", "ecrivez",
    "write", "switch", "passer", "passe", "passons", "change", "changer", "let", "s", "lets", "use",
    "utiliser", "merci", "thanks", "thank", "ok", "okay", "bot", "mode", "langue", "language", "the",
    "le", "la", "dans", "only", "seulement", "que", "juste", "just",
])
_NEGATIONS = frozenset(["pas", "dont", "don", "t", "not", "no", "non", "ne", "n"])


def requested_language(text: str) -> str | None:
    """The language an explicit request asks for ("english please", "en français svp",
    "can you speak english", "je ne parle pas anglais" -> "fr"), else None."""
    words = normalize(text).split()
    asked = {_LANGUAGE_NAMES[word] for word in words if word in _LANGUAGE_NAMES}
    if len(asked) != 1 or len(words) > 8:
        return None
    others = [word for word in words if word not in _LANGUAGE_NAMES]
    if not all(word in _REQUEST_WORDS or word in _NEGATIONS for word in others):
        return None
    (code,) = asked
    if any(word in _NEGATIONS for word in others):  # "I don't speak French": the other one
        return "en" if code == "fr" else "fr"
    return code


def language_words(text: str) -> list[str]:
    """The words of ``text`` that tell its language, as written: without links, numbers,
    references, street names and names written with a capital inside a sentence."""
    skipped = names(text)
    words = _WORD.findall(_STREET.sub(" ", _CODE.sub(" ", _LINK.sub(" ", text))))
    capitalised = [word for word in words if word[0].isupper() and not word.isupper()]
    if len(capitalised) > 1 and all(word in capitalised or fold(word) in _NAME_PARTICLES for word in words):
        return []  # "Médiathèque Jacques Demy", "Johanna Rolland", "Île de Nantes": a name
    # "I" starts no name
    return [word for word in words if len(word) == 1 or not set(normalize(word).split()) <= skipped]


@dataclass(frozen=True)
class Guess:
    language: str | None  # None when the message has no word that tells
    confidence: float  # the detector's, in [0.5, 1] when there is a language
    words: int  # real words the guess rests on


class LanguageDetector:
    """French/English detection of chat messages; the models load once per process."""

    def __init__(self, low_accuracy: bool = False,
                 examples: Mapping[str, Iterable[str]] | None = None) -> None:
        """``examples``: phrases residents write in each language (the intents' examples); a
        short first message then sets a language only with a word used mostly in that
        language's phrases, so that a name ("Busway 4", "Malakoff") or a word both use ("stop")
        never does, whatever its letters look like."""
        self._uses = {language: Counter(word for phrase in phrases for word in normalize(phrase).split())
                      for language, phrases in (examples or {}).items()}
        self._vocabulary = {language: frozenset(uses) for language, uses in self._uses.items()}
        builder = LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models()
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        self._detector = builder.build()
        self._guesses: LRUCache[str, Guess] = LRUCache(_GUESSES_KEPT)

    def guess(self, text: str) -> Guess:
        """The detector's guess; residents write the same short messages again and again, so
        the guesses of the texts seen last are kept in memory."""
        guess = self._guesses.get(text)
        if guess is None:
            guess = self._guesses[text] = self._guess(text)
        return guess

    def _guess(self, text: str) -> Guess:
        words = language_words(text)
        if not words:
            return Guess(None, 0.0, 0)
        values = self._detector.compute_language_confidence_values(" ".join(words).lower())
        best = max(values, key=lambda value: value.value)
        if best.value <= 0.5:
            return Guess(None, best.value, len(words))
        return Guess(_LINGUA[best.language], best.value, len(words))

    def decide(self, text: str, current: str | None) -> str | None:
        """The conversation's language after ``text``: ``current`` unless the message is
        clearly and substantially in the other one; for a first message (``current`` None),
        its language if the detector is sure enough, else None."""
        requested = requested_language(text)
        if requested:
            return requested
        guess = self.guess(text)
        if current is None:
            needed = FIRST_CONFIDENCE
            command = _COMMAND.match(text)
            if not guess.words and command:  # "/council": the command's own word, if it tells
                guess, needed = self.guess(command.group(1)), COMMAND_CONFIDENCE
            elif (guess.language is not None and 0 < guess.words < SWITCH_WORDS and self._vocabulary
                  and not command and not self._tells(text, guess.language)):
                return None  # "Busway 4", "bof", "stop": no word residents use mostly in that language
            if guess.confidence >= needed:
                return guess.language
            # fairly sure, and word by word in that language ("data on cycle lanes"), or of
            # several words, one of them used by residents in that language alone ("education
            # budget for 2015?"; "hmm" alone does not tell)
            fairly = (guess.language is not None and guess.confidence >= FAIR_FIRST_CONFIDENCE
                      and (guess.words >= SWITCH_WORDS and self._mostly(text, guess.language)
                           or guess.words > 1 and self._leans(text, guess.language)))
            return guess.language if fairly else None
        other = guess.language
        if (other is not None and other != current and guess.words >= SWITCH_WORDS
                and guess.confidence >= SWITCH_CONFIDENCE and self._mostly(text, other)
                and not self._leans_more(text, current, other)):
            return other
        return current

    def _leans(self, text: str, language: str) -> bool:
        """Whether some word of the message is used by residents in ``language`` only, and none
        in the other language only (the intents' examples)."""
        (other,) = (code for code in LANGUAGES if code != language)
        ours, theirs = self._own_words(text, language, other), self._own_words(text, other, language)
        return ours > 0 and theirs == 0

    def _leans_more(self, text: str, language: str, other: str) -> bool:
        """Whether more words of the message are used by residents in ``language`` alone than in
        ``other`` alone: "et sur les parkings ?" stays French, whatever the detector hears."""
        return self._own_words(text, language, other) > self._own_words(text, other, language)

    def _own_words(self, text: str, language: str, other: str) -> int:
        """How many words of the message residents use in ``language`` and never in ``other``."""
        return sum(mine and not theirs for mine, theirs in
                   zip(self._known_words(text, language), self._known_words(text, other), strict=True))

    def _tells(self, text: str, language: str) -> bool:
        """Whether a word of the message is used by residents mostly in ``language``: "hello"
        (in English examples four times as often as in French ones), not "stop" or "ok"."""
        (other,) = (code for code in LANGUAGES if code != language)
        ours, theirs = self._uses.get(language, Counter()), self._uses.get(other, Counter())
        return any(ours[word] > 0 and ours[word] >= MOSTLY * theirs[word]
                   for written in language_words(text) for word in normalize(written).split())

    def _known_words(self, text: str, language: str) -> list[bool]:
        """For each word of the message that tells its language, whether residents use it in
        ``language`` (the intents' examples): a name ("Busway", "Malakoff") is none."""
        vocabulary = self._vocabulary.get(language, frozenset())
        return [word in vocabulary for written in language_words(text) for word in normalize(written).split()]

    def _mostly(self, text: str, language: str) -> bool:
        """Whether most of the message's words, and enough of them, are in ``language``: a
        mixed message ("where can I get a carte d'identité?") does not switch."""
        words = {code: 0 for code in LANGUAGES}
        for section in self._detector.detect_multiple_languages_of(" ".join(language_words(text))):
            words[_LINGUA[section.language]] += section.word_count
        return words[language] >= SWITCH_WORDS and words[language] > sum(words.values()) - words[language]
