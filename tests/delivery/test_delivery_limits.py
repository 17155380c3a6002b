"""Rate limits: evenly spaced turns, per-chat and per-group spacing, replies first, pauses.

They run on the event loop's fake time (looptime): waits take no real time, and the times
measured are the ones the gates computed, however loaded the machine is.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from bot.config import Settings
from bot.limits import PlatformLimiter, RateGate, limiter_for, telegram_limiter

pytestmark = pytest.mark.looptime


def now() -> float:
    """The fake time, a billionth faster than the loop's: the fake loop moves in whole
    microseconds, and a turn that float sums of spacings put a rounding error after a tick
    would otherwise never come (the gate waiting 1e-17 s at a time, the loop not moving)."""
    return asyncio.get_running_loop().time() * (1 + 1e-9)


def on_loop_time(limiter: PlatformLimiter) -> PlatformLimiter:
    """The limiter with its gates on the event loop's clock (the fake one)."""
    for gate in (limiter.gate, limiter.paid_gate):
        if gate is not None:
            gate.clock = now
    return limiter


async def timed_turns(gate: RateGate, chats: list[str], priority: int = 50) -> list[float]:
    start = now()
    times = []
    for chat in chats:
        await gate.turn(chat, priority)
        times.append(now() - start)
    return times


async def test_turns_keep_to_the_rate_and_never_exceed_it_in_a_second() -> None:
    gate = RateGate(20.0, clock=now)
    start = now()
    times = []
    for number in range(45):
        turn = await gate.turn(str(number), 50)
        times.append(now() - start)
        gate.sent(turn)
    assert 2.2 <= times[-1] < 3.0  # 44 spacings of 1.001/20 s
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[20:], strict=False))


async def test_a_window_counts_from_the_end_of_each_send() -> None:
    gate = RateGate(5.0, clock=now)  # 5 in any second
    turns = [await gate.turn(str(number), 50) for number in range(5)]
    await asyncio.sleep(0.3)  # the first send took 0.3 s to end
    gate.sent(turns[0])
    started = now()
    await gate.turn("6", 50)
    assert now() - started >= 0.95  # a second after that send ended, not after it began


async def test_concurrent_callers_share_the_rate() -> None:
    gate = RateGate(100.0, clock=now)
    start = now()
    await asyncio.gather(*(gate.turn(str(n), 50) for n in range(51)))
    assert 0.5 <= now() - start < 1.2


async def test_one_chat_is_spaced_but_others_are_not_held() -> None:
    gate = RateGate(0.0, lambda chat: 0.2 if chat == "slow" else 0.0, clock=now)
    times = await timed_turns(gate, ["slow", "slow", "slow"])
    assert times[-1] >= 0.4
    others = await timed_turns(gate, ["a", "b", "c", "d"])
    assert others[-1] < 0.05


async def test_telegram_spaces_groups_more_than_private_chats() -> None:
    limiter = on_loop_time(telegram_limiter(Settings(telegram_rate_global=0, telegram_rate_per_chat=20,
                                        telegram_group_per_minute=600)))
    start = now()
    for _ in range(3):
        await limiter.acquire("42", 50)
    private = now() - start
    start = now()
    for _ in range(3):
        await limiter.acquire("-100123", 50)
    group = now() - start
    assert 0.1 <= private < group - 0.05 and group >= 0.2


async def test_a_reply_takes_the_next_turn_before_waiting_broadcasts() -> None:
    gate = RateGate(20.0, clock=now)
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await gate.turn(name, priority)
        order.append(name)

    broadcasts = [asyncio.create_task(take(f"b{n}", 50)) for n in range(10)]
    await asyncio.sleep(0.12)  # a few broadcast turns went, the others wait
    started = now()
    await take("reply", 0)
    waited = now() - started
    await asyncio.gather(*broadcasts)
    assert waited < 0.15 and order.index("reply") <= 5


async def test_a_pause_holds_every_turn_for_the_time_asked() -> None:
    limiter = on_loop_time(limiter_for("telegram", Settings()))
    await limiter.acquire("1", 50)
    limiter.pause(0.3)
    started = now()
    await limiter.acquire("2", 0)
    assert now() - started >= 0.29


async def test_a_cancelled_waiter_does_not_stop_the_others() -> None:
    gate = RateGate(10.0, clock=now)
    await gate.turn("first", 50)
    waiter = asyncio.create_task(gate.turn("cancelled", 50))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.wait_for(gate.turn("next", 50), 1.0)


async def test_paid_broadcasts_have_their_own_higher_rate() -> None:
    limiter = on_loop_time(telegram_limiter(Settings(telegram_rate_global=10, telegram_rate_per_chat=0,
                                        telegram_paid_rate=200)))
    assert limiter.paid
    start = now()
    for n in range(20):
        await limiter.acquire(str(n), 50, paid=True)
    assert now() - start < 0.3  # at 10/s these 20 would take 2 s
    assert not limiter_for("telegram", Settings()).paid


async def test_matrix_replies_go_out_at_once_and_publications_keep_their_pace() -> None:
    limiter = on_loop_time(limiter_for("matrix", Settings(matrix_rate_global=10, matrix_rate_per_room=1)))
    start = now()
    for _ in range(5):  # a resident who writes five times within a second
        limiter.sent(await limiter.acquire("!room:example.org", 0))
    assert now() - start < 0.01
    await limiter.acquire("!room:example.org", 50)  # a publication to that room waits its pace
    assert now() - start >= 0.99
    limiter.pause(0.5)  # but the homeserver's "retry after" holds replies too
    started = now()
    await limiter.acquire("!room:example.org", 0)
    assert now() - started >= 0.49


async def test_telegram_replies_keep_the_per_chat_limit() -> None:
    limiter = on_loop_time(limiter_for("telegram", Settings()))
    start = now()
    limiter.sent(await limiter.acquire("42", 0))
    limiter.sent(await limiter.acquire("42", 0))
    assert now() - start >= 0.99  # Telegram's own limit: one message a second in a chat


@pytest.mark.looptime(False)  # real time: the loop's iterations take it
async def test_on_a_busy_loop_a_turn_goes_out_the_iteration_after_its_window_opens() -> None:
    """Each iteration of a busy event loop takes milliseconds (other residents, the Bot API's
    answers, the database). A window counts from the end of a send, so every iteration between
    a window opening and the next send lengthens it: the rate falls below the platform's."""
    loop = asyncio.get_running_loop()
    iterations: list[float] = []  # when each iteration began

    def other_work() -> None:
        iterations.append(time.monotonic())
        time.sleep(0.004)
        if busy:
            loop.call_soon(other_work)

    gate = RateGate(1.0)  # one turn a window
    gate.sent(await gate.turn("first", 50))
    window_opens = time.monotonic() + gate.window  # the send ended just before
    busy = True
    loop.call_soon(other_work)
    try:
        await gate.turn("second", 50)
        resumed = time.monotonic()
    finally:
        busy = False
    assert resumed >= window_opens - 0.01
    between = [moment for moment in iterations if window_opens < moment < resumed]
    assert len(between) <= 2, f"{len(between)} iterations of the loop passed before the turn went out"
