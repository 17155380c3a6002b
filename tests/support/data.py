"""The files the tests read: the project's own test data, and the real open data kept beside the
project (``../shared``), which tests skip cleanly without."""
from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = PROJECT_ROOT / "tests" / "data"
SHARED = PROJECT_ROOT.parent / "shared"
# The intents that tests/data/nlu_dev.jsonl and nlu_heldout.jsonl score, each with enough
# examples in both languages (where_am_i and delivery_settings answer commands and follow-ups).
SCORED_INTENTS = (
    "greet", "help", "ask_data", "council", "find_official", "find_service", "subscribe",
    "unsubscribe", "my_subscriptions", "report_problem", "propose_idea", "vote",
    "my_contributions", "privacy_export", "privacy_forget", "talk_to_human", "unknown",
)


def shared_data(name: str) -> Path:
    """A reference file of ../shared/data, or skip the test with the reason."""
    return _shared_file(SHARED / "data" / name)


def real_data(name: str) -> Path:
    """A file of ../shared/realdata (``original/…`` or ``derived/…``), or skip the test."""
    return _shared_file(SHARED / "realdata" / name)


def _shared_file(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"reference data {path} is absent")
    return path
