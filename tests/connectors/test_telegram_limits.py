"""Conversations on the loopback Bot API that enforces Telegram's flood limits (30 messages a
second in all, one a second in a chat, an edit counting as a message): button presses and
replies of several messages never draw a 429, and arrive in order."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from connectors.telegram import TelegramConnector
from tests.support.servers.telegram_api import RateLimits, SentMessage, TelegramApiServer

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


@pytest.fixture
async def telegram_api() -> AsyncIterator[TelegramApiServer]:
    """The loopback Bot API with Telegram's flood limits (the ``telegram`` connector polls it)."""
    async with TelegramApiServer(limits=RateLimits()) as server:
        yield server


async def press(api: TelegramApiServer, chat: int, message: SentMessage, data: str) -> SentMessage:
    """Press the button of ``message`` that sends ``data``; the bot's answer."""
    assert data in [button["callback_data"] for button in message.inline_buttons]
    api.press(chat, message.message_id, data)
    return await api.next_message(chat, timeout=20)


async def test_button_presses_and_a_reply_in_two_messages_draw_no_429(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    chat = 4201
    telegram_api.say(chat, "bonjour")
    greeting = await telegram_api.next_message(chat, timeout=20)
    menu = await press(telegram_api, chat, greeting, "/aide")
    assert len(menu.inline_buttons) >= 8  # the help menu
    telegram_api.say(chat, "mes donnees svp")  # the export, once confirmed: a text, then the JSON document
    question = await telegram_api.next_message(chat, timeout=20)
    text = await press(telegram_api, chat, question, "oui")
    document = await telegram_api.next_message(chat, timeout=20)
    assert text.method == "sendMessage" and document.method == "sendDocument"
    assert document.document is not None and document.document[0] == "civicbot-donnees.json"
    telegram_api.say(chat, "hello, what can u do?")
    english = await telegram_api.next_message(chat, timeout=20)
    assert english.inline_buttons[-1]["text"] == "What I can do"
    await telegram_api.wait_until(lambda: len(telegram_api.calls_to("editMessageText")) == 2, timeout=20)

    assert telegram_api.stats.rejected_429 == 0
    assert all(call.error is None for call in telegram_api.calls)
    assert greeting.text.endswith("» Ce que je sais faire") and greeting.reply_markup is None
    sent = telegram_api.sent_to(chat)
    assert [message.message_id for message in sent] == sorted(message.message_id for message in sent)


async def test_residents_pressing_buttons_at_once_draw_no_429(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    chats = range(4301, 4341)  # 40 residents: more than the 30 a second Telegram takes in all

    async def resident(chat: int, words: str) -> SentMessage:
        telegram_api.say(chat, words)
        greeting = await telegram_api.next_message(chat, timeout=30)
        return await press(telegram_api, chat, greeting, greeting.inline_buttons[-1]["callback_data"])

    words = ["bonjour", "Bonjour !", "salut", "bjr", "hello", "hi there"]
    menus = await asyncio.gather(*(resident(chat, words[chat % len(words)]) for chat in chats))
    await telegram_api.wait_until(lambda: len(telegram_api.calls_to("editMessageText")) == len(chats),
                                  timeout=30)
    assert all(len(menu.inline_buttons) >= 8 for menu in menus)
    assert telegram_api.stats.rejected_429 == 0
    assert all(call.error is None for call in telegram_api.calls_to("editMessageText"))
