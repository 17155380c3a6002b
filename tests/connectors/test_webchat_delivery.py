"""What the city sends reaches web chat visitors through the delivery engine: pushed to a page
that is open, kept for a closed one until it opens again (over the socket or the HTTP
fallback), acknowledged rows deleted, a forgotten visitor blocked. On both databases.
"""
from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

import aiohttp
from sqlalchemy import func, select, update

from bot.app import CivicBot
from bot.db import utcnow
from bot.models import HeldMessage
from bot.outbox import BLOCKED, SENT
from bot.subscriptions.models import Subscriber
from connectors import webchat_photos
from tests.support.delivery import publish, running, statuses, wait_until
from tests.support.handover import agent_token, bearer, tickets
from tests.support.webchat import Page, Served, labels, new_visitor, serving

TITLE = "Travaux rue de Strasbourg"  # the title tests.support.delivery.publish gives


async def subscribe(bot: CivicBot, page: Page, words: str = "abonnez moi aux travaux") -> None:
    """Subscribe in the resident's words; then no quiet hours, so that the hour the test runs
    at cannot hold the publication back."""
    reply = await page.say(words)
    if "Oui" in labels(reply):  # the bot asks to confirm a subscription it only guessed
        reply = await page.press(reply, "Oui")
    assert reply["type"] == "reply", reply
    async with bot.sessions.begin() as session:
        changed = await session.execute(update(Subscriber).where(Subscriber.platform == "webchat")
                                        .values(quiet_hours=""))
    assert changed.rowcount >= 1, "the visitor is subscribed"


async def inbox_count(bot: CivicBot) -> int:
    async with bot.sessions() as session:
        return (await session.execute(select(func.count()).select_from(HeldMessage))).scalar_one()


async def next_message(page: Page) -> dict:
    frame = await page.frame()
    assert frame["type"] == "message", frame
    return frame


async def test_a_publication_reaches_an_open_page_at_once(bot: CivicBot):
    async with serving(bot) as served, Page.open(served) as page:
        await subscribe(bot, page)
        async with running(bot, {"webchat": served.connector}):
            await publish(bot)
            message = await next_message(page)
            assert TITLE in message["text"]
            await wait_until(lambda: _sent(bot, 1))
            await page.socket.send_json({"type": "ack", "id": message["id"]})
            await wait_until(lambda: _inbox_is(bot, 0))


async def test_a_closed_page_gets_the_publication_when_it_opens_again(bot: CivicBot):
    visitor = new_visitor()
    async with serving(bot) as served:
        async with Page.open(served, visitor) as page:
            await subscribe(bot, page, "je veux être prévenu des travaux")
        async with running(bot, {"webchat": served.connector}):
            await publish(bot)
            await wait_until(lambda: _sent(bot, 1))
        assert await inbox_count(bot) == 1, "kept for the visitor"
        async with Page.open(served, visitor) as page:
            message = await next_message(page)
            assert TITLE in message["text"]
            await page.socket.send_json({"type": "ack", "id": message["id"]})
            await wait_until(lambda: _inbox_is(bot, 0))
        async with Page.open(served, visitor) as page:
            assert (await page.say("bonjour"))["type"] == "reply", "nothing shown twice before the reply"


async def test_the_http_fallback_long_polls_the_inbox(bot: CivicBot):
    visitor = new_visitor()
    async with serving(bot) as served, aiohttp.ClientSession() as http:
        async with Page.open(served, visitor) as page:
            await subscribe(bot, page, "abonne moi travaux")
        polling = asyncio.create_task(_inbox(http, served, visitor, after=0, wait=True))
        await asyncio.sleep(0.2)
        assert not polling.done(), "the long poll waits for news"
        async with running(bot, {"webchat": served.connector}):
            await publish(bot)
            [message] = (await asyncio.wait_for(polling, 30))["messages"]
        assert TITLE in message["text"]
        assert (await _inbox(http, served, visitor, after=0))["messages"] == [message], "not acknowledged yet"
        assert (await _inbox(http, served, visitor, after=message["id"]))["messages"] == []
        assert await inbox_count(bot) == 0


async def test_a_message_written_by_another_process_wakes_the_page(bot: CivicBot):
    """A row another process wrote (no in-process wake-up) reaches the page by the watcher."""
    async with serving(bot) as served, Page.open(served) as page:
        await page.say("bonjour")
        chat_id = served.connector.chat_of(page.visitor)
        assert await bot.mailbox.hold("webchat", chat_id, {"text": "Réponse de l'agent", "choices": []})
        message = await next_message(page)
    assert message["text"] == "Réponse de l'agent"


async def test_a_forgotten_visitor_is_blocked_like_a_blocked_chat(bot: CivicBot):
    visitor = new_visitor()
    async with serving(bot) as served, aiohttp.ClientSession() as http:
        async with Page.open(served, visitor) as page:
            await subscribe(bot, page)
        async with running(bot, {"webchat": served.connector}):
            async with bot.sessions.begin() as session:
                # the subscriber row outlives the user here only to test the engine's answer
                await session.execute(update(Subscriber).values(chat_id="x" * 64))
            await publish(bot)
            await wait_until(lambda: _status_is(bot, BLOCKED, 1))
        async with http.post(f"{served.url}/webchat/api/forget", headers={"Origin": served.origin},
                             json={"visitor": visitor}) as response:
            assert response.status == 200
    assert await inbox_count(bot) == 0


async def _inbox(http: aiohttp.ClientSession, served: Served, visitor: str, *, after: int,
                 wait: bool = False) -> dict:
    async with http.post(f"{served.url}/webchat/api/inbox", headers={"Origin": served.origin},
                         json={"visitor": visitor, "after": after, "wait": wait}) as response:
        assert response.status == 200
        return await response.json()


async def _sent(bot: CivicBot, count: int) -> bool:
    return (await statuses(bot)).get(SENT, 0) == count


async def _status_is(bot: CivicBot, status: str, count: int) -> bool:
    return (await statuses(bot)).get(status, 0) == count


async def _inbox_is(bot: CivicBot, count: int) -> bool:
    return await inbox_count(bot) == count


async def test_an_agents_answer_reaches_the_open_page(bot: CivicBot):
    token = await agent_token(bot)
    async with serving(bot) as served, Page.open(served) as page, aiohttp.ClientSession() as http:
        await page.say("je voudrais parler a quelqu'un de la mairie svp")
        await page.say("le lampadaire de ma rue clignote depuis une semaine")
        [ticket] = await tickets(bot)
        async with running(bot, {"webchat": served.connector}), http.post(
                f"{served.url}/api/v1/handover/tickets/{ticket.id}/messages",
                json={"text": "Bonjour, une équipe passe jeudi."}, headers=bearer(token)) as response:
            assert response.status == 201
            message = await next_message(page)
    assert "une équipe passe jeudi" in message["text"]


async def test_what_nobody_fetched_and_old_photos_are_purged(bot: CivicBot):
    async with serving(bot) as served, Page.open(served) as page:
        await page.say("bonjour")
        chat_id = served.connector.chat_of(page.visitor)
    assert await bot.mailbox.hold("webchat", chat_id, {"text": "ancienne publication", "choices": []})
    assert await bot.mailbox.hold("webchat", chat_id, {"text": "publication récente", "choices": []})
    async with bot.sessions.begin() as session:
        oldest = await session.scalar(select(func.min(HeldMessage.id)))
        await session.execute(update(HeldMessage).where(HeldMessage.id == oldest)
                              .values(created_at=utcnow() - timedelta(days=31)))
    assert await bot.mailbox.purge(30) == 1
    assert [held.payload["text"] for held in await bot.mailbox.waiting(chat_id)] == ["publication récente"]

    data_dir = bot.settings.data_dir
    old = webchat_photos.keep(data_dir, b"\xff\xd8\xff old", "jpg").removeprefix(webchat_photos.REFERENCE_PREFIX)
    new = webchat_photos.keep(data_dir, b"\xff\xd8\xff new", "jpg").removeprefix(webchat_photos.REFERENCE_PREFIX)
    long_ago = time.time() - 400 * 86400
    os.utime(data_dir / webchat_photos.FOLDER / old, (long_ago, long_ago))
    assert webchat_photos.purge(data_dir, 365) == 1
    assert sorted(path.name for path in (data_dir / webchat_photos.FOLDER).iterdir()) == [new]
