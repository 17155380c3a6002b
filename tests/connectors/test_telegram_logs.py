"""The bot's token never reaches the logs, even at DEBUG with the library's logs on."""
from __future__ import annotations

import logging

import pytest

from bot.app import CivicBot
from connectors.telegram import TelegramConnector
from tests.support.servers.telegram_api import TelegramApiServer
from tests.support.telegram import point_at


@pytest.mark.parametrize("log_message_text", [False, True])
async def test_the_token_is_not_logged_at_debug(bot: CivicBot, telegram_api: TelegramApiServer,
                                                caplog: pytest.LogCaptureFixture,
                                                log_message_text: bool) -> None:
    """python-telegram-bot logs the Bot API URL (token included) as the application is built."""
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "telegram.ext", "httpx"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    point_at(bot, telegram_api, log_message_text=log_message_text)
    connector = TelegramConnector(bot)
    await connector.start()
    try:
        telegram_api.say(4101, "bonjour")
        assert "Bonjour" in (await telegram_api.next_message(4101)).text
        try:
            raise RuntimeError(f"404 for url {telegram_api.base_url}{telegram_api.token}/getMe")
        except RuntimeError:
            logging.getLogger("civicbot.test").exception("a request failed")
    finally:
        await connector.stop()
    assert caplog.records, "nothing was logged: the test would prove nothing"
    if log_message_text:  # the library's own DEBUG lines are on: the URL line is there, masked
        assert any("Bot API URL" in record.getMessage() for record in caplog.records)
    assert telegram_api.token not in caplog.text
    secret_half = telegram_api.token.split(":")[1]
    assert all(secret_half not in record.getMessage() for record in caplog.records)
