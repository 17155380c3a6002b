"""A throwaway Synapse homeserver on loopback, for the Matrix tests and benchmark.

    server = Synapse(tmp_dir)
    server.start()                       # generated config, SQLite, free port on 127.0.0.1
    user_id = await server.register("alice", "secret")
    ...
    server.stop()

No federation (no federation listener, an empty federation whitelist, no trusted key servers),
every client rate limit raised far above what the tests do, and users registered through the
admin API with the shared secret (HMAC), so nothing but 127.0.0.1 is ever contacted.

It starts in about two seconds here (schema creation on a new SQLite file included).
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import hashlib
import hmac
import importlib.util
import io
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessage,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)

from bot.app import CivicBot
from connectors.matrix import MatrixConnector
from tests.support.network import free_port

SERVER_NAME = "civicbot.test"
# The wait polls: the limit only tells a hung start from a slow one. Beside other test workers on
# a loaded machine (load average 14 on 2 cores) a start took more than 90 s.
START_TIMEOUT = 300.0
PR_SET_PDEATHSIG = 1
_RAISED = {"per_second": 10_000, "burst_count": 100_000}
RAISED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _RAISED,
    "rc_registration": _RAISED,
    "rc_login": {"address": _RAISED, "account": _RAISED, "failed_attempts": _RAISED},
    "rc_joins": {"local": _RAISED, "remote": _RAISED},
    "rc_joins_per_room": _RAISED,
    "rc_invites": {"per_room": _RAISED, "per_user": _RAISED, "per_issuer": _RAISED},
    "rc_room_creation": _RAISED,
    "rc_media_create": _RAISED,
    "rc_key_requests": _RAISED,
    "rc_presence": {"per_user": _RAISED},
    "rc_profile": _RAISED,
}


def synapse_missing_reason() -> str | None:
    """Why Synapse cannot run here, or None when it can."""
    if importlib.util.find_spec("synapse") is None:
        return "matrix-synapse is not installed (pip install -e '.[test]')"
    return None



class Synapse:
    """One Synapse process with its generated configuration in ``directory``."""

    def __init__(self, directory: Path, server_name: str = SERVER_NAME) -> None:
        self.directory = directory
        self.server_name = server_name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None
        self.start_seconds = 0.0

    @property
    def log_path(self) -> Path:
        return self.directory / "homeserver.log"

    @property
    def database_path(self) -> Path:
        return self.directory / "homeserver.db"

    def write_config(self) -> Path:
        from signedjson.key import generate_signing_key, write_signing_keys

        self.directory.mkdir(parents=True, exist_ok=True)
        key_path = self.directory / "signing.key"
        with key_path.open("w") as key_file:
            write_signing_keys(key_file, [generate_signing_key("a")])
        log_config = self.directory / "log.yaml"
        log_config.write_text(yaml.safe_dump({
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"file": {"class": "logging.FileHandler", "formatter": "plain",
                                  "filename": str(self.log_path)}},
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }))
        config = {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "pid_file": str(self.directory / "homeserver.pid"),
            "listeners": [{
                "port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http",
                "tls": False, "x_forwarded": False,
                "resources": [{"names": ["client", "media"], "compress": False}],
            }],
            "database": {"name": "sqlite3", "args": {"database": str(self.database_path)}},
            "log_config": str(log_config),
            "media_store_path": str(self.directory / "media"),
            "signing_key_path": str(key_path),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "report_stats": False,
            "enable_metrics": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "enable_registration": False,
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            **RAISED_RATE_LIMITS,
        }
        path = self.directory / "homeserver.yaml"
        path.write_text(yaml.safe_dump(config))
        return path

    def start(self) -> float:
        """Start the server and wait until it answers; returns how many seconds it took."""
        began = time.monotonic()
        config = self.write_config()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=self.directory, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        log.close()
        try:
            self._wait_until_ready(began + START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        return self.start_seconds

    def _wait_until_ready(self, deadline: float) -> None:
        url = f"{self.base_url}/_matrix/client/versions"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited at start-up; see {self.log_path}:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"Synapse did not answer within {START_TIMEOUT:.0f}s; see {self.log_path}")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); safe to call twice."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    # Users

    async def register(self, localpart: str, password: str, admin: bool = False) -> str:
        """Create a user with the shared secret (admin API); returns the full user id."""
        url = f"{self.base_url}/_synapse/admin/v1/register"
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                nonce = (await response.json())["nonce"]
            body = {"nonce": nonce, "username": localpart, "password": password,
                    "admin": admin, "mac": registration_mac(self.shared_secret, nonce,
                                                            localpart, password, admin)}
            async with http.post(url, json=body) as response:
                answer = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"registering {localpart}: {answer}")
                return answer["user_id"]

    async def login_token(self, user_id: str, password: str) -> str:
        """An access token for ``user_id`` (a new device)."""
        body = {"type": "m.login.password", "password": password,
                "identifier": {"type": "m.id.user", "user": user_id}}
        async with (aiohttp.ClientSession() as http,
                    http.post(f"{self.base_url}/_matrix/client/v3/login", json=body) as response):
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"login of {user_id}: {answer}")
            return answer["access_token"]

    async def set_rate_limit(self, admin_token: str, user_id: str,
                             messages_per_second: int, burst_count: int) -> None:
        """Override one user's message rate limit (admin API)."""
        url = f"{self.base_url}/_synapse/admin/v1/users/{user_id}/override_ratelimit"
        body = {"messages_per_second": messages_per_second, "burst_count": burst_count}
        async with aiohttp.ClientSession() as http, http.post(url, json=body,
                             headers={"Authorization": f"Bearer {admin_token}"}) as response:
            if response.status != 200:
                raise RuntimeError(f"rate limit override: {await response.text()}")


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it if the test process dies, so that a
    killed test run never leaves a homeserver behind."""
    with contextlib.suppress(OSError):  # not Linux: stop() and the fixture's teardown remain
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def registration_mac(secret: str, nonce: str, localpart: str, password: str,
                               admin: bool) -> str:
    """The registration MAC: HMAC-SHA1 over the NUL-separated fields (no trailing NUL)."""
    fields = [nonce, localpart, password, "admin" if admin else "notadmin"]
    return hmac.new(secret.encode(), "\x00".join(fields).encode(), hashlib.sha1).hexdigest()



class BotAccount:
    """The bot's account on the test server, and its connector as a test starts and stops it."""

    def __init__(self, bot: CivicBot, server: Synapse) -> None:
        self.bot = bot
        self.server = server
        self.password = secrets.token_hex(8)
        self.user_id = ""
        self.connector: MatrixConnector | None = None

    async def register(self, localpart: str = "") -> BotAccount:
        self.user_id = await self.server.register(localpart or f"civicbot-{secrets.token_hex(4)}",
                                                  self.password)
        return self

    async def start(self, encryption: bool = True, homeserver: str = "",
                    **settings: Any) -> MatrixConnector:
        """Point the bot's settings at this account (and ``settings``), and start a connector."""
        account = {"matrix_homeserver": homeserver or self.server.base_url,
                   "matrix_user_id": self.user_id, "matrix_password": self.password}
        self.bot.settings = dataclasses.replace(self.bot.settings, **{**account, **settings})
        self.connector = MatrixConnector(self.bot, encryption=encryption)
        await self.connector.start()
        return self.connector

    async def stop(self) -> None:
        if self.connector is not None:
            await self.connector.stop()
            self.connector = None


class Resident:
    """A resident's own Matrix client (matrix-nio), driven step by step by a test.

    Nothing runs in the background: each wait syncs until what is awaited arrives, doing the
    encryption chores (key upload, query, claim) between syncs as matrix-nio's own loop would.
    """

    def __init__(self, server: Synapse, localpart: str, store: Path | None = None) -> None:
        self.server = server
        self.localpart = localpart
        self.password = secrets.token_hex(8)
        config = AsyncClientConfig(encryption_enabled=store is not None, store_sync_tokens=False)
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(server.base_url, store_path=str(store or ""), config=config)
        self.room_id = ""

    @property
    def user_id(self) -> str:
        return self.client.user_id

    async def open(self) -> Resident:
        """Register, log in and sync once."""
        self.client.user = await self.server.register(self.localpart, self.password)
        response = await self.client.login(self.password, device_name="resident")
        assert isinstance(response, LoginResponse), response
        await self._sync(0)
        return self

    async def close(self) -> None:
        await self.client.close()

    async def invite(self, bot_user_id: str, encrypted: bool = False, direct: bool = True) -> str:
        """Create a room that invites the bot (a direct chat unless told otherwise)."""
        state = [{"type": "m.room.encryption", "state_key": "",
                  "content": {"algorithm": "m.megolm.v1.aes-sha2"}}] if encrypted else []
        response = await self.client.room_create(is_direct=direct, invite=[bot_user_id],
                                                 initial_state=state)
        assert isinstance(response, RoomCreateResponse), response
        self.room_id = response.room_id
        return self.room_id

    async def open_chat(self, account: BotAccount, encrypted: bool = False) -> str:
        """Invite the bot to a new direct chat; return once it joined and its connector knows
        the room."""
        room_id = await self.invite(account.user_id, encrypted=encrypted)
        assert await self.membership_of(account.user_id) == "join"
        for _ in range(100):
            if account.connector is not None and room_id in account.connector.client.rooms:
                return room_id
            await asyncio.sleep(0.1)
        raise AssertionError("the connector did not see the room it joined")

    async def membership_of(self, user_id: str, timeout: float = 30.0) -> str:
        """Wait until ``user_id`` joins or leaves the room; returns "join" or "leave"."""
        events = await self.collect(
            lambda event: isinstance(event, RoomMemberEvent) and event.state_key == user_id
            and event.membership in ("join", "leave"), timeout=timeout)
        return events[0].membership

    async def say(self, text: str) -> None:
        await self.send({"msgtype": "m.text", "body": text})

    async def send(self, content: dict[str, Any]) -> None:
        await self._chores()
        response = await self.client.room_send(self.room_id, "m.room.message", content,
                                               ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response

    async def upload(self, data: bytes, mime_type: str, filename: str) -> str:
        response, _keys = await self.client.upload(io.BytesIO(data), content_type=mime_type,
                                                   filename=filename, filesize=len(data))
        assert isinstance(response, UploadResponse), response
        return response.content_uri

    async def replies(self, sender: str, count: int = 1, timeout: float = 30.0,
                      strict: bool = True) -> list[Any]:
        """The next ``count`` messages of ``sender`` in the room (decrypted when encrypted)."""
        return await self.collect(
            lambda event: getattr(event, "sender", None) == sender
            and isinstance(event, (RoomMessage, MegolmEvent)), count, timeout, strict)

    async def collect(self, wanted: Callable[[Any], bool], count: int = 1,
                      timeout: float = 30.0, strict: bool = True) -> list[Any]:
        """Sync until ``count`` room events satisfy ``wanted``; at the deadline, raise (or with
        ``strict=False`` return what was found)."""
        found: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if strict:
                    raise AssertionError(f"waited {timeout:.0f}s for {count} event(s), got {len(found)}")
                return found
            found += [event for event in await self._sync(min(remaining, 1.0)) if wanted(event)]
        return found

    async def _sync(self, wait: float) -> list[Any]:
        await self._chores()
        response = await self.client.sync(timeout=int(wait * 1000))
        assert isinstance(response, SyncResponse), response
        rooms = {**response.rooms.join, **response.rooms.leave}
        info = rooms.get(self.room_id)
        return info.timeline.events if info else []

    async def _chores(self) -> None:
        client = self.client
        if client.olm is None:
            return
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()


class FlakyProxy:
    """A loopback HTTP proxy in front of the homeserver that can be told to fail: answer
    ``502 Bad Gateway`` or drop the connection, for the next N requests whose path contains
    a given text."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.failures = 0
        self.mode = "502"
        self.match = ""
        self.failed = 0
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    def fail_next(self, count: int, mode: str = "502", match: str = "") -> None:
        self.failures, self.mode, self.match = count, mode, match

    async def start(self) -> FlakyProxy:
        self._http = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self.failures > 0 and self.match in request.path:
            self.failures -= 1
            self.failed += 1
            if self.mode == "drop":
                request.transport.close()
            return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in ("host", "content-length")}
        async with self._http.request(request.method, self.upstream + request.path_qs,
                                      headers=headers, data=await request.read()) as answer:
            body = await answer.read()
            passed = {name: value for name, value in answer.headers.items()
                      if name.lower() in ("content-type", "content-disposition")}
            return web.Response(status=answer.status, body=body, headers=passed)
