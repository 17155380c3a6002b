"""Bearer tokens with scopes: stored hashed, revocable; 401/403 change nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.api import tokens
from bot.api.auth import TOKEN_KEY, require_scope
from bot.app import CivicBot
from bot.http import BOT_KEY


@pytest.fixture
async def client(bot: CivicBot):
    calls: list[str] = []

    @require_scope("publish")
    async def publish(request: web.Request) -> web.Response:
        calls.append(request[TOKEN_KEY].name)
        return web.json_response({"ok": True})

    app = web.Application()
    app[BOT_KEY] = bot
    app.router.add_post("/publish", publish)
    async with TestClient(TestServer(app)) as test_client:
        test_client.calls = calls
        yield test_client


async def make_token(bot: CivicBot, *scopes: str, name: str = "site") -> tuple[int, str]:
    async with bot.sessions() as session:
        row, secret = await tokens.create_token(session, name, scopes)
        await session.commit()
        return row.id, secret


async def test_token_is_stored_only_as_its_hash(bot: CivicBot) -> None:
    _, secret = await make_token(bot, "publish")
    async with bot.sessions() as session:
        row = (await session.execute(select(tokens.ApiToken))).scalar_one()
    assert secret.startswith(tokens.TOKEN_PREFIX) and len(secret) > 40
    assert row.token_hash == tokens.hash_token(secret) and secret not in row.token_hash
    assert row.scopes == ["publish"] and secret.startswith(row.prefix)


async def test_a_token_with_the_scope_passes_and_its_use_is_recorded(bot: CivicBot, client) -> None:
    _, secret = await make_token(bot, "publish", "read", name="website")
    response = await client.post("/publish", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200 and client.calls == ["website"]
    async with bot.sessions() as session:
        assert (await session.execute(select(tokens.ApiToken.last_used_at))).scalar_one() is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cvb_wrong", "Basic dXNlcjpwYXNz", "bearer  "])
async def test_missing_or_wrong_token_gets_401_and_the_handler_does_not_run(client, header) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await client.post("/publish", headers=headers)
    body = await response.json()
    assert response.status == 401 and body["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.calls == []


async def test_a_token_without_the_scope_gets_403(bot: CivicBot, client) -> None:
    _, secret = await make_token(bot, "polls")
    response = await client.post("/publish", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 403 and "publish" in (await response.json())["error"]["message"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert client.calls == []


async def test_a_revoked_token_stops_working(bot: CivicBot, client) -> None:
    token_id, secret = await make_token(bot, "publish")
    async with bot.sessions() as session:
        assert await tokens.revoke_token(session, token_id)
        assert not await tokens.revoke_token(session, token_id)  # once is enough
        assert not await tokens.revoke_token(session, token_id + 100)
        await session.commit()
    response = await client.post("/publish", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 401 and client.calls == []


def test_unknown_scopes_are_refused_with_the_known_ones() -> None:
    with pytest.raises(tokens.ScopeError, match="publish"):
        tokens.check_scopes(["pubish"])
    with pytest.raises(tokens.ScopeError):
        tokens.check_scopes([])
    with pytest.raises(tokens.ScopeError):
        require_scope("everything")
    assert tokens.check_scopes(["read", "publish", "read"]) == ["read", "publish"]


def civicbot(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "CIVICBOT_DATA_DIR": str(data_dir)}
    environ.pop("CIVICBOT_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=environ, timeout=120)


@pytest.mark.subprocess
def test_token_commands_create_list_and_revoke(tmp_path: Path) -> None:
    created = civicbot(tmp_path, "token", "create", "--scope", "publish", "--name", "city website")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith(tokens.TOKEN_PREFIX) and "only its hash" in created.stderr
    listed = civicbot(tmp_path, "token", "list")
    assert "city website" in listed.stdout and "publish" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout
    assert civicbot(tmp_path, "token", "revoke", "1").returncode == 0
    assert "revoked" in civicbot(tmp_path, "token", "list").stdout
    again = civicbot(tmp_path, "token", "revoke", "1")
    assert again.returncode != 0 and "no active token" in again.stderr
    bad = civicbot(tmp_path, "token", "create", "--scope", "everything")
    assert bad.returncode == 2 and "known scopes" in bad.stderr and "Traceback" not in bad.stderr
