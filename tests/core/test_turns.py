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


async def test_another_keys_turn_does_not_wait() -> None:
    turns = Turns()
    release = asyncio.Event()

    async def slow() -> None:
        async with turns.turn("alice"):
            await release.wait()

    holding = asyncio.create_task(slow())
    await asyncio.sleep(0)
    async with asyncio.timeout(5), turns.turn("bob"):
        assert len(turns) == 2
    release.set()
    await holding
    assert len(turns) == 0


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    turns = Turns()
    release = asyncio.Event()

    async def hold() -> None:
        async with turns.turn("alice"):
            await release.wait()

    holding = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await holding
    assert len(turns) == 0
