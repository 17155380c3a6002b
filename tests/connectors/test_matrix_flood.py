"""Flood control on Matrix: a room over the limit gets one notice, its extra messages are not
handed to the core (no homeserver needed: the events are given to the connector directly)."""
from __future__ import annotations

from pathlib import Path

import pytest
from nio import MatrixRoom, RoomMessageText

from bot.app import CivicBot
from bot.config import Settings
from bot.messages import Reply
from connectors.matrix import MatrixConnector

ROOM = "!resident:matrix.example.org"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                    matrix_homeserver="https://matrix.example.org", matrix_user_id="@civicbot:example.org",
                    matrix_access_token="syt_test", flood_messages=3, flood_seconds=60.0)


def _message(number: int, text: str) -> RoomMessageText:
    return RoomMessageText.from_dict({
        "event_id": f"$e{number}", "sender": "@alice:matrix.example.org", "origin_server_ts": number,
        "type": "m.room.message", "content": {"msgtype": "m.text", "body": text}})


async def test_a_room_over_the_limit_gets_one_notice_and_no_more_answers(
        bot: CivicBot, monkeypatch: pytest.MonkeyPatch) -> None:
    connector = MatrixConnector(bot, encryption=False)
    sent: list[Reply] = []

    async def deliver(chat_id: str, reply: Reply) -> None:
        sent.append(reply)

    monkeypatch.setattr(connector, "deliver_reply", deliver)
    room = MatrixRoom(ROOM, "@civicbot:example.org")
    texts = ["bonjour", "allo ?", "vous etes la", "repondez", "ALLO", "help", "svp", "???"]
    for number, text in enumerate(texts):
        await connector._answer_event(room, _message(number, text))
    notice = bot.catalog.get("core.flood", "fr", seconds=60)
    assert [reply.text for reply in sent].count(notice) == 1
    assert len(sent) == 4  # three answers, one notice, nothing for the last four
    assert sent[0].text.startswith("Bonjour")
