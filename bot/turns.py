"""One resident's messages are answered one at a time, in the order they came.

A resident who types fast, or writes from two tabs, sends the next message before the last is
answered. Answered at once, both would read the same state and the later commit would keep a
mix of the two. Residents' turns wait only for their own earlier turns, never for another
resident's.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class Turns:
    """A lock per key that exists only while a turn of that key runs or waits."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        """Wait for the earlier turns of ``key`` (first come, first served), then run this one."""
        lock, holders = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._locks[key]
            if holders == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, holders - 1)

    def __len__(self) -> int:
        """How many keys have a turn running or waiting."""
        return len(self._locks)
