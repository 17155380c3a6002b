"""Loopback networking for tests."""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

# Ports are probed from a block of this process's own, below the kernel's ephemeral range
# (Linux: 32768 and up). A port the kernel handed out (bind to 0) and released may be handed out
# again, or taken by an outgoing connection, before the server binds it; with tests running on
# several pytest-xdist workers (and other test runs on the machine) that happened. No two
# workers share a block, and the kernel never picks a port below its range by itself.
PORT_BLOCK = 500
FIRST_PORT = 10_000
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"...; empty without xdist
_BLOCK_START = FIRST_PORT + PORT_BLOCK * (int(_WORKER[2:]) + 1 if _WORKER.startswith("gw") else 0)
_next_offset = itertools.count()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, from this worker's own block."""
    for _ in range(PORT_BLOCK):
        port = _BLOCK_START + next(_next_offset) % PORT_BLOCK
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (a server of an earlier test, or another program)
            return port
    raise RuntimeError(f"no free port in {_BLOCK_START}-{_BLOCK_START + PORT_BLOCK - 1}")


async def until_answers(url: str, still_running: Callable[[], None] = lambda: None, timeout: float = 120) -> None:
    """Wait until ``url`` answers 200 (a server starting up); ``still_running`` raises when what
    should answer has died, so a crash shows at once instead of as a timeout."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for _ in range(int(timeout * 10)):
            still_running()
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@contextlib.asynccontextmanager
async def on_loopback(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve ``app`` on a free port of ``host``; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, 0).start()
    try:
        yield f"http://{host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
