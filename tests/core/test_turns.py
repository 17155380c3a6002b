"""One resident's turns one after another, other residents' meanwhile (bot/turns.py)."""
from __future__ import annotations

import asyncio

import pytest

from bot.turns import Turns


async def test_turns_of_one_key_run_one_at_a_time_in_the_order_they_came() -> None:
    turns, log = Turns(), []

    async def turn(name: str) -> None:
        async with turns.turn("alice"):
            log.append(f"{name} starts")
            await asyncio.sleep(0.01)
            log.append(f"{name} ends")

    await asyncio.gather(*(turn(name) for name in ("first", "second", "third")))
    assert log == ["first starts", "first ends", "second starts", "second ends", "third starts", "third ends"]
    assert len(turns) == 0  # nothing kept for a resident who is not writing


async def holding(turns: Turns, key: str, release: asyncio.Event) -> asyncio.Task:
    """A task that takes a turn of ``key`` (or waits for it) and keeps it until ``release``."""

    async def hold() -> None:
        async with turns.turn(key):
            await release.wait()

    task = asyncio.create_task(hold())
    await asyncio.sleep(0)
    return task


async def test_another_keys_turn_does_not_wait() -> None:
    turns, release = Turns(), asyncio.Event()
    alice = await holding(turns, "alice", release)
    async with asyncio.timeout(5), turns.turn("bob"):
        assert len(turns) == 2
    release.set()
    await alice
    assert len(turns) == 0


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    turns, release = Turns(), asyncio.Event()
    first = await holding(turns, "alice", release)
    waiting = await holding(turns, "alice", release)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await first
    assert len(turns) == 0
