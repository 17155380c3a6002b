"""The web chat for tests: served on a loopback port with the project's HTTP app, and a visitor's
page played with aiohttp's client (a WebSocket, or the plain HTTP fallback)."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.app import CivicBot
from bot.http import create_app
from connectors.webchat import WebChatConnector
from tests.support.network import on_loopback

FRAME_SECONDS = 30.0  # how long a test waits for a frame before failing


@dataclass
class Site:
    """Where the web chat answers."""

    url: str

    @property
    def origin(self) -> str:
        return self.url

    @property
    def socket_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/webchat/socket"


@dataclass
class Served(Site):
    connector: WebChatConnector


@contextlib.asynccontextmanager
async def serving(bot: CivicBot) -> AsyncIterator[Served]:
    """The web chat mounted as ``civicbot serve`` mounts it, on a free loopback port."""
    connector = WebChatConnector(bot)
    app = create_app(bot)
    connector.setup_routes(app)
    async with on_loopback(app) as url:
        await connector.start()
        try:
            yield Served(url, connector)
        finally:
            await connector.stop()


def new_visitor() -> str:
    """An id like the ones the widget makes (24 random bytes, base64url)."""
    return secrets.token_urlsafe(24)


async def hello_then_gone(site: Site, visitor: str) -> None:
    """A page that says hello and vanishes at once (its connection reset), before the chat can
    answer "ready": spoken byte by byte, since a client library would close politely."""
    url = urlsplit(site.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /webchat/socket HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: {site.origin}\r\n\r\n").encode())
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")  # 101 Switching Protocols
    payload = json.dumps({"type": "hello", "visitor": visitor, "lang": "fr"}).encode()
    mask = os.urandom(4)  # a client's frame is masked (RFC 6455); the payload is under 126 bytes
    writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(byte ^ mask[index % 4]
                                                                   for index, byte in enumerate(payload)))
    writer.transport.abort()


class Page:
    """One visitor's open page over the WebSocket."""

    def __init__(self, http: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse,
                 visitor: str) -> None:
        self.http = http
        self.socket = socket
        self.visitor = visitor

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, served: Site, visitor: str | None = None, lang: str = "fr",
                   origin: str | None = None) -> AsyncIterator[Page]:
        visitor = visitor or new_visitor()
        async with (aiohttp.ClientSession() as http,
                    http.ws_connect(served.socket_url, origin=origin or served.origin) as socket):
            await socket.send_json({"type": "hello", "visitor": visitor, "lang": lang})
            page = cls(http, socket, visitor)
            assert (await page.frame())["type"] == "ready"
            yield page

    async def frame(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.socket.receive_json(), FRAME_SECONDS)

    async def say(self, text: str) -> dict[str, Any]:
        """Send a text and return the frame that answers it (a reply or an error)."""
        await self.socket.send_json({"type": "text", "text": text})
        return await self.answer()

    async def press(self, frame: dict[str, Any], label: str) -> dict[str, Any]:
        """Press the button labelled ``label`` of a reply: the page sends its value."""
        values = {choice["label"]: choice["value"] for choice in frame["choices"]}
        assert label in values, f"no choice {label!r} in {sorted(values)}"
        return await self.say(values[label])

    async def share(self, latitude: float, longitude: float) -> dict[str, Any]:
        await self.socket.send_json({"type": "location", "latitude": latitude, "longitude": longitude})
        return await self.answer()

    async def answer(self) -> dict[str, Any]:
        """The next frame that is not an inbox message."""
        while True:
            frame = await self.frame()
            if frame["type"] != "message":
                return frame


def labels(frame: dict[str, Any]) -> list[str]:
    return [choice["label"] for choice in frame.get("choices", [])]


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
