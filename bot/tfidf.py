"""TF-IDF similarity of a message with each example phrase, over character n-grams or words.

Character n-grams: words padded with spaces and cut into pieces of a few lengths
("abonnemnt" and "abonnement" share most of theirs). Words: each word and each pair of
neighbours ("j'ai vote" is not "voter"). Features are weighted by sublinear term frequency
times inverse document frequency, and each example is a unit vector. The examples are kept as
postings, feature -> (examples, weights), so a message costs one lookup per feature it has.
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable

import numpy as np

SIZES = (2, 3, 4, 5)


def char_ngrams(text: str) -> Counter[str]:
    return Counter(gram for word in text.split() for gram in _word_char_ngrams(word))


@functools.lru_cache(maxsize=16384)  # residents' words come back all the time
def _word_char_ngrams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    return tuple(padded[i:i + size] for size in SIZES for i in range(max(len(padded) - size + 1, 1)))


def word_ngrams(text: str) -> Counter[str]:
    words = text.split()
    return Counter(words + [f"{first} {second}" for first, second in zip(words, words[1:], strict=False)])


def _weights(counts: Counter[str], idf: dict[str, float], unseen_idf: float) -> dict[str, float]:
    """Unit TF-IDF weights of the features the examples know; unknown ones (weighed as the
    rarest) count in the norm only, so an unknown word lowers every similarity."""
    weights = {gram: (1 + math.log(count)) * idf.get(gram, unseen_idf) for gram, count in counts.items()}
    norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
    return {gram: weight / norm for gram, weight in weights.items() if gram in idf}


class TfidfIndex:
    def __init__(self, texts: list[str], features: Callable[[str], Counter[str]] = char_ngrams) -> None:
        self.size = len(texts)
        self._features = features
        counts = [features(text) for text in texts]
        frequency = Counter(gram for grams in counts for gram in grams)
        self._idf = {gram: math.log((1 + self.size) / (1 + df)) + 1 for gram, df in frequency.items()}
        self._unseen_idf = math.log(1 + self.size) + 1
        self._examples = [_weights(grams, self._idf, self._unseen_idf) for grams in counts]
        rows: dict[str, list[int]] = {}
        values: dict[str, list[float]] = {}
        for row, weights in enumerate(self._examples):
            for gram, weight in weights.items():
                rows.setdefault(gram, []).append(row)
                values.setdefault(gram, []).append(weight)
        self._postings = {gram: (np.array(rows[gram], dtype=np.intp), np.array(values[gram], dtype=np.float32))
                          for gram in rows}

    def similarities(self, text: str) -> np.ndarray:
        """Cosine of ``text`` with every example, in the examples' order."""
        return self._against_examples(_weights(self._features(text), self._idf, self._unseen_idf))

    def example_similarities(self) -> np.ndarray:
        """The examples' cosines with each other (square, symmetric)."""
        if not self.size:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._against_examples(weights) for weights in self._examples])

    def _against_examples(self, query: dict[str, float]) -> np.ndarray:
        if not query:
            return np.zeros(self.size, dtype=np.float32)
        postings = [self._postings[gram] for gram in query]
        rows = np.concatenate([indices for indices, _values in postings])
        values = np.concatenate([values for _indices, values in postings])
        values *= np.repeat(np.fromiter(query.values(), dtype=np.float32, count=len(query)),
                            [len(indices) for indices, _values in postings])
        return np.bincount(rows, weights=values, minlength=self.size).astype(np.float32)
