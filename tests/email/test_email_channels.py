"""Subscribing by e-mail from a real channel: python-telegram-bot against the loopback Bot API,
the confirmation through the loopback SMTP server; and the whole cycle under ``civicbot serve``
(its delivery engine sends, its HTTP server answers the links)."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot import serve as serve_module
from bot.app import CivicBot
from bot.config import Settings
from bot.email.models import ACTIVE, STOPPED
from bot.email.store import EMAIL_KIND
from bot.features import create_bot
from connectors.telegram import TelegramConnector
from tests.support.contributions import drain
from tests.support.email import addresses, body, link, publish
from tests.support.network import free_port, until_answers
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


async def test_civicbot_serve_sends_the_emails_and_answers_their_links(
        settings: Settings, telegram_api: TelegramApiServer, mail_server: MailServer) -> None:
    settings.telegram_token, settings.telegram_base_url = telegram_api.token, telegram_api.base_url
    settings.http_port = free_port()
    settings.public_url = f"http://127.0.0.1:{settings.http_port}"
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_module.serve(settings, stop))
    helper = None
    try:
        await until_answers(f"{settings.public_url}/readyz", lambda: serving.result() if serving.done() else None)
        telegram_api.say(3001, "abonne moi aux travaux par mail lea.bernard@exemple.fr")
        assert "l•••@exemple.fr" in (await telegram_api.next_message(3001)).text
        await mail_server.wait_for(1)
        async with aiohttp.ClientSession() as http:
            async with http.post(link(mail_server.received[0][1], "/email/confirm")) as response:
                assert response.status == 200
            helper = await create_bot(settings)
            assert [row.status for row in await addresses(helper)] == [ACTIVE]
            assert await publish(helper, "Travaux quai de la Fosse", "Voie fermée la nuit.", topics=["travaux"],
                                 kind="works") == 1
            await mail_server.wait_for(2)
            works = mail_server.received[1][1]
            assert works["Subject"] == "Travaux quai de la Fosse" and "Voie fermée la nuit." in body(works, "plain")
            async with http.post(link(works, "/email/unsubscribe"), data="List-Unsubscribe=One-Click") as response:
                assert response.status == 200
        assert [row.status for row in await addresses(helper)] == [STOPPED]
    finally:
        stop.set()
        await asyncio.wait_for(serving, 60)
        if helper is not None:
            await helper.close()
