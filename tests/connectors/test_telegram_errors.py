"""What the Telegram connector does when Telegram says no: flood control (429), a resident who
blocked the bot (403), a group that became a supergroup, server and network errors."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot import metrics
from bot.app import CivicBot
from bot.config import ConfigError
from bot.messages import Reply
from bot.models import User
from connectors.base import ChatMoved, RateLimited, RecipientGone, SendError, TemporaryError
from connectors.telegram import TelegramConnector
from tests.support.servers.telegram_api import TelegramApiServer
from tests.support.telegram import point_at

# python-telegram-bot 22 warns that RetryAfter.retry_after will become a timedelta (both handled)
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def _active(bot: CivicBot, chat_id: str) -> bool:
    user_hash = bot.pseudonymizer.user_hash("telegram", chat_id)
    async with bot.sessions() as session:
        return (await session.execute(select(User.active).where(User.user_hash == user_hash))).scalar_one()


async def test_send_maps_each_refusal_to_a_neutral_error(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    refused = metrics.REGISTRY.get_sample_value("civicbot_rate_limited_total", {"platform": "telegram"}) or 0
    telegram_api.rate_limit_next(retry_after=3)
    with pytest.raises(RateLimited) as limited:
        await telegram.send("2001", Reply("un"))
    assert limited.value.retry_after == 3.0
    # /metrics counts it, for replies and broadcasts alike
    assert metrics.REGISTRY.get_sample_value("civicbot_rate_limited_total", {"platform": "telegram"}) == refused + 1

    telegram_api.block(2002)
    with pytest.raises(RecipientGone):
        await telegram.send("2002", Reply("deux"))

    telegram_api.migrate(-2003, -1002003)
    with pytest.raises(ChatMoved) as moved:
        await telegram.send("-2003", Reply("trois"))
    assert moved.value.new_chat_id == "-1002003"

    telegram_api.fail("sendMessage", 502, "Bad Gateway")
    with pytest.raises(TemporaryError):
        await telegram.send("2004", Reply("quatre"))

    telegram_api.fail("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(RecipientGone):
        await telegram.send("2005", Reply("cinq"))

    telegram_api.fail("sendMessage", 400, "Bad Request: message is too long")
    with pytest.raises(SendError) as refused:
        await telegram.send("2006", Reply("six"))
    assert type(refused.value) is SendError and "too long" in str(refused.value)
    assert telegram_api.sent == []


async def test_a_reply_waits_as_long_as_flood_control_asks(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.rate_limit_next(retry_after=1, chat_id=2010)
    telegram_api.say(2010, "bonjour")
    reply = await telegram_api.next_message(2010)
    attempts = [call for call in telegram_api.calls_to("sendMessage") if call.params["chat_id"] == "2010"]
    assert [call.error for call in attempts] == [429, None]
    assert attempts[1].at - attempts[0].at >= 1.0 and "Bonjour" in reply.text


async def test_a_resident_who_blocked_the_bot_is_marked_inactive(
        bot: CivicBot, telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.say(2020, "bonjour")
    await telegram_api.next_message(2020)
    assert await _active(bot, "2020")
    telegram_api.block(2020)
    blocked = telegram_api.say(2020, "/aide")
    await telegram_api.wait_until(lambda: telegram_api.confirmed_offset > blocked)
    assert not await _active(bot, "2020")
    assert len(telegram_api.calls_to("sendMessage")) == 2  # no retry after 403


async def test_a_migrated_group_is_answered_at_its_new_id(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.migrate(-2030, -1002030)
    telegram_api.say(-2030, "/aide", user_id=2031)
    answer = await telegram_api.next_message(-1002030)
    assert len(answer.inline_buttons) >= 8 and telegram_api.sent_to(-2030) == []


async def test_server_errors_are_retried_with_backoff(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.fail("sendMessage", 500, "Internal Server Error", times=2)
    telegram_api.say(2040, "bonjour")
    started = time.monotonic()
    assert "Bonjour" in (await telegram_api.next_message(2040)).text
    assert time.monotonic() - started >= 1.5  # waited 0.5 s, then 1 s
    assert [call.error for call in telegram_api.calls_to("sendMessage")] == [500, 500, None]


async def test_a_refused_message_does_not_stop_the_connector(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.fail("sendMessage", 400, "Bad Request: can't parse entities")
    first = telegram_api.say(2050, "bonjour")
    await telegram_api.wait_until(lambda: telegram_api.confirmed_offset > first)
    telegram_api.say(2050, "bonjour")
    assert "Bonjour" in (await telegram_api.next_message(2050)).text


async def test_a_reply_cut_short_resumes_after_the_parts_delivered(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    reply = Reply("\n\n".join(["Premier." + " a" * 1500, "Second." + " b" * 1500]))
    telegram_api.rate_limit_next(chat_id=2060, retry_after=1)
    with pytest.raises(RateLimited):
        await telegram.send("2060", reply)  # the first part is refused: nothing sent
    telegram_api.fail("sendMessage", 502, "Bad Gateway", chat_id=2060, skip=1)
    with pytest.raises(TemporaryError):
        await telegram.send("2060", reply)  # the first part went, the second failed
    await telegram.send("2060", reply)  # only the second part is sent again
    texts = [message.text for message in telegram_api.sent_to(2060)]
    assert len(texts) == 2 and texts[0].startswith("Premier.") and texts[1].startswith("Second.")


async def test_a_button_press_counts_even_if_its_acknowledgement_fails(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.say(2070, "bonjour")
    greeting = await telegram_api.next_message(2070)
    telegram_api.fail("answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired")
    telegram_api.fail("editMessageText", 400, "Bad Request: message can't be edited")
    telegram_api.press(2070, greeting.message_id, "/aide")
    assert len((await telegram_api.next_message(2070)).inline_buttons) >= 8


async def test_fetching_survives_server_errors_and_conflicts(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.fail("getUpdates", 502, "Bad Gateway")
    telegram_api.fail("getUpdates", 409, "Conflict: terminated by other getUpdates request")
    telegram_api.say(2080, "bonjour")
    assert "Bonjour" in (await telegram_api.next_message(2080, timeout=15)).text
    assert {502, 409} <= {call.error for call in telegram_api.calls_to("getUpdates")}


async def test_a_refused_token_is_a_clear_configuration_error(
        bot: CivicBot, telegram_api: TelegramApiServer) -> None:
    point_at(bot, telegram_api, telegram_token="999:wrong-token")
    connector = TelegramConnector(bot)
    with pytest.raises(ConfigError, match="telegram_token"):
        await connector.start()
    await connector.stop()


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("telegram_mode", "pigeon", "telegram_mode"),
    ("telegram_webhook_url", "http://insecure.example/hook", "telegram_webhook_url"),
    ("telegram_webhook_secret", "spaces are not allowed", "telegram_webhook_secret"),
])
async def test_unusable_settings_are_named(bot: CivicBot, telegram_api: TelegramApiServer,
                                           setting: str, value: str, named: str) -> None:
    valid = {"telegram_mode": "webhook", "telegram_webhook_url": "https://civic.example/telegram/webhook"}
    point_at(bot, telegram_api, **{**valid, setting: value})
    with pytest.raises(ConfigError, match=named):
        TelegramConnector(bot)
