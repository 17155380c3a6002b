"""A TF-IDF + linear baseline for the NLU, trained on the intents' own examples, scored on the
development and held-out sets next to ``bot.nlu``.

Run: python bench/nlu_baseline.py (needs the ``bench`` extra: scikit-learn, which the product
never imports). Two baselines: word uni- and bigrams, and word plus character n-grams (which
tolerate typos); each a logistic regression. Both see the same normalised text as ``bot.nlu``.
The figures printed are accuracies, and for ``bot.nlu`` the precision above a few confidence
levels (what "sure" means for asking confirmation).
"""
from __future__ import annotations

import json
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from bot.app import load_intents
from bot.config import Settings
from bot.features import FEATURES
from bot.nlu import Nlu
from bot.text import normalize

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = ("nlu_dev.jsonl", "nlu_heldout.jsonl")
LEVELS = (0.3, 0.4, 0.5, 0.6, 0.7)


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def training_data() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for spec in load_intents(FEATURES).values():
        for phrases in spec.examples.values():
            texts += [normalize(phrase) for phrase in phrases]
            labels += [spec.name] * len(phrases)
    return texts, labels


def baselines() -> dict[str, object]:
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    return {
        "tfidf words + logistic regression": make_pipeline(words, LogisticRegression(C=10, max_iter=2000)),
        "tfidf words+chars + logistic regression": make_pipeline(
            make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), characters),
            LogisticRegression(C=10, max_iter=2000)),
    }


def main() -> None:
    texts, labels = training_data()
    print(f"training examples: {len(texts)}")
    sets = {name: load(name) for name in SETS}
    for title, model in baselines().items():
        model.fit(texts, labels)  # type: ignore[attr-defined]
        scores = []
        for name, records in sets.items():
            predicted = model.predict([normalize(r["text"]) for r in records])  # type: ignore[attr-defined]
            right = sum(p == r["intent"] for p, r in zip(predicted, records, strict=True))
            scores.append(f"{name} {right / len(records):.3f} ({right}/{len(records)})")
        print(f"{title}: " + ", ".join(scores))
    nlu = Nlu(load_intents(FEATURES), Settings().nlu_threshold)
    for name, records in sets.items():
        results = [nlu.classify(record["text"]) for record in records]
        right = sum(result.intent == r["intent"] for result, r in zip(results, records, strict=True))
        print(f"bot.nlu: {name} {right / len(records):.3f} ({right}/{len(records)})")
        for level in LEVELS:
            sure = [(result, r) for result, r in zip(results, records, strict=True)
                    if result.confidence >= level and result.intent != "unknown"]
            precision = sum(result.intent == r["intent"] for result, r in sure) / max(len(sure), 1)
            print(f"    confidence >= {level}: precision {precision:.3f}, "
                  f"{len(sure) / len(records):.0%} of the set")


if __name__ == "__main__":
    main()
