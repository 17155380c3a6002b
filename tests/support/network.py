"""Loopback networking for tests."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import aiohttp


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
