"""Intent classification with rapidfuzz over each intent's example phrases.

Every example is normalised once (case, accents, punctuation, elisions, stop words). A message
is normalised the same way, its misspelt words are corrected against the examples' vocabulary,
and it is scored against all examples at once (``rapidfuzz.process.cdist``). The score of an
intent is that of its best example; the confidence is that score in [0, 1]. Below the threshold
the intent is ``unknown``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.entities import EntityExtractors
from bot.intent import IntentSpec
from bot.text import content_words, normalize

UNKNOWN = "unknown"
_MIN_TYPO_WORD = 4  # shorter words are too ambiguous to correct


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


def _scores(query: str, examples: list[str]) -> np.ndarray:
    """Token-set similarity, tempered by overall similarity so that a one-word example that
    happens to be contained in a long message does not win outright."""
    token_set = process.cdist([query], examples, scorer=fuzz.token_set_ratio, workers=1)[0]
    token_sort = process.cdist([query], examples, scorer=fuzz.token_sort_ratio, workers=1)[0]
    return 0.65 * token_set + 0.35 * token_sort


class Nlu:
    def __init__(self, intents: dict[str, IntentSpec], threshold: float,
                 extractors: EntityExtractors | None = None) -> None:
        self.threshold = threshold
        self.extractors = extractors or EntityExtractors()
        self._labels: list[str] = []
        self._examples: list[str] = []
        for spec in intents.values():
            for phrases in spec.examples.values():
                for phrase in phrases:
                    prepared = self.prepare(phrase)
                    if prepared:
                        self._labels.append(spec.name)
                        self._examples.append(prepared)
        self._intent_names = sorted(set(self._labels))
        self._label_index = np.array([self._intent_names.index(label) for label in self._labels])
        self._vocabulary = sorted({word for example in self._examples for word in example.split()})
        self._known = frozenset(self._vocabulary)

    @staticmethod
    def prepare(text: str) -> str:
        return " ".join(content_words(normalize(text)))

    def _correct(self, words: list[str]) -> list[str]:
        corrected = []
        for word in words:
            if word in self._known or len(word) < _MIN_TYPO_WORD or word.isdigit():
                corrected.append(word)
                continue
            match = process.extractOne(word, self._vocabulary, scorer=Levenshtein.normalized_similarity,
                                       score_cutoff=0.75)
            corrected.append(match[0] if match else word)
        return corrected

    def classify(self, text: str) -> NluResult:
        normalized = normalize(text)
        entities = self.extractors.extract(text, normalized)
        query = " ".join(self._correct(content_words(normalized)))
        if not query or not self._examples:
            return NluResult(text, UNKNOWN, 0.0, entities)
        scores = _scores(query, self._examples)
        best = np.zeros(len(self._intent_names))
        np.maximum.at(best, self._label_index, scores)
        order = np.argsort(-best)
        ranking = tuple((self._intent_names[i], float(best[i]) / 100) for i in order)
        intent, confidence = ranking[0]
        if confidence < self.threshold:
            intent = UNKNOWN
        return NluResult(text, intent, confidence, entities, ranking)
