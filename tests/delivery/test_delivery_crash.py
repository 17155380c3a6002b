"""Crash safety: ``civicbot serve`` killed with SIGKILL in the middle of a broadcast, started
again: every recipient gets the publication, and at most one message per sender that was in
flight at the kill is repeated (Telegram has no idempotency key; see
docs/operate/publications-and-delivery.md, "Guarantees")."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.features import create_bot
from tests.support.delivery import add_subscribers, publish
from tests.support.network import free_port
from tests.support.servers.telegram_api import RateLimits, TelegramApiServer

pytestmark = pytest.mark.subprocess

RECIPIENTS = 240  # 8 s at Telegram's 30 messages/s
SENDERS = 8  # delivery_concurrency


@pytest.fixture
async def limited_api() -> AsyncIterator[TelegramApiServer]:
    async with TelegramApiServer(limits=RateLimits(), record=False) as server:
        yield server


async def serve(settings: Settings, server: TelegramApiServer) -> asyncio.subprocess.Process:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CIVICBOT_")}
    environment.update({
        "CIVICBOT_DATA_DIR": str(settings.data_dir), "CIVICBOT_DATABASE_URL": settings.database_url,
        "CIVICBOT_SECRET": settings.secret, "CIVICBOT_HTTP_PORT": str(free_port()),
        "CIVICBOT_CONFIG": str(Path(settings.data_dir) / "absent.toml"),
        "CIVICBOT_TELEGRAM_TOKEN": server.token, "CIVICBOT_TELEGRAM_BASE_URL": server.base_url,
        "CIVICBOT_DELIVERY_CONCURRENCY": str(SENDERS), "CIVICBOT_DELIVERY_LEASE_SECONDS": "4",
    })
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=environment,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def test_sigkill_mid_broadcast_then_restart_delivers_to_everyone_once(
        settings: Settings, limited_api: TelegramApiServer) -> None:
    bot = await create_bot(settings)
    chats = [str(9000 + n) for n in range(RECIPIENTS)]
    try:
        async with bot.sessions() as session:
            await add_subscribers(session, chats)
        assert (await publish(bot)).targeted == RECIPIENTS
    finally:
        await bot.close()

    first = await serve(settings, limited_api)
    try:
        await limited_api.wait_until(lambda: limited_api.stats.delivered >= RECIPIENTS // 3, timeout=90)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    at_kill = limited_api.stats.delivered
    assert first.returncode == -signal.SIGKILL and at_kill < RECIPIENTS

    second = await serve(settings, limited_api)
    try:
        await limited_api.wait_until(lambda: len(limited_api.stats.by_chat) == RECIPIENTS, timeout=120)
        await asyncio.sleep(1.0)  # anything sent twice would show now
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(second.communicate(), 60)
    assert second.returncode == 0, stderr.decode()[-2000:]
    counts = limited_api.stats.by_chat
    assert set(counts) == set(chats)  # nobody lost
    repeated = sum(count - 1 for count in counts.values())
    print(f"delivered {at_kill} before the kill; {repeated} repeated after the restart")
    assert repeated <= SENDERS  # at most the sends in flight at the kill
    assert limited_api.stats.rejected_429 == 0

    bot = await create_bot(settings)
    try:
        async with bot.sessions() as session:
            from bot.publications import service
            progress = (await service.find(session, 1)).progress
        assert progress.sent == RECIPIENTS and progress.pending == 0
    finally:
        await bot.close()
