"""``civicbot serve`` with the web chat turned on: the page on its HTTP server, a conversation
over the socket, and a publication delivered by serve's own delivery service to the open page."""
from __future__ import annotations

import asyncio

import aiohttp
from sqlalchemy import update

from bot import serve as serve_module
from bot.app import CivicBot
from bot.config import Settings
from bot.subscriptions.models import Subscriber
from connectors import registry
from tests.support.delivery import publish
from tests.support.network import free_port, until_answers
from tests.support.webchat import Page, Site


def test_the_web_chat_is_configured_by_its_switch() -> None:
    assert "webchat" not in registry.configured_connectors(Settings())
    assert registry.configured_connectors(Settings(webchat_enabled=True)) == ["webchat"]


async def test_serve_runs_the_web_chat_and_delivers_to_an_open_page(settings: Settings, bot: CivicBot):
    settings.webchat_enabled = True
    settings.http_port = free_port()
    site = Site(f"http://127.0.0.1:{settings.http_port}")
    stop = asyncio.Event()
    task = asyncio.create_task(serve_module.serve(settings, stop))
    try:
        await until_answers(f"{site.url}/readyz", lambda: task.result() if task.done() else None, timeout=60)
        async with aiohttp.ClientSession() as http, http.get(f"{site.url}/webchat/") as response:
            assert response.status == 200 and "Content-Security-Policy" in response.headers
        async with Page.open(site) as page:
            reply = await page.say("abonnez moi aux travaux svp")
            assert "travaux" in reply["text"]
            async with bot.sessions.begin() as session:  # no quiet hours: the hour of the test cannot matter
                await session.execute(update(Subscriber).values(quiet_hours=""))
            await publish(bot)  # by another process's hand: serve's workers find it at their next look
            message = await page.frame()
            assert message["type"] == "message" and "Travaux rue de Strasbourg" in message["text"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
