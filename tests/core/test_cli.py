"""The civicbot command line, run as a resident or an operator would run it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess


def civicbot(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "CIVICBOT_DATA_DIR": str(tmp_path / "data"), **env}
    environ.pop("CIVICBOT_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          text=True, env=environ, timeout=120)


def test_help_documents_every_command(tmp_path: Path) -> None:
    result = civicbot(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("chat", "nlu", "serve"):
        assert command in result.stdout
    assert "Chat with the bot" in civicbot(tmp_path, "chat", "--help").stdout


def test_scripted_chat_prints_one_reply_per_line(tmp_path: Path) -> None:
    result = civicbot(tmp_path, "chat", stdin="bonjour\naide\n")
    assert result.returncode == 0, result.stderr
    replies = result.stdout.strip().split("\n\n\n")
    assert result.stdout.startswith("Bonjour")
    assert "Voici ce que je sais faire" in result.stdout
    assert "1. " in result.stdout and len(replies) >= 1


def test_chat_users_are_separate_residents(tmp_path: Path) -> None:
    civicbot(tmp_path, "chat", "--user", "anna", stdin="/language en\n")
    anna = civicbot(tmp_path, "chat", "--user", "anna", stdin="bonjour\n")
    bruno = civicbot(tmp_path, "chat", "--user", "bruno", stdin="bonjour\n")
    assert anna.stdout.startswith("Hello") and bruno.stdout.startswith("Bonjour")


def test_chat_accepts_a_shared_position(tmp_path: Path) -> None:
    result = civicbot(tmp_path, "chat", stdin="/position 47.2161 -1.5497\n")
    assert "Que voulez-vous faire" in result.stdout


def test_nlu_prints_one_json_object_per_argument(tmp_path: Path) -> None:
    result = civicbot(tmp_path, "nlu", "bonjour", "aide moi")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == ["bonjour", "aide moi"]
    assert lines[0]["intent"] == "greet"
    assert set(lines[0]) == {"text", "intent", "confidence", "entities"}
    assert 0 <= lines[0]["confidence"] <= 1


def test_nlu_reads_json_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    stdin = '{"text": "bonjour"}\nnot json\n{"text": 3}\n\n{"text": "qsdfghjklm"}\n'
    result = civicbot(tmp_path, "nlu", "--jsonl", stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0]["intent"] == "greet"
    assert "line 2" in lines[1]["error"] and "line 3" in lines[2]["error"]
    assert lines[3]["intent"] == "unknown"


@pytest.mark.parametrize("value", ["abc", "-1x"])
def test_a_bad_setting_is_a_clear_error(tmp_path: Path, value: str) -> None:
    result = civicbot(tmp_path, "nlu", "bonjour", CIVICBOT_NLU_THRESHOLD=value)
    assert result.returncode != 0
    assert "nlu_threshold" in result.stderr and "Traceback" not in result.stderr
