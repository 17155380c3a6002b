"""Accuracy on the development set, through the same `civicbot nlu --jsonl` the held-out
evaluation uses. The development set was written before the examples and the tuning, with
its own wording (typos, no accents, street and quartier names); no utterance of it is in the
examples (see test_nlu.py)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.intent import INTENT_NAMES
from tests.support.data import TEST_DATA

DEV_SET = TEST_DATA / "nlu_dev.jsonl"
TARGET = 0.90


def test_development_set_is_balanced_and_bilingual() -> None:
    records = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    per_intent = Counter(record["intent"] for record in records)
    assert len(records) >= 400
    assert set(per_intent) == set(INTENT_NAMES)
    assert min(per_intent.values()) >= 20


def test_accuracy_on_the_development_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CIVICBOT_DATA_DIR", str(tmp_path))
    for name in ("CIVICBOT_DATABASE_URL", "CIVICBOT_NLU_THRESHOLD", "CIVICBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    records = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    stdin = "".join(json.dumps({"text": record["text"]}) + "\n" for record in records)
    result = CliRunner().invoke(cli, ["nlu", "--jsonl"], input=stdin)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert [answer["text"] for answer in answers] == [record["text"] for record in records]
    assert all(set(answer) == {"text", "intent", "confidence", "entities"} for answer in answers)
    mistakes = Counter((record["intent"], answer["intent"])
                       for record, answer in zip(records, answers, strict=True) if record["intent"] != answer["intent"])
    accuracy = 1 - sum(mistakes.values()) / len(records)
    assert accuracy >= TARGET, f"accuracy {accuracy:.3f}; expected -> got: {mistakes.most_common(10)}"
