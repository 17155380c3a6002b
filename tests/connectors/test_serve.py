"""``civicbot serve``: the configured connectors with the HTTP server and background services,
and a clean stop on SIGTERM/SIGINT that loses no acknowledged message."""
from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot import serve as serve_module
from bot.config import Settings
from bot.feature import Feature, Service
from bot.features import FEATURES
from connectors import registry
from connectors.telegram import SECRET_HEADER, WEBHOOK_PATH
from tests.support.network import free_port, until_answers
from tests.support.servers.telegram_api import TelegramApiServer

# How long serve may take to start or to end when that is not what a test checks (the start
# includes imports): only a hang fails. Beside other test workers on a loaded machine (load average
# 14 on 2 cores) a start took more than 60 s. What a test times keeps its own limit (SIGINT: 10 s).
CHILD_SECONDS = 300

SERVICE_EVENTS: list[str] = []


async def recording_service(bot, stop: asyncio.Event) -> None:
    """A background service for the tests: notes when it ran, whether Telegram was up and
    whether the start-up heap was left out of the garbage collector's passes."""
    SERVICE_EVENTS.append(f"started with telegram={registry.running('telegram') is not None}")
    SERVICE_EVENTS.append(f"start-up heap frozen={gc.get_freeze_count() > 10_000}")
    await stop.wait()
    SERVICE_EVENTS.append("stopped")


async def failing_service(bot, stop: asyncio.Event) -> None:
    raise RuntimeError("this service is broken")


def _with_services(*services: Service) -> tuple[Feature, ...]:
    """The application's features, their services of every process (the delivery) replaced by
    ``services``."""
    return (*(dataclasses.replace(feature, services=()) for feature in FEATURES),
            Feature("recording", services=services))


def _telegram_settings(settings: Settings, server: TelegramApiServer, **extra: object) -> Settings:
    settings.telegram_token = server.token
    settings.telegram_base_url = server.base_url
    settings.http_port = free_port()
    for name, value in extra.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _until_healthy(port: int, task: asyncio.Task | None = None) -> None:
    def still_running() -> None:
        if task is not None and task.done():
            task.result()  # raises what stopped it

    await until_answers(f"http://127.0.0.1:{port}/healthz", still_running, timeout=CHILD_SECONDS)


def test_configured_connectors_follow_the_credentials() -> None:
    assert registry.configured_connectors(Settings()) == []
    assert registry.configured_connectors(Settings(telegram_token="1:a")) == ["telegram"]
    matrix = {"matrix_homeserver": "https://matrix.example", "matrix_user_id": "@bot:example"}
    assert registry.configured_connectors(Settings(**matrix)) == []
    assert registry.configured_connectors(Settings(**matrix, matrix_access_token="t")) == ["matrix"]
    both = Settings(telegram_token="1:a", **matrix, matrix_password="p")
    assert registry.configured_connectors(both) == ["telegram", "matrix"]


async def test_serve_runs_polling_with_the_http_server_and_services(
        settings: Settings, telegram_api: TelegramApiServer, http: aiohttp.ClientSession) -> None:
    SERVICE_EVENTS.clear()
    _telegram_settings(settings, telegram_api)
    stop = asyncio.Event()
    task = asyncio.create_task(serve_module.serve(settings, stop, _with_services(recording_service, failing_service)))
    await _until_healthy(settings.http_port, task)
    update_id = telegram_api.say(4001, "bonjour")
    assert "Bonjour" in (await telegram_api.next_message(4001)).text
    assert registry.running("telegram") is not None
    async with http.get(f"http://127.0.0.1:{settings.http_port}/readyz") as response:
        assert response.status == 200  # connectors started, database and migrations current
    stop.set()
    await asyncio.wait_for(task, 30)
    assert telegram_api.confirmed_offset == update_id + 1
    assert SERVICE_EVENTS == ["started with telegram=True", "start-up heap frozen=True", "stopped"]
    assert gc.get_freeze_count() == 0  # given back to the collector
    assert registry.running("telegram") is None


async def test_serve_takes_webhook_updates_on_its_http_server(
        settings: Settings, telegram_api: TelegramApiServer, http: aiohttp.ClientSession) -> None:
    _telegram_settings(settings, telegram_api, telegram_mode="webhook", telegram_webhook_secret="s3cret",
                       telegram_webhook_url="https://civic.example.org/telegram/webhook")
    stop = asyncio.Event()
    task = asyncio.create_task(serve_module.serve(settings, stop))
    try:
        await _until_healthy(settings.http_port, task)
        await telegram_api.wait_until(lambda: telegram_api.webhook is not None)
        url = f"http://127.0.0.1:{settings.http_port}{WEBHOOK_PATH}"
        update = {"update_id": 9, **telegram_api.message_update(4002, "/aide")}
        async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret"}) as response:
            assert response.status == 200
        assert len(telegram_api.sent_to(4002)[0].inline_buttons) >= 8
        async with http.post(url, json=update) as response:
            assert response.status == 403
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert telegram_api.calls_to("getUpdates") == []


def _environment(settings: Settings, **values: str) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CIVICBOT_")}
    environment.update({
        "CIVICBOT_DATA_DIR": str(settings.data_dir), "CIVICBOT_DATABASE_URL": settings.database_url,
        "CIVICBOT_SECRET": settings.secret, "CIVICBOT_HTTP_PORT": str(free_port()),
        "CIVICBOT_CONFIG": str(Path(settings.data_dir) / "absent.toml"), **values,
    })
    return environment


async def _civicbot(*arguments: str, environment: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bot.cli import main; main()", *arguments, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@asynccontextmanager
async def _serving(settings: Settings, server: TelegramApiServer) -> AsyncIterator[asyncio.subprocess.Process]:
    """``civicbot serve`` in a subprocess, polling ``server``; killed if a test leaves it running."""
    environment = _environment(settings, CIVICBOT_TELEGRAM_TOKEN=server.token,
                               CIVICBOT_TELEGRAM_BASE_URL=server.base_url)
    process = await _civicbot("serve", environment=environment)
    try:
        await server.wait_until(lambda: server.received["getUpdates"] > 0, timeout=CHILD_SECONDS)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.subprocess
async def test_sigterm_finishes_the_reply_in_hand_then_confirms_and_exits(
        settings: Settings, telegram_api: TelegramApiServer) -> None:
    async with _serving(settings, telegram_api) as process:
        first = telegram_api.say(4003, "bonjour")
        assert "Bonjour" in (await telegram_api.next_message(4003, timeout=20)).text

        telegram_api.delays["sendMessage"] = 2.0  # the next reply is slow to go out
        second = telegram_api.say(4003, "/aide")
        await telegram_api.wait_until(lambda: telegram_api.received["sendMessage"] == 2, timeout=20)
        process.send_signal(signal.SIGTERM)  # while that reply is on its way
        _, stderr = await asyncio.wait_for(process.communicate(), CHILD_SECONDS)
    assert process.returncode == 0, stderr.decode()
    assert len(telegram_api.sent_to(4003)) == 2  # the reply in hand was delivered
    assert telegram_api.confirmed_offset == second + 1 > first
    assert b"Traceback" not in stderr and b"bonjour" not in stderr


@pytest.mark.subprocess
async def test_sigint_while_idle_stops_promptly(settings: Settings, telegram_api: TelegramApiServer) -> None:
    async with _serving(settings, telegram_api) as process:
        process.send_signal(signal.SIGINT)  # in the middle of a 30-second long poll
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()


@pytest.mark.subprocess
async def test_a_refused_token_is_a_clear_error(settings: Settings, telegram_api: TelegramApiServer) -> None:
    environment = _environment(settings, CIVICBOT_TELEGRAM_TOKEN="42:revoked",
                               CIVICBOT_TELEGRAM_BASE_URL=telegram_api.base_url)
    process = await _civicbot("serve", environment=environment)
    _, stderr = await asyncio.wait_for(process.communicate(), CHILD_SECONDS)
    assert process.returncode == 1
    assert b"Error: the telegram connector could not start: setting 'telegram_token'" in stderr
    assert b"Traceback" not in stderr


async def test_serve_runs_without_a_chat_connector(
        settings: Settings, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture) -> None:
    """A city tries the API and the console on a laptop: no Telegram, no Matrix."""
    SERVICE_EVENTS.clear()
    settings.http_port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(serve_module.serve(settings, stop, _with_services(recording_service)))
    try:
        await _until_healthy(settings.http_port, task)
        async with http.get(f"http://127.0.0.1:{settings.http_port}/api/v1/polls") as response:
            assert response.status == 401  # the API is there, and wants a token
        await asyncio.sleep(0.2)
        assert SERVICE_EVENTS == ["started with telegram=False", "start-up heap frozen=True"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert "no chat platform is configured" in caplog.text


@pytest.mark.subprocess
async def test_without_a_connector_serve_says_so_and_serves(settings: Settings,
                                                              http: aiohttp.ClientSession) -> None:
    environment = _environment(settings)
    process = await _civicbot("serve", environment=environment)
    try:
        await _until_healthy(int(environment["CIVICBOT_HTTP_PORT"]))
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), CHILD_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"no chat platform is configured" in stderr and b"Traceback" not in stderr


@pytest.mark.subprocess
async def test_a_bad_telegram_mode_is_named(settings: Settings) -> None:
    process = await _civicbot("serve", environment=_environment(
        settings, CIVICBOT_TELEGRAM_TOKEN="1:a", CIVICBOT_TELEGRAM_MODE="carrier-pigeon"))
    _, stderr = await asyncio.wait_for(process.communicate(), CHILD_SECONDS)
    assert process.returncode == 1 and b"setting 'telegram_mode'" in stderr
    assert b"Traceback" not in stderr
