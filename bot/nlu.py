"""Intent classification from each intent's example phrases (``intents/*.yaml``): a word
model learnt from the examples, character n-grams, rapidfuzz string similarity, and a kernel
classifier trained on the examples, combined.

Text is normalised (case, accents, punctuation, elisions), stop words dropped and the words
stemmed lightly. A word the examples do not use is corrected to the closest word they do use
(rapidfuzz Levenshtein, same first letter), or to a known word it contains ("rebonjour");
numbers and names ("rue Paul Bellamy") that stay unknown are left out.

From the examples, each stem gets a *leaning*, how strongly it points to each intent (the
share of each intent's examples that use it), and a *weight*, high when it points to one
intent, low when many use it. An intent's score blends:

- its best example: weighted word overlap (cosine), character n-gram TF-IDF cosine (which
  survives typos the correction missed: ``bot.tfidf``) and rapidfuzz's token sort ratio;
- the weighted leaning of the message's words, which generalises beyond single examples;
- a kernel ridge classifier (``bot.linear``) over TF-IDF similarities of character n-grams
  and of words and word pairs (stop words kept: "j'ai voté" is not "voter"), which learns
  which examples tell intents apart ("m'abonner au conseil" is about subscribing).

Unknown words count against every intent, so off-topic messages score low; the ``unknown``
intent also has off-topic examples. A wish turned around by negation words ("je ne veux plus
recevoir les alertes") goes to the intent that declares it ``negates`` the one that scored best.
The confidence is the best intent's score in [0, 1]
(``bench/nlu_baseline.py`` prints the precision above a few levels); below the threshold the
intent is ``unknown``. A greeting opening a request ("Bonjour, je voudrais ...") is set aside
when the request alone scores better.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cachetools import LRUCache
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.entities import EntityExtractors
from bot.intent import IntentSpec
from bot.linear import KernelRidge
from bot.text import content_words, names, normalize, stem
from bot.tfidf import TfidfIndex, word_ngrams

UNKNOWN = "unknown"
GREET = "greet"
_MIN_TYPO_WORD = 4  # shorter words are too ambiguous to correct
_TYPO_SIMILARITY = 0.75  # normalised Levenshtein similarity a correction of a long word needs
_SHORT_TYPO_SIMILARITY = 0.8  # ... and of a word shorter than _LONG_WORD
_LONG_WORD = 8
_GREETING_LEANING = 0.5  # how much a word must point to greetings to be set aside as one
_GREETING_MARGIN = 0.03  # how much better a request must score without its greeting to win
_GREETING_REQUEST = 0.45  # ... or how sure the NLU must be of it alone, when it is no courtesy itself
_GREETING_LEFT = 0.1  # how little what is left may look like a courtesy ("le robot", "a tous")
_NEGATION_MARGIN = 0.15  # how close a wish to receive must score to the best intent for negation words to turn it
_MAX_WORDS = 100  # a longer message is judged on its first words: bounded time per message
_CORRECTIONS_KEPT = 50_000  # the correction cache is emptied past this many words
_RANKINGS_KEPT = 2_048  # rankings of the texts classified last (a few MB)
_MIN_GLUED_WORD = 5  # a known word found inside an unknown one counts only from this length
_WORD_WEIGHT = 0.4  # share of the word model in an example's score
_CHAR_WEIGHT = 0.4  # share of the character n-grams; the rest is rapidfuzz
_EXAMPLE_SHARE = 0.6  # share of the best example in the similarity score; the rest is word leaning
_CLASSIFIER_SHARE = 0.6  # share of the kernel classifier's score; the rest is the similarity score
_KERNEL_WORDS = 0.5  # share of words (and word pairs) in the classifier's similarity; the rest is characters
_SMOOTHING = 0.003  # pseudo-count of every stem in every intent
_UNSEEN_WORD_WEIGHT = 0.5  # share of the highest word weight an unknown word counts for


@dataclass(frozen=True)
class NluResult:
    text: str
    intent: str
    confidence: float
    entities: dict[str, Any] = field(default_factory=dict)
    ranking: tuple[tuple[str, float], ...] = ()  # best intents first, for suggestions

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "intent": self.intent,
                "confidence": round(self.confidence, 3), "entities": self.entities}


@functools.lru_cache(maxsize=4)  # every bot of a process (tests make many) shares the training
def _trained_model(contents: tuple[str, ...], phrases: tuple[str, ...], labels: tuple[int, ...],
                   classes: int) -> tuple[TfidfIndex, TfidfIndex, KernelRidge]:
    """The examples' character n-gram index (of their content words) and word index (of all
    their words and word pairs), and the classifier trained on their similarities."""
    characters = TfidfIndex(list(contents))
    words = TfidfIndex(list(phrases), word_ngrams)
    similarities = _mixed(characters.example_similarities(), words.example_similarities())
    return characters, words, KernelRidge(similarities, np.array(labels, dtype=np.intp), classes)


def _mixed(characters: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The kernel classifier's similarity: character n-grams and words, equally."""
    return (1 - _KERNEL_WORDS) * characters + _KERNEL_WORDS * words


class Nlu:
    def __init__(self, intents: dict[str, IntentSpec], threshold: float,
                 extractors: EntityExtractors | None = None) -> None:
        self.threshold = threshold
        self.extractors = extractors or EntityExtractors()
        labels: list[str] = []
        examples: list[list[str]] = []
        contents: list[str] = []
        normalized_examples: list[str] = []
        surface: set[str] = set()
        for spec in intents.values():
            for phrases in spec.examples.values():
                for phrase in phrases:
                    words = content_words(normalize(phrase))
                    if words:
                        surface.update(words)
                        labels.append(spec.name)
                        examples.append([stem(word) for word in words])
                        contents.append(" ".join(words))
                        normalized_examples.append(normalize(phrase))
        self._intent_names = sorted(set(labels))
        self._label_index = np.array([self._intent_names.index(label) for label in labels],
                                     dtype=np.intp)
        # each intent's examples are contiguous: an intent's best example is one reduceat away
        self._block_starts = np.flatnonzero(np.diff(self._label_index, prepend=-1))
        self._block_labels = self._label_index[self._block_starts]
        self._characters, self._words, self._classifier = _trained_model(
            tuple(contents), tuple(normalized_examples), tuple(int(label) for label in self._label_index),
            len(self._intent_names))
        # token_sort_ratio is ratio on sorted words: sorting the examples once saves most of its cost
        self._strings = [" ".join(sorted(words)) for words in examples]
        self._surface_by_initial: dict[str, list[str]] = {}
        for word in sorted(surface):
            self._surface_by_initial.setdefault(word[0], []).append(word)
        self._longest_first = sorted((word for word in surface if len(word) >= _MIN_GLUED_WORD),
                                     key=len, reverse=True)
        self._corrections: dict[str, str | None] = {}
        self._rankings: LRUCache[str, tuple[tuple[str, float], ...]] = LRUCache(_RANKINGS_KEPT)
        self._build_word_model(labels, examples)
        # the words that greet on their own ("bonjour", "hello"): they open many requests; not
        # those other intents use as much ("plus" of "à plus", "va" of "ça va")
        greet = self._intent_names.index(GREET) if GREET in self._intent_names else -1
        self._greeting = frozenset(
            words[0] for label, words in zip(labels, examples, strict=True)
            if label == GREET and len(words) == 1 and self._leaning[self._column[words[0]], greet] >= _GREETING_LEANING)
        # ... and the word next to one of them in a greeting of two words ("good morning", "merci beaucoup")
        self._greeting_pairs = frozenset(
            (words[0], words[1]) for label, words in zip(labels, examples, strict=True)
            if label == GREET and len(words) == 2 and self._greeting.intersection(words))
        self._negations = {spec.negates: (spec.name, _phrases(spec.negations))
                           for spec in intents.values() if spec.negates and spec.negations}

    def _build_word_model(self, labels: list[str], examples: list[list[str]]) -> None:
        """How strongly each stem points to each intent, how much it weighs, and the examples
        as unit vectors of weights."""
        count = len(self._intent_names)
        self._column = {word: column for column, word in
                        enumerate(sorted({word for words in examples for word in words}))}
        usage = np.zeros((len(self._column), count), dtype=np.float32)
        for label, words in zip(self._label_index, examples, strict=True):
            for word in set(words):
                usage[self._column[word], label] += 1
        # the share of each intent's examples that use the stem (intents of different sizes
        # made comparable), smoothed so that a stem seen once is weak evidence
        shares = (usage + _SMOOTHING) / np.bincount(self._label_index, minlength=count).astype(np.float32)
        self._leaning = shares / shares.sum(axis=1, keepdims=True)
        # a stem weighs by how much it points to one intent: log 2 if to none, log(1 + count)
        # if only to one
        self._weight = np.log1p(count * self._leaning.max(axis=1, initial=0.0)).astype(np.float32)
        self._unseen_weight = float(self._weight.max(initial=1.0)) * _UNSEEN_WORD_WEIGHT
        matrix = np.zeros((len(examples), len(self._column)), dtype=np.float32)
        for row, words in enumerate(examples):
            columns = [self._column[word] for word in set(words)]
            matrix[row, columns] = self._weight[columns]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        # one row per stem (its weight in each example): a message's stems are contiguous rows
        self._by_stem = np.ascontiguousarray((matrix / np.maximum(norms, 1e-9)).T)

    def _known_stem(self, word: str) -> str | None:
        """The stem of ``word`` if the examples use it, else of its closest example word."""
        stemmed = stem(word)
        if stemmed in self._column:
            return stemmed
        if len(word) < _MIN_TYPO_WORD or word.isdigit():
            return None
        if word not in self._corrections:
            if len(self._corrections) >= _CORRECTIONS_KEPT:
                self._corrections.clear()
            # a typo rarely hits the first letter; requiring it avoids most false corrections
            candidates = self._surface_by_initial.get(word[0], [])
            cutoff = _TYPO_SIMILARITY if len(word) >= _LONG_WORD else _SHORT_TYPO_SIMILARITY
            match = process.extractOne(word, candidates, scorer=Levenshtein.normalized_similarity,
                                       score_cutoff=cutoff)
            # else a known word glued to a prefix or suffix: "rebonjour", "okthanks"
            corrected = match[0] if match else next((known for known in self._longest_first if known in word), None)
            self._corrections[word] = stem(corrected) if corrected else None
        return self._corrections[word]

    def knows(self, word: str) -> bool:
        """Whether a (normalised) word is one the examples use: an everyday word of requests
        ("comment", "culture"), not a name."""
        return stem(word) in self._column

    def tokens(self, text: str) -> list[str]:
        """The message's stemmed content words, misspellings corrected; unknown words kept,
        except numbers and names (a street, a quartier), which say nothing of the intent."""
        return [token for _word, token in self._tokens(normalize(text), names(text))]

    def _written(self, normalized: str, skipped: frozenset[str]) -> list[str]:
        """The message's words, stop words included, without unknown numbers and names."""
        return [word for word in normalized.split()[:_MAX_WORDS]
                if stem(word) in self._column or not (word.isdigit() or word in skipped)]

    def _tokens(self, normalized: str, skipped: frozenset[str]) -> list[tuple[str, str]]:
        """(word as written, its known or own stem) for each content word that counts."""
        tokens = []
        for word in content_words(normalized)[:_MAX_WORDS]:
            if stem(word) not in self._column and (word.isdigit() or word in skipped):
                continue
            tokens.append((word, self._known_stem(word) or stem(word)))
        return tokens

    def _intent_scores(self, tokens: list[tuple[str, str]], written: list[str]) -> np.ndarray:
        """Each intent's score in [0, 1]: its best example's blended with the word leaning,
        then with the kernel classifier's."""
        words = [token for _word, token in tokens]
        known = sorted({self._column[word] for word in words if word in self._column})
        weights = self._weight[known]
        unseen = self._unseen_weight * len({word for word in words if word not in self._column})
        query_norm = math.sqrt(float(np.sum(weights ** 2)) + unseen * self._unseen_weight)
        overlap = weights @ self._by_stem[known] / max(query_norm, 1e-9)
        similarity = process.cdist([" ".join(sorted(words))], self._strings, scorer=fuzz.ratio,
                                   workers=1, dtype=np.float32)[0] / 100
        characters = self._characters.similarities(" ".join(word for word, _token in tokens))
        per_example = (_WORD_WEIGHT * overlap + _CHAR_WEIGHT * characters
                       + (1 - _WORD_WEIGHT - _CHAR_WEIGHT) * similarity)
        best = np.zeros(len(self._intent_names), dtype=np.float32)
        best[self._block_labels] = np.maximum.reduceat(per_example, self._block_starts)
        leaning = weights @ self._leaning[known] / max(float(weights.sum()) + unseen, 1e-9)
        blended = _EXAMPLE_SHARE * best + (1 - _EXAMPLE_SHARE) * leaning
        learnt = np.clip(self._classifier.scores(
            _mixed(characters, self._words.similarities(" ".join(written)))), 0.0, 1.0)
        return (1 - _CLASSIFIER_SHARE) * blended + _CLASSIFIER_SHARE * learnt

    def classify(self, text: str) -> NluResult:
        normalized = normalize(text)
        entities = self.extractors.extract(text, normalized)
        ranking = self._ranking(text, normalized)
        if not ranking:
            return NluResult(text, UNKNOWN, 0.0, entities)
        intent, confidence = ranking[0]
        if confidence < self.threshold:
            intent = UNKNOWN
        return NluResult(text, intent, confidence, entities, ranking)

    def _ranking(self, text: str, normalized: str) -> tuple[tuple[str, float], ...]:
        """The intents, best first, with their scores; none for a text without a word that
        counts. It depends on the text alone (entities, which depend on the date and the
        knowledge base, are not part of it), and residents write the same "bonjour", "merci",
        "oui" again and again: the rankings of the texts seen last are kept in memory."""
        ranking = self._rankings.get(text)
        if ranking is None:
            ranking = self._rankings[text] = self._rank(text, normalized)
        return ranking

    def _rank(self, text: str, normalized: str) -> tuple[tuple[str, float], ...]:
        skipped = names(text)
        tokens = self._tokens(normalized, skipped)
        if not tokens or not self._strings:
            return ()
        written = self._written(normalized, skipped)
        greeting = self._greeting_words([token for _word, token in tokens])
        request = [(word, token) for word, token in tokens if token not in greeting]
        if request and len(request) < len(tokens):
            # "Bonjour, je voudrais ...": a greeting opening a request does not make it a
            # greeting. The request alone is scored first: when it is one, the whole message
            # need not be scored (the slowest messages are these, scored twice otherwise).
            without_greeting = self._intent_scores(
                request, [word for word in written if stem(word) not in greeting])
            scores = without_greeting
            if not self._is_request(without_greeting, len(request)):
                scores = self._intent_scores(tokens, written)
                if without_greeting.max() > scores.max() + _GREETING_MARGIN:
                    scores = without_greeting
        else:
            scores = self._intent_scores(tokens, written)
        ranking = tuple((self._intent_names[i], min(float(scores[i]), 1.0))
                        for i in np.argsort(-scores, kind="stable"))
        return self._negated(normalized, ranking)

    def _greeting_words(self, stems: list[str]) -> frozenset[str]:
        """The words that greet, of a message's stems: those that greet on their own, and the
        other word of a greeting of two words ("good morning, where do I vote", "budget culture
        merci beaucoup")."""
        return self._greeting.union(*(pair for pair in zip(stems, stems[1:], strict=False)
                                      if pair in self._greeting_pairs))

    def _is_request(self, scores: np.ndarray, words: int) -> bool:
        """Whether the words left once a greeting is set aside are a request of their own: of
        several words, another intent's with some confidence, and nothing of a courtesy ("salut
        le robot", "bjr a tous"). Greeting words weigh much, and would outweigh a short request
        such as "je voudrais voter"."""
        asked = int(scores.argmax())
        greet = self._intent_names.index(GREET)
        return (words >= 2 and self._intent_names[asked] not in (GREET, UNKNOWN)
                and scores[asked] >= _GREETING_REQUEST and scores[greet] <= _GREETING_LEFT)

    def _negated(self, normalized: str, ranking: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
        """The ranking with a wish turned around when negation words say so: the negating
        intent takes the best place and score, the wish the last place."""
        best, score = ranking[0]
        negated = self._negated_wish(normalized, ranking)
        if negated is None or self._negations[negated][0] == best:
            return ranking
        other = self._negations[negated][0]
        kept = tuple((name, value) for name, value in ranking if name not in (other, negated))
        return ((other, score), *kept, (negated, 0.0))

    def _negated_wish(self, normalized: str, ranking: tuple[tuple[str, float], ...]) -> str | None:
        """The wish that negation words turn around: the best intent's, or one scoring close to
        it ("je veux plus de nouvelles du conseil municipal" reads as the council, but close
        behind as a wish to receive it, and "veux plus" turns that around). Behind a courtesy or
        nothing understood, no wish is read ("bonjour, je ne veux plus rien rater")."""
        best, best_score = ranking[0]
        for name, value in ranking:
            if name != best and (best in (GREET, UNKNOWN) or best_score - value > _NEGATION_MARGIN):
                return None
            negation = self._negations.get(name)
            if negation is not None and negation[1].search(normalized):
                return name
        return None


def _phrases(phrases: list[str]) -> re.Pattern[str]:
    """One pattern for folded phrases, whole words, "*" standing for any one word."""
    patterns = [" ".join(r"\w+" if word == "*" else re.escape(word) for word in phrase.split())
                for phrase in phrases]
    return re.compile(rf"\b(?:{'|'.join(patterns)})\b")
