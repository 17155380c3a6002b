"""The loopback Bot API's flood control, which delivery benchmarks rely on: it must refuse
exactly what exceeds Telegram's limits, say when to retry, and count what it delivered."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.support.servers.telegram_api import ApiError, FloodControl, RateLimits, TelegramApiServer


async def _send(session: aiohttp.ClientSession, server: TelegramApiServer, chat_id: int,
                **extra: object) -> dict:
    url = f"{server.base_url}{server.token}/sendMessage"
    async with session.post(url, data={"chat_id": str(chat_id), "text": "publication", **extra}) as response:
        return await response.json()


class FrozenClock:
    """Flood control's time, moved only by the test: counting a window's messages must not
    depend on how fast this machine sends them."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_the_global_limit_refuses_the_31st_message_of_a_second(session) -> None:
    clock = FrozenClock()
    async with TelegramApiServer(limits=RateLimits(per_chat_per_second=None), clock=clock) as server:
        answers = [await _send(session, server, chat) for chat in range(1, 41)]
        refused = [answer for answer in answers if not answer["ok"]]
        assert len(refused) == 10 and all(answer["ok"] for answer in answers[:30])
        assert refused[0]["error_code"] == 429 and refused[0]["parameters"]["retry_after"] == 1
        assert server.stats.delivered == 30 and server.stats.rejected_429 == 10
        clock.now += 1.0
        assert (await _send(session, server, 99))["ok"]


async def test_one_message_per_second_in_a_chat(session) -> None:
    clock = FrozenClock()
    async with TelegramApiServer(limits=RateLimits(), clock=clock) as server:
        assert (await _send(session, server, 5))["ok"]
        second = await _send(session, server, 5)
        assert second["error_code"] == 429 and second["parameters"]["retry_after"] == 1
        assert (await _send(session, server, 6))["ok"]  # another chat is not held back
        clock.now += 1.0
        assert (await _send(session, server, 5))["ok"]
        assert server.stats.by_chat == {"5": 2, "6": 1}


async def test_twenty_messages_a_minute_in_a_group(session) -> None:
    async with TelegramApiServer(limits=RateLimits(per_chat_per_second=None), clock=FrozenClock()) as server:
        answers = [await _send(session, server, -100500) for _ in range(21)]
        assert all(answer["ok"] for answer in answers[:20])
        assert answers[20]["error_code"] == 429 and 58 <= answers[20]["parameters"]["retry_after"] <= 60
        assert (await _send(session, server, 500))["ok"]  # private chats are not group-limited


async def test_paid_broadcasts_have_their_own_limit(session) -> None:
    limits = RateLimits(per_chat_per_second=None, paid_per_second=100)
    async with TelegramApiServer(limits=limits, clock=FrozenClock()) as server:
        paid = [await _send(session, server, chat, allow_paid_broadcast="true") for chat in range(1, 102)]
        assert sum(answer["ok"] for answer in paid) == 100
        assert (await _send(session, server, 1000))["ok"]  # the free limit is untouched


async def test_a_sender_that_keeps_under_the_limit_is_never_refused(session) -> None:
    async with TelegramApiServer(limits=RateLimits(), record=False) as server:
        started = time.monotonic()
        for chat in range(1, 51):
            assert (await _send(session, server, chat))["ok"]
            await asyncio.sleep(1 / 25)
        elapsed = time.monotonic() - started
        assert server.stats.rejected_429 == 0 and server.stats.delivered == 50
        assert server.sent == [] and 0 < server.stats.rate() <= 25.5 and elapsed >= 2.0


def test_flood_control_windows_slide() -> None:
    flood = FloodControl(RateLimits(global_per_second=3, per_chat_per_second=None))
    for moment in (0.0, 0.1, 0.2):
        flood.check(str(moment), False, moment)
    with pytest.raises(ApiError) as refused:
        flood.check("x", False, 0.99)
    assert refused.value.parameters == {"retry_after": 1}
    flood.check("x", False, 1.01)  # the send at 0.0 left the window
    with pytest.raises(ApiError):
        flood.check("y", False, 1.05)
    flood.check("y", False, 1.11)


async def test_unknown_methods_and_wrong_tokens_are_refused(session) -> None:
    async with TelegramApiServer() as server:
        async with session.post(f"{server.base_url}{server.token}/sendSticker") as response:
            assert response.status == 404
        async with session.post(f"{server.base_url}999:nope/getMe") as response:
            assert response.status == 401
        async with session.get(f"http://127.0.0.1:{server.port}/stats") as response:
            assert (await response.json())["delivered"] == 0


async def test_updates_can_be_queued_over_http(session) -> None:
    async with TelegramApiServer() as server:
        async with session.post(f"http://127.0.0.1:{server.port}/updates",
                                json={"chat_id": 42, "text": "bonjour"}) as response:
            assert (await response.json()) == {"update_id": 1}
        async with session.post(f"http://127.0.0.1:{server.port}/updates", json={"chat": 1}) as response:
            assert response.status == 400
        async with session.get(f"{server.base_url}{server.token}/getUpdates") as response:
            [update] = (await response.json())["result"]
        assert update["message"]["text"] == "bonjour" and update["message"]["chat"]["id"] == 42
