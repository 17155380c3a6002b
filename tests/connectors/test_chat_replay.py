"""Whole residents' conversations (``tests/data/chat_replay.yaml``) replayed as the issue's
held-out check does: piped ``civicbot chat``, one process and one ``--user`` per resident, a
fresh ``CIVICBOT_DATA_DIR`` with the demonstration pack. Each turn's expected phrases must come
in order in the output, and the database must hold what the conversation asked for and nothing
more: a subscription, a ticket, a contribution, a setting or a data export nobody agreed to
fails it.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conversations.runner import find
from tests.support.data import TEST_DATA

# One worker replays them all (the set-up is the module's; split, each worker would replay all).
pytestmark = [pytest.mark.subprocess, pytest.mark.xdist_group("chat_replay")]

CONVERSATIONS = yaml.safe_load((TEST_DATA / "chat_replay.yaml").read_text(encoding="utf-8"))
EXPORT = "[civicbot-donnees.json]"
# What the database may hold after a conversation, each counted; all others must stay at zero.
COUNTS = {
    "subscriptions": "SELECT count(*) FROM subscriptions",
    "tickets": "SELECT count(*) FROM handover_tickets WHERE status = 'open'",
    "contributions": "SELECT count(*) FROM contributions",
    "votes": "SELECT count(*) FROM votes",
    "paused": "SELECT count(*) FROM subscribers WHERE paused",
    "weekly": "SELECT count(*) FROM subscribers WHERE frequency = 'weekly'",
    "quiet": "SELECT count(*) FROM subscribers WHERE coalesce(quiet_hours, '') != ''",
}


@dataclass
class Replayed:
    conversation: dict[str, Any]
    stdout: str
    stderr: str
    returncode: int
    counts: dict[str, int]


def replay(conversation: dict[str, Any], data_dir: Path) -> Replayed:
    """One resident's conversation through piped ``civicbot chat`` in a fresh data directory."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("CIVICBOT_")}
    environ["CIVICBOT_DATA_DIR"] = str(data_dir)
    lines = "".join(f"{turn['say']}\n" for turn in conversation["turns"])
    result = subprocess.run([sys.executable, "-m", "bot", "chat", "--user", conversation["resident"]],
                            input=lines, capture_output=True, text=True, env=environ, timeout=300)
    with sqlite3.connect(data_dir / "civicbot.db") as database:
        counts = {name: database.execute(query).fetchone()[0] for name, query in COUNTS.items()}
    counts["exports"] = result.stdout.count(EXPORT)
    return Replayed(conversation, result.stdout, result.stderr, result.returncode, counts)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Replayed]:
    """Every conversation, two processes at a time (each in its own data directory)."""
    root = tmp_path_factory.mktemp("replay")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda conversation: replay(conversation, root / conversation["resident"]),
                           CONVERSATIONS)
        return {result.conversation["resident"]: result for result in results}


def problems(replayed: Replayed) -> list[str]:
    """What went wrong in one replayed conversation (nothing: it is right)."""
    conversation, found = replayed.conversation, []
    if replayed.returncode != 0 or replayed.stderr:
        found.append(f"exit {replayed.returncode}, standard error: {replayed.stderr[-500:]!r}")
    position = 0
    for number, turn in enumerate(conversation["turns"], 1):
        for expected in turn.get("says", []):
            match = find(replayed.stdout, expected, position)
            if match is None:
                found.append(f"turn {number} ({turn['say']!r}): « {expected} » not found after what came before")
                break
            position = match.end()
        for unwanted in turn.get("never", []):
            if find(replayed.stdout, unwanted):
                found.append(f"turn {number} ({turn['say']!r}): « {unwanted} » in the output")
    for unwanted in conversation.get("never", []):
        if find(replayed.stdout, unwanted):
            found.append(f"« {unwanted} » in the output")
    expected_counts = {name: 0 for name in replayed.counts} | conversation.get("state", {})
    for name, count in replayed.counts.items():
        if count != expected_counts[name]:
            found.append(f"{name}: {count} at the end, expected {expected_counts[name]}")
    return found


@pytest.mark.parametrize("resident", [conversation["resident"] for conversation in CONVERSATIONS])
def test_conversation_replayed(resident: str, replayed: dict[str, Replayed]) -> None:
    result = replayed[resident]
    found = problems(result)
    if found:
        lines = "".join(f"> {turn['say']}\n" for turn in result.conversation["turns"])
        pytest.fail("\n".join([*found, "", "resident typed:", lines, "civicbot chat printed:", result.stdout]),
                    pytrace=False)


def test_piped_output_is_replies_only(replayed: dict[str, Replayed]) -> None:
    """No log line, prompt or greeting in piped output: one reply per line typed, each ending in
    a blank line."""
    for result in replayed.values():
        assert result.stdout.endswith("\n\n") and not result.stdout.startswith(">")
        assert result.stdout.count("\n\n") >= len(result.conversation["turns"])
        for marker in (" INFO ", " WARNING ", " DEBUG ", "Traceback", "Ctrl-D"):
            assert marker not in result.stdout
