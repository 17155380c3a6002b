"""Character n-gram TF-IDF similarity of a message with each example phrase.

Words are padded with spaces and cut into n-grams of a few lengths ("abonnemnt" and
"abonnement" share most of theirs), weighted by sublinear term frequency times inverse
document frequency, and each example is a unit vector. The examples are kept as postings,
n-gram -> (examples, weights), so a message costs one lookup per n-gram it has.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

SIZES = (2, 3, 4, 5)


def ngrams(text: str, sizes: tuple[int, ...] = SIZES) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for size in sizes:
            grams.update(padded[i:i + size] for i in range(max(len(padded) - size + 1, 1)))
    return grams


def _weights(counts: Counter[str], idf: dict[str, float], unseen_idf: float) -> dict[str, float]:
    """Unit TF-IDF weights of the n-grams the examples know; unknown ones (weighed as the
    rarest) count in the norm only, so an unknown word lowers every similarity."""
    weights = {gram: (1 + math.log(count)) * idf.get(gram, unseen_idf) for gram, count in counts.items()}
    norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
    return {gram: weight / norm for gram, weight in weights.items() if gram in idf}


class CharNgramIndex:
    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        counts = [ngrams(text) for text in texts]
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
        return self._against_examples(_weights(ngrams(text), self._idf, self._unseen_idf))

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
