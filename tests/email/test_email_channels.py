"""Subscribing by e-mail from a real channel: python-telegram-bot against the loopback Bot API,
the confirmation through the loopback SMTP server."""
from __future__ import annotations

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.email.store import EMAIL_KIND
from connectors.telegram import TelegramConnector
from tests.support.contributions import drain
from tests.support.email import addresses, body
from tests.support.servers.telegram_api import TelegramApiServer
from tests.support.smtp import MailServer

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def settings(settings: Settings, mail_server: MailServer) -> Settings:
    mail_server.configure(settings)
    return settings


async def test_a_telegram_resident_subscribes_an_address(bot: CivicBot, telegram: TelegramConnector,
                                                         telegram_api: TelegramApiServer,
                                                         mail_server: MailServer) -> None:
    telegram_api.say(2001, "je veux recevoir les comptes rendus du conseil par mail")
    asked = await telegram_api.next_message(2001)
    assert "adresse e-mail" in asked.text
    telegram_api.say(2001, "lea.bernard@exemple.fr")
    told = await telegram_api.next_message(2001)
    assert "l•••@exemple.fr" in told.text and "lea.bernard@exemple.fr" not in told.text
    assert [row.address for row in await addresses(bot)] == ["lea.bernard@exemple.fr"]
    assert await drain(bot, (EMAIL_KIND,)) == 1
    [confirmation] = mail_server.messages_to("lea.bernard@exemple.fr")
    assert "conseil municipal" in body(confirmation, "plain")
