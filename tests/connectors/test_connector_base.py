"""Conversation replies: waiting, retrying and following chats as the platform asks."""
from __future__ import annotations

import pytest

from bot.messages import Reply
from connectors import base
from connectors.base import ChatMoved, Connector, RateLimited, RecipientGone, SendError, TemporaryError


class ScriptedConnector(Connector):
    """Fails with the scripted errors, in order, then succeeds."""

    platform = "scripted"

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[str] = []
        self.gone: list[str] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(chat_id)

    async def on_recipient_gone(self, chat_id: str) -> None:
        self.gone.append(chat_id)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch) -> list[float]:
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(base.asyncio, "sleep", record)
    return slept


async def test_rate_limit_waits_then_sends(no_sleep) -> None:
    connector = ScriptedConnector(RateLimited(3.5))
    await connector.deliver_reply("chat", Reply("hi"))
    assert connector.sent == ["chat"] and no_sleep == [3.5]


async def test_moved_chat_is_followed() -> None:
    connector = ScriptedConnector(ChatMoved("-100123"))
    await connector.deliver_reply("-42", Reply("hi"))
    assert connector.sent == ["-100123"]


async def test_temporary_errors_back_off(no_sleep) -> None:
    connector = ScriptedConnector(TemporaryError(), TemporaryError())
    await connector.deliver_reply("chat", Reply("hi"))
    assert connector.sent == ["chat"] and no_sleep == [0.5, 1.0]


async def test_gone_recipient_is_reported_and_not_retried() -> None:
    connector = ScriptedConnector(RecipientGone())
    await connector.deliver_reply("chat", Reply("hi"))
    assert connector.gone == ["chat"] and connector.sent == []


async def test_other_refusals_and_endless_failures_never_raise() -> None:
    refused = ScriptedConnector(SendError("bad request"))
    await refused.deliver_reply("chat", Reply("hi"))
    assert refused.sent == []
    failing = ScriptedConnector(*[TemporaryError()] * 10)
    await failing.deliver_reply("chat", Reply("hi"))
    assert failing.sent == [] and len(failing.errors) == 10 - base.REPLY_ATTEMPTS
