"""Fixtures of the knowledge tests."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer


@pytest.fixture
async def serve() -> AsyncIterator[Callable]:
    """Starts an aiohttp application on loopback (a stand-in portal); gives its base URL."""
    servers = []

    async def start(app: web.Application) -> str:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()
