"""Webhook mode: Telegram posts updates to civicbot's own HTTP server, which checks the secret
token and answers (acknowledges) an update only once the resident has been answered."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import CivicBot
from bot.config import ConfigError
from bot.http import create_app
from connectors.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramConnector
from tests.support.servers.telegram_api import TelegramApiServer
from tests.support.telegram import point_at

PUBLIC_URL = "https://civic.example.org/telegram/webhook"
SECRET = "le-secret_du-webhook-0123456789"


@pytest.fixture
async def webhook(bot: CivicBot, telegram_api: TelegramApiServer) -> AsyncIterator[TestClient]:
    """civicbot's HTTP server with the webhook of a started connector, and a client to it."""
    point_at(bot, telegram_api, telegram_mode="webhook", telegram_webhook_url=PUBLIC_URL,
             telegram_webhook_secret=SECRET)
    connector = TelegramConnector(bot)
    app = create_app(bot)
    connector.setup_routes(app)
    await connector.start()
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client
    await connector.stop()


async def test_start_registers_the_webhook_with_its_secret(
        webhook: TestClient, telegram_api: TelegramApiServer) -> None:
    assert telegram_api.webhook["url"] == PUBLIC_URL
    assert telegram_api.webhook["secret_token"] == SECRET
    assert telegram_api.webhook["allowed_updates"] == ["message", "callback_query"]
    assert telegram_api.calls_to("getUpdates") == []


async def test_an_update_with_the_secret_is_answered_before_it_is_acknowledged(
        webhook: TestClient, telegram_api: TelegramApiServer) -> None:
    update = {"update_id": 501, **telegram_api.message_update(3001, "bonjour")}
    response = await webhook.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    [reply] = telegram_api.sent_to(3001)  # already sent when the 200 came back
    assert "Bonjour" in reply.text

    press = {"update_id": 502, **telegram_api.callback_update(3001, reply.message_id, "/aide")}
    response = await webhook.post(WEBHOOK_PATH, json=press, headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    assert len(telegram_api.sent_to(3001)[-1].inline_buttons) >= 8
    assert len(telegram_api.answered_callbacks) == 1


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "not-the-secret"}, {SECRET_HEADER: ""},
                                     {SECRET_HEADER: SECRET + "x"}])
async def test_an_update_without_the_right_secret_is_refused(
        webhook: TestClient, telegram_api: TelegramApiServer, headers: dict) -> None:
    update = {"update_id": 503, **telegram_api.message_update(3002, "bonjour")}
    response = await webhook.post(WEBHOOK_PATH, json=update, headers=headers)
    assert response.status == 403
    assert "secret" in (await response.json())["error"]
    assert telegram_api.sent_to(3002) == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"no_update_id": true}',
                                  json.dumps({"update_id": "x", "message": 3}).encode(),
                                  b"\xff\xfe"])
async def test_a_body_that_is_not_an_update_gets_a_400(
        webhook: TestClient, telegram_api: TelegramApiServer, body: bytes) -> None:
    response = await webhook.post(WEBHOOK_PATH, data=body, headers={SECRET_HEADER: SECRET,
                                                                    "Content-Type": "application/json"})
    assert response.status == 400
    assert telegram_api.sent == []
    update = {"update_id": 504, **telegram_api.message_update(3003, "bonjour")}
    response = await webhook.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status == 200 and telegram_api.sent_to(3003)


async def test_without_a_configured_secret_one_is_generated(
        bot: CivicBot, telegram_api: TelegramApiServer) -> None:
    point_at(bot, telegram_api, telegram_mode="webhook", telegram_webhook_url=PUBLIC_URL)
    first, second = TelegramConnector(bot), TelegramConnector(bot)
    await first.start()
    try:
        assert len(first.webhook_secret) >= 32 and first.webhook_secret != second.webhook_secret
        assert telegram_api.webhook["secret_token"] == first.webhook_secret
    finally:
        await first.stop()


async def test_polling_mode_has_no_webhook_route(bot: CivicBot, telegram_api: TelegramApiServer) -> None:
    point_at(bot, telegram_api)
    app = create_app(bot)
    TelegramConnector(bot).setup_routes(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.post(WEBHOOK_PATH, json={}, headers={SECRET_HEADER: "x"})
        assert response.status == 404


def _mutations(value: object, path: tuple = ()) -> list[tuple[tuple, object]]:
    """Every (path, replacement) that swaps one field of ``value`` for a value of another type."""
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _mutations(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _mutations(inner, (*path, index))
    if path:
        found += [(path, other) for other in (None, "x" * 5000, -1, 2 ** 70, [], {"a": [1]}, True)
                  if type(other) is not type(value)]
    return found


def _replaced(value: object, path: tuple, replacement: object) -> object:
    if not path:
        return replacement
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], replacement)
    return copy


async def test_malformed_updates_never_break_the_webhook(
        bot: CivicBot, webhook: TestClient, telegram_api: TelegramApiServer) -> None:
    valid = {"update_id": 600, **telegram_api.message_update(3004, "/start aide")}
    statuses = set()
    for number, (path, replacement) in enumerate(_mutations(valid)):
        # each from a resident of its own: one chat's replies are paced a second apart
        resident = telegram_api.message_update(5000 + number, "/start aide")
        body = _replaced({"update_id": 601 + number, **resident}, path, replacement)
        response = await webhook.post(WEBHOOK_PATH, json=body, headers={SECRET_HEADER: SECRET})
        statuses.add(response.status)
    assert statuses <= {200, 400} and 400 in statuses
    response = await webhook.post(WEBHOOK_PATH, json={**valid, "update_id": 599},
                                  headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    assert len(telegram_api.sent_to(3004)[-1].inline_buttons) >= 8


async def test_a_webhook_telegram_refuses_is_a_clear_error(
        bot: CivicBot, telegram_api: TelegramApiServer) -> None:
    point_at(bot, telegram_api, telegram_mode="webhook", telegram_webhook_url=PUBLIC_URL)
    telegram_api.fail("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")
    connector = TelegramConnector(bot)
    with pytest.raises(ConfigError, match="(?i)refused to set the webhook: bad webhook: failed to resolve"):
        await connector.start()
    await connector.stop()
