"""Fixtures for the Telegram tests: the loopback Bot API and a running connector against it.

Test modules import the fixtures they use: ``from tests.support.telegram import telegram, telegram_api``.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import CivicBot
from connectors.telegram import TelegramConnector
from tests.support.servers.telegram_api import TelegramApiServer


def point_at(bot: CivicBot, server: TelegramApiServer, **settings: object) -> None:
    """Configure ``bot`` for Telegram through ``server`` (and any other setting given)."""
    bot.settings.telegram_token = server.token
    bot.settings.telegram_base_url = server.base_url
    for name, value in settings.items():
        setattr(bot.settings, name, value)


@pytest.fixture
async def telegram_api() -> AsyncIterator[TelegramApiServer]:
    async with TelegramApiServer() as server:
        yield server


@pytest.fixture
async def telegram(bot: CivicBot, telegram_api: TelegramApiServer) -> AsyncIterator[TelegramConnector]:
    """A connector polling the loopback Bot API."""
    point_at(bot, telegram_api)
    connector = TelegramConnector(bot)
    await connector.start()
    yield connector
    await connector.stop()
