"""The web chat over its WebSocket and its plain HTTP fallback, with aiohttp's client, on both
databases: the same conversations as on the other platforms, residents' words in both
languages, and every bad input answered clearly.

Expected texts are read from the catalogs and intents' data files (``webchat.*``, ``greet.*``),
never copied from what the connector printed.
"""
from __future__ import annotations

import asyncio
import base64
import json

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import CivicBot
from bot.messages import Reply
from bot.models import HeldMessage, User
from tests.connectors.test_cross_platform import SCENARIO, through_terminal
from tests.support.webchat import Page, hello_then_gone, labels, new_visitor, serving

CITY = {"city": "Nantes"}


def text(bot: CivicBot, key: str, lang: str = "fr", **values: object) -> str:
    return bot.catalog.get(key, lang, **{**CITY, **values})


async def test_a_conversation_is_the_same_as_in_the_terminal(bot: CivicBot):
    expected = await through_terminal(bot)
    async with serving(bot) as served, Page.open(served) as page:
        answers, last = [], None
        for kind, value in SCENARIO:
            if kind == "say":
                last = await page.say(value)
            elif kind == "locate":
                last = await page.share(*value)
            else:
                last = await page.say(last["choices"][value - 1]["value"])
            assert last["type"] == "reply", last
            answers.append((last["text"], tuple(labels(last))))
    assert answers == expected


@pytest.mark.parametrize(("words", "lang", "key"), [
    ("bonjour", "fr", "greet.hello"),
    ("bjr", "fr", "greet.hello"),
    ("salut ca va", "fr", "greet.hello"),
    ("hello", "en", "greet.hello"),
    ("hi there, good morning", "en", "greet.hello"),
])
async def test_residents_greet_in_their_words(bot: CivicBot, words: str, lang: str, key: str):
    async with serving(bot) as served, Page.open(served, lang=lang) as page:
        reply = await page.say(words)
    assert reply["type"] == "reply"
    assert reply["text"].startswith(text(bot, key, lang).split("!")[0])
    assert reply["language"] == lang
    assert reply["choices"], "the greeting offers buttons"


async def test_a_visitor_is_a_pseudonymous_resident_like_on_telegram(bot: CivicBot):
    visitor = new_visitor()
    async with serving(bot) as served, Page.open(served, visitor) as page:
        await page.say("bonjour")
    async with bot.sessions() as session:
        users = (await session.execute(select(User).where(User.platform == "webchat"))).scalars().all()
    assert len(users) == 1
    assert users[0].user_hash == bot.pseudonymizer.user_hash("webchat", visitor)
    assert visitor not in users[0].user_hash
    columns = {column.name for column in User.__table__.columns}
    assert not columns & {"ip", "address", "user_agent"}, "nothing about the browser is kept"


async def test_the_http_fallback_holds_the_same_conversation(bot: CivicBot):
    visitor = new_visitor()
    async with serving(bot) as served, aiohttp.ClientSession() as http:
        async with http.post(f"{served.url}/webchat/api/messages", headers={"Origin": served.origin},
                             json={"visitor": visitor, "lang": "fr", "type": "text", "text": "bonjour"}) as response:
            assert response.status == 200
            [reply] = (await response.json())["replies"]
        assert reply["text"].startswith(text(bot, "greet.hello").split("!")[0])
        help_value = reply["choices"][0]["value"]
        async with http.post(f"{served.url}/webchat/api/messages", headers={"Origin": served.origin},
                             json={"visitor": visitor, "type": "text", "text": help_value}) as response:
            [pressed] = (await response.json())["replies"]
    assert pressed["type"] == "reply" and pressed["text"] != reply["text"]


async def test_a_position_is_shared_from_the_page(bot: CivicBot):
    async with serving(bot) as served, Page.open(served) as page:
        await page.say("je veux signaler un probleme")
        reply = await page.share(47.2184, -1.5536)
    assert reply["type"] == "reply"


@pytest.mark.parametrize("frame", [
    "this is not json", "[1, 2, 3]", '{"type": "dance"}', '{"type": "text"}', '{"type": "text", "text": 42}',
    '{"type": "location", "latitude": "north", "longitude": 1}',
    '{"type": "location", "latitude": 91, "longitude": 0}',
    '{"type": "location", "latitude": NaN, "longitude": 0}',
    '{"type": "ack", "id": "all"}', '{"type": "ack", "id": -4}',
])
async def test_bad_frames_get_a_clear_answer_and_the_conversation_goes_on(bot: CivicBot, frame: str):
    async with serving(bot) as served, Page.open(served) as page:
        await page.socket.send_str(frame)
        error = await page.answer()
        assert error == {"type": "error", "code": "bad_frame", "text": text(bot, "webchat.bad_frame")}
        assert (await page.say("bonjour"))["type"] == "reply"


async def test_a_binary_frame_is_refused_clearly(bot: CivicBot):
    async with serving(bot) as served, Page.open(served, lang="en") as page:
        await page.socket.send_bytes(b"\x00\x01binary")
        error = await page.answer()
    assert error["code"] == "bad_frame" and error["text"] == text(bot, "webchat.bad_frame", "en")


async def test_an_empty_message_is_refused_clearly(bot: CivicBot):
    async with serving(bot) as served, Page.open(served) as page:
        error = await page.say("   ")
    assert error == {"type": "error", "code": "empty", "text": text(bot, "webchat.empty")}


@pytest.mark.parametrize("hello", [
    '{"type": "text", "text": "bonjour"}', '{"type": "hello", "visitor": "short"}',
    '{"type": "hello", "visitor": "../../etc/passwd-and-more-characters"}', "not json at all",
])
async def test_a_socket_without_a_proper_hello_is_closed_with_a_reason(bot: CivicBot, hello: str):
    async with (serving(bot) as served, aiohttp.ClientSession() as http,
                http.ws_connect(served.socket_url, origin=served.origin) as socket):
        await socket.send_str(hello)
        error = await socket.receive_json()
        closing = await socket.receive()
    assert error["type"] == "error" and error["text"] in (text(bot, "webchat.bad_frame"),
                                                          text(bot, "webchat.bad_visitor"))
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_a_message_over_the_limit_is_refused_with_the_limit(bot: CivicBot):
    limit = bot.settings.max_message_chars
    async with serving(bot) as served, Page.open(served) as page:
        error = await page.say("nid de poule " * (limit // 10))
        assert error == {"type": "error", "code": "too_long", "text": text(bot, "webchat.too_long", limit=limit)}
        assert (await page.say("x" * limit))["type"] == "reply", "exactly the limit is taken"


async def test_a_giant_frame_closes_the_socket_as_too_big(bot: CivicBot):
    async with serving(bot) as served, Page.open(served) as page:
        await page.socket.send_str('{"type": "text", "text": "' + "a" * 200_000 + '"}')
        closing = await page.socket.receive()
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def test_a_visitor_writing_too_fast_is_told_to_slow_down(bot: CivicBot):
    limit = bot.settings.flood_messages
    async with serving(bot) as served, Page.open(served) as page:
        answers = [await page.say(f"bonjour {number}") for number in range(limit + 3)]
    assert all(answer["type"] == "reply" for answer in answers[:limit])
    notice = bot.flood.notice("fr").text
    assert answers[limit:] == [{"type": "error", "code": "flood", "text": notice}] * 3


async def test_over_http_too_fast_is_a_429_with_the_notice(bot: CivicBot):
    visitor, limit = new_visitor(), bot.settings.flood_messages
    async with serving(bot) as served, aiohttp.ClientSession() as http:
        statuses = []
        for number in range(limit + 1):
            async with http.post(f"{served.url}/webchat/api/messages", headers={"Origin": served.origin},
                                 json={"visitor": visitor, "lang": "en", "type": "text",
                                       "text": f"hello {number}"}) as response:
                statuses.append(response.status)
                body = await response.json()
    assert statuses == [200] * limit + [429]
    assert body["error"]["text"] == bot.flood.notice("en").text


@pytest.mark.parametrize(("body", "status", "code"), [
    (b"{not json", 400, "bad_frame"),
    (b'"a string"', 400, "bad_frame"),
    (b'{"visitor": "tiny", "type": "text", "text": "bonjour"}', 400, "bad_visitor"),
    (b'{"type": "text", "text": "bonjour"}', 400, "bad_visitor"),
    (b"x" * 50_000, 413, "too_long"),
])
async def test_bad_http_requests_get_a_clear_answer(bot: CivicBot, body: bytes, status: int, code: str):
    async with serving(bot) as served, aiohttp.ClientSession() as http, http.post(
            f"{served.url}/webchat/api/messages", data=body,
            headers={"Origin": served.origin, "Content-Type": "application/json"}) as response:
        assert response.status == status
        error = (await response.json())["error"]
    assert error["code"] == code
    assert error["text"] == text(bot, f"webchat.{code}", limit=bot.settings.max_message_chars)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", None])
async def test_a_socket_from_another_origin_is_refused(bot: CivicBot, origin: str | None):
    async with serving(bot) as served, aiohttp.ClientSession() as http:
        headers = {} if origin is None else {"Origin": origin}
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(served.socket_url, headers=headers)
    assert refused.value.status == 403


@pytest.mark.parametrize("path", ["messages", "inbox", "forget"])
async def test_posts_from_another_origin_are_refused(bot: CivicBot, path: str):
    async with serving(bot) as served, aiohttp.ClientSession() as http, http.post(
            f"{served.url}/webchat/api/{path}", headers={"Origin": "https://evil.example"},
            json={"visitor": new_visitor(), "type": "text", "text": "bonjour"}) as response:
        assert response.status == 403
        assert (await response.json())["error"]["text"] == text(bot, "webchat.bad_origin")
    async with bot.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 0


async def test_an_allowed_site_may_open_the_socket(bot: CivicBot):
    bot.settings.webchat_allowed_origins = ["https://www.nantes.fr"]
    async with serving(bot) as served, Page.open(served, origin="https://www.nantes.fr") as page:
        assert (await page.say("bonjour"))["type"] == "reply"


async def test_forgetting_the_browser_erases_the_visitor(bot: CivicBot):
    visitor = new_visitor()
    async with serving(bot) as served:
        async with Page.open(served, visitor) as page:
            await page.say("bonjour")
            await served.connector.send(served.connector.chat_of(visitor),
                                        Reply("news"))
        async with aiohttp.ClientSession() as http, http.post(
                f"{served.url}/webchat/api/forget", headers={"Origin": served.origin},
                json={"visitor": visitor}) as response:
            assert response.status == 200
    async with bot.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 0
        assert (await session.execute(select(func.count()).select_from(HeldMessage))).scalar_one() == 0


async def test_the_data_export_arrives_as_a_file_to_download(bot: CivicBot):
    async with serving(bot) as served, Page.open(served) as page:
        await page.say("bonjour")
        reply = await page.say("quelles données avez-vous sur moi ?")
        if "document" not in reply:  # the bot may ask to confirm first
            reply = await page.say(reply["choices"][0]["value"])
    document = reply["document"]
    assert document["mime_type"] == "application/json"
    exported = json.loads(base64.b64decode(document["content"]))
    assert [user["platform"] for user in exported["users"]] == ["webchat"]


async def test_a_message_that_arrives_in_pieces_is_read_whole(bot: CivicBot):
    """A slow connection (or a proxy that streams) delivers the body in several chunks: the
    fallback reads all of it, not the first piece."""
    visitor = new_visitor()
    body = json.dumps({"visitor": visitor, "lang": "fr", "type": "text", "text": "bonjour"}).encode()

    async def pieces():
        yield body[:20]
        await asyncio.sleep(0.3)  # the second piece comes later, as on a slow mobile network
        yield body[20:]

    async with serving(bot) as served, aiohttp.ClientSession() as http, http.post(
            f"{served.url}/webchat/api/messages", data=pieces(),
            headers={"Origin": served.origin, "Content-Type": "application/json"}) as response:
        assert response.status == 200, await response.text()
        [reply] = (await response.json())["replies"]
    assert reply["text"].startswith(text(bot, "greet.hello").split("!")[0])



async def test_a_page_gone_right_after_its_hello_leaves_nothing_behind(bot: CivicBot,
                                                                       caplog: pytest.LogCaptureFixture):
    """A page closed (or a phone off the network) between its hello and the "ready": nothing of
    it stays among the open pages (the inbox would be watched for it forever), and no error."""
    async with serving(bot) as served:
        for _ in range(5):
            await hello_then_gone(served, new_visitor())
        async with Page.open(served) as page:  # the chat still answers
            assert (await page.say("bonjour"))["type"] == "reply"
        for _ in range(100):
            if not served.connector._pages_open:
                break
            await asyncio.sleep(0.05)
        assert not served.connector._pages_open
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
