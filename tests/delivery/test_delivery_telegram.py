"""Delivery through the real python-telegram-bot connector to the loopback Bot API, which
enforces Telegram's flood limits: every subscriber once, no 429, replies first."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import CivicBot
from bot.models import User
from bot.outbox import OutboxEntry
from bot.subscriptions.models import Subscriber
from connectors.telegram import TelegramConnector
from tests.support.delivery import add_subscribers, all_sent, publish, running, statuses, wait_until
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer


@pytest.fixture
async def telegram_api() -> AsyncIterator[TelegramApiServer]:
    """The loopback Bot API with Telegram's flood limits (the ``telegram`` connector polls it)."""
    async with TelegramApiServer(limits=RateLimits()) as server:
        yield server


async def test_a_broadcast_reaches_everyone_once_within_the_limits(
        bot: CivicBot, telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    chats = [str(5000 + n) for n in range(45)] + ["-1001234"]
    async with bot.sessions() as session:
        await add_subscribers(session, chats)
    publication = await publish(bot)
    async with running(bot, {"telegram": telegram}):
        await wait_until(lambda: all_sent(bot, len(chats)), timeout=30)
    stats = telegram_api.stats
    assert stats.delivered == len(chats) and set(stats.by_chat.values()) == {1}
    assert stats.rejected_429 == 0  # never more than 30 in any second, as the server counts
    assert stats.last_at - stats.first_at >= 1.0  # the 31st arrived a second after the first
    message = telegram_api.sent_to("5000")[0]
    assert message.text.startswith("Travaux rue de Strasbourg") and message.text.endswith("« stop ».")
    assert publication.targeted == len(chats)


async def test_blocked_moved_and_rate_limited_chats(
        bot: CivicBot, telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    async with bot.sessions() as session:
        blocked_id, *_ = await add_subscribers(session, ["6001", "-6002", "6003"])
    telegram_api.block(6001)
    telegram_api.migrate(-6002, -1006002)
    telegram_api.rate_limit_next(retry_after=1, chat_id=6003)
    started = time.monotonic()
    await publish(bot)
    async with running(bot, {"telegram": telegram}):
        await wait_until(lambda: _statuses_are(bot, {"blocked": 1, "sent": 2}), timeout=30)
    assert time.monotonic() - started >= 1.0  # the platform's pause was kept
    assert telegram_api.sent_to("6001") == [] and len(telegram_api.sent_to("-1006002")) == 1
    assert len(telegram_api.sent_to("6003")) == 1
    async with bot.sessions() as session:
        assert (await session.get(User, blocked_id)).active is False
        moved = (await session.execute(select(Subscriber.chat_id).where(Subscriber.chat_id.like("-100%")))).scalar()
        assert moved == "-1006002"
        assert (await session.execute(select(OutboxEntry.attempts).where(OutboxEntry.chat_id == "6003"))).scalar() == 1


async def _statuses_are(bot: CivicBot, expected: dict[str, int]) -> bool:
    return await statuses(bot) == expected


async def test_a_resident_is_answered_during_a_broadcast(
        bot: CivicBot, telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, [str(7000 + n) for n in range(90)])  # 3 s at 30/s
    await publish(bot)
    async with running(bot, {"telegram": telegram}):
        await telegram_api.wait_until(lambda: telegram_api.stats.delivered >= 15, timeout=20)
        telegram_api.say(8000, "bonjour")
        reply = await telegram_api.next_message(8000, timeout=20)
        broadcast_left = 90 - (telegram_api.stats.delivered - 1)
        await wait_until(lambda: all_sent(bot, 90), timeout=30)
    assert "Bonjour" in reply.text
    assert broadcast_left > 20  # answered before most of the broadcast, not behind it
    assert telegram_api.stats.rejected_429 == 0


async def test_paid_broadcasts_go_out_as_paid_above_the_free_rate(
        bot: CivicBot, telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    # A free rate far below what any machine sends at, so that going faster proves the paid
    # rate was used (through the free gate these 80 would take 40 s).
    bot.settings.telegram_rate_global, bot.settings.telegram_paid_rate = 2.0, 200.0
    chats = [str(9000 + n) for n in range(80)]
    async with bot.sessions() as session:
        await add_subscribers(session, chats)
    await publish(bot)
    async with running(bot, {"telegram": telegram}):
        await wait_until(lambda: all_sent(bot, len(chats)), timeout=30)
        telegram_api.say(9999, "bonjour")
        await telegram_api.next_message(9999, timeout=20)
    sends = telegram_api.calls_to("sendMessage")
    broadcast = [call for call in sends if str(call.params.get("chat_id")) in chats]
    reply = [call for call in sends if str(call.params.get("chat_id")) == "9999"]
    assert len(broadcast) == len(chats)
    assert all(str(call.params.get("allow_paid_broadcast")).lower() == "true" for call in broadcast)
    assert reply and "allow_paid_broadcast" not in reply[0].params  # a conversation reply is free
    assert telegram_api.stats.rejected_429 == 0
    assert telegram_api.stats.rate() > 4.0  # twice what the free rate allows
