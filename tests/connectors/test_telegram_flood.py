"""One resident cannot stall the bot for everyone: a burst of messages from one chat gets one
notice and is dropped beyond the limit, and the other residents are answered as fast as usual
(the audit measured 211 s for a "bonjour" behind a burst of 300 messages)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.limits import telegram_limiter
from bot.models import ConnectorState
from connectors.telegram import FETCH_LIMIT, TelegramConnector
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer
from tests.support.telegram import point_at

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

FLOODER, NEIGHBOUR = 5001, 5002
BURST = ["allo", "ALLO??", "vous etes la", "repondez svp", "hello???", "y a qqn", "bonjour",
         "c nul", "help", "aide moi"]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """At most 5 messages answered per resident and minute."""
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                    flood_messages=5, flood_seconds=60.0)


@pytest.fixture
async def limited_api() -> TelegramApiServer:
    """The loopback Bot API enforcing Telegram's limits (1 message/s per chat, 30/s in all)."""
    async with TelegramApiServer(limits=RateLimits()) as server:
        yield server


async def _connector(bot: CivicBot, api: TelegramApiServer, **settings: object) -> TelegramConnector:
    point_at(bot, api, **settings)
    connector = TelegramConnector(bot)
    connector.limiter = telegram_limiter(bot.settings)  # as civicbot serve: replies share the limits
    await connector.start()
    return connector


@pytest.mark.benchmark  # seconds of Telegram's real pacing, timed: CI runs it, the fast lane does not
async def test_a_burst_of_300_does_not_delay_another_residents_bonjour(
        bot: CivicBot, limited_api: TelegramApiServer) -> None:
    connector = await _connector(bot, limited_api)
    try:
        loop = asyncio.get_running_loop()
        last = 0
        for number in range(300):
            last = limited_api.say(FLOODER, BURST[number % len(BURST)])
        started = loop.time()
        neighbour = limited_api.say(NEIGHBOUR, "bonjour")
        reply = await limited_api.next_message(NEIGHBOUR, timeout=30)
        waited = loop.time() - started
        assert reply.text.startswith("Bonjour"), reply.text
        assert waited < 3.0, f"the neighbour waited {waited:.1f}s"
        # Every update is settled within seconds, not minutes: 5 answers, 1 notice, 295 dropped.
        await limited_api.wait_until(lambda: limited_api.confirmed_offset > max(last, neighbour),
                                     timeout=20)
        await limited_api.wait_until(lambda: len(limited_api.sent_to(FLOODER)) >= 6, timeout=20)
        await asyncio.sleep(1.5)
        sent = [message.text for message in limited_api.sent_to(FLOODER)]
        notice = bot.catalog.get("core.flood", "fr", seconds=60)
        assert sent.count(notice) == 1
        assert len(sent) == 6, sent
    finally:
        await connector.stop()


async def test_the_flood_notice_is_in_english_for_an_english_speaker(
        bot: CivicBot, telegram_api: TelegramApiServer) -> None:
    # the words are the point here, not the pacing: the chat's replies are not spaced a second apart
    connector = await _connector(bot, telegram_api, telegram_rate_per_chat=0.0)
    try:
        for text in ["hi", "hello?", "anyone there", "pls answer", "helloooo", "hey", "yo"]:
            telegram_api.say(FLOODER, text, language_code="en")
        await telegram_api.wait_until(
            lambda: any("many messages in a row" in m.text for m in telegram_api.sent_to(FLOODER)))
    finally:
        await connector.stop()


async def test_updates_saved_past_the_offset_are_answered_after_a_restart(
        bot: CivicBot, telegram_api: TelegramApiServer) -> None:
    """An update still in hand when a full window let the offset move on was saved first: if the
    process dies before answering it, the next start answers it."""
    point_at(bot, telegram_api)
    saved = {"update_id": 77, **telegram_api.message_update(5003, "bonjour")}
    async with bot.sessions() as session:
        token_id = telegram_api.token.partition(":")[0]
        session.add(ConnectorState(key=f"telegram.in_hand:{token_id}", value=json.dumps([saved])))
        await session.commit()
    connector = TelegramConnector(bot)
    await connector.start()
    try:
        assert (await telegram_api.next_message(5003)).text.startswith("Bonjour")
        await asyncio.sleep(0.5)
    finally:
        await connector.stop()
    async with bot.sessions() as session:
        assert await session.get(ConnectorState, f"telegram.in_hand:{token_id}") is None


def test_the_window_is_telegrams() -> None:
    assert FETCH_LIMIT == 100
