"""Rate limits per platform, shared by conversation replies and broadcasts, replies first.

A :class:`RateGate` hands out *turns*: evenly spaced at ``rate`` per second, never more than
``rate`` in any second the way the platform counts, and for each chat at most one per
``chat_interval(chat)`` seconds. Among the callers waiting, the best priority (lowest number)
whose chat may receive goes first, so a reply (priority 0) never waits behind a broadcast.
``pause(seconds)`` holds every turn, e.g. when the platform answered "retry after N seconds".
Where the rates are the project's own pacing of broadcasts rather than the platform's limits
(Matrix: a homeserver limits senders, and exempts a bot's account), ``replies_paced=False`` lets
replies (priority 0) skip the spacing, held only by a pause: a resident who writes again within a
second of the last answer gets the next one at once. Their turns still count, so broadcasts
leave them room.

The platform counts messages when they *arrive*, and the time a message takes to get there
varies (a busy event loop, a slow network). So the window of a turn closes when its send
*ended* (:meth:`RateGate.sent`), which is after it arrived: turn n+30 starts at least a second
after send n ended, hence arrives at least a second after send n arrived. A turn whose end is
never reported (a reply sent by the connector) counts as ending one typical round trip after it
began.

A :class:`PlatformLimiter` is what a connector's ``limiter`` attribute holds: one gate for
ordinary messages and, on Telegram, a second one for paid broadcasts (their own higher rate).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from bot.config import Settings

# Windows and spacings are 0.1 % wider than the nominal limit: a platform that stamps arrivals
# to the millisecond may round a second's window by that much. No more is needed, since a window
# already counts from the end of a send, after the platform counted it.
SPACING_MARGIN = 1.001
_PRUNE_EVERY = 4096  # forget chats whose spacing has passed, so memory stays bounded
_ROUND_TRIP_WEIGHT = 0.1  # of each new measure in the typical round trip


@dataclass(order=True)
class _Waiter:
    priority: int
    sequence: int
    chat_id: str = field(compare=False)
    future: asyncio.Future = field(compare=False)


@dataclass(eq=False)
class Turn:
    """One granted turn: when it started, and when its send ended (estimated until reported)."""

    chat_id: str
    started: float
    ended: float


class RateGate:
    def __init__(self, rate: float, chat_interval: Callable[[str], float] = lambda chat: 0.0,
                 clock: Callable[[], float] = time.monotonic, replies_paced: bool = True) -> None:
        """``rate`` turns per second in all (0 or less: no overall limit): ``count`` turns in any
        window of ``count / rate`` seconds (a rate below one a second spaces single turns)."""
        self.count = max(1, int(rate)) if rate > 0 else 0
        self.window = SPACING_MARGIN * self.count / rate if rate > 0 else 0.0
        self.interval = self.window / self.count if self.count else 0.0
        self.chat_interval = chat_interval
        self.clock = clock
        self.replies_paced = replies_paced
        self.round_trip = 0.05  # typical seconds from a turn to the end of its send
        self._next_turn = 0.0
        self._recent: deque[Turn] = deque(maxlen=self.count or 1)
        self._paused_until = 0.0
        self._chat_ready: dict[str, float] = {}
        self._waiters: list[_Waiter] = []
        self._sequence = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def rate(self) -> float:
        return self.count / self.window if self.count else 0.0

    def pause(self, seconds: float) -> None:
        """Hold every turn for ``seconds`` from now (a longer pause already set is kept)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def turn(self, chat_id: str, priority: int) -> Turn:
        """Wait until one message may be sent to ``chat_id``."""
        if not self._waiters and self._ready_at(chat_id, priority) <= self.clock():
            return self._grant(chat_id)
        waiter = _Waiter(priority, next(self._sequence), chat_id,
                         asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        self._grant_due()
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    @contextlib.asynccontextmanager
    async def held(self, chat_id: str, priority: int) -> AsyncIterator[Turn]:
        """A turn for the send inside the block, which ends with the block."""
        turn = await self.turn(chat_id, priority)
        try:
            yield turn
        finally:
            self.sent(turn)

    def sent(self, turn: Turn) -> None:
        """The send of ``turn`` ended (delivered or not): its window and its chat's spacing
        count from now."""
        now = self.clock()
        turn.ended = now
        self.round_trip += _ROUND_TRIP_WEIGHT * (now - turn.started - self.round_trip)
        spacing = self.chat_interval(turn.chat_id)
        if spacing > 0:
            self._chat_ready[turn.chat_id] = now + spacing * SPACING_MARGIN
        self._grant_due()

    def _ready_at(self, chat_id: str, priority: int) -> float:
        if priority <= 0 and not self.replies_paced:
            return self._paused_until
        full = self.count and len(self._recent) == self.count
        window = self._recent[0].ended + self.window if full else 0.0
        return max(self._next_turn, window, self._paused_until, self._chat_ready.get(chat_id, 0.0))

    def _grant(self, chat_id: str) -> Turn:
        now = self.clock()
        turn = Turn(chat_id, now, now + self.round_trip)
        if self.count:
            # Turns keep to their schedule: turns held back by a slow send catch up (the window
            # still bounds them); after an idle spell the schedule starts again from now.
            if now - self._next_turn > self.window:
                self._next_turn = now
            self._next_turn += self.interval
            self._recent.append(turn)
        spacing = self.chat_interval(chat_id)
        if spacing > 0:
            if len(self._chat_ready) >= _PRUNE_EVERY:
                self._chat_ready = {chat: ready for chat, ready in self._chat_ready.items() if ready > now}
            self._chat_ready[chat_id] = turn.ended + spacing * SPACING_MARGIN
        return turn

    def _grant_due(self) -> None:
        """Grant the turns now due, best priority first among the waiters whose chat may receive,
        and set a timer for the next one.

        It runs in the call that makes a turn due (a new waiter, a send that ended, the timer):
        the waiter resumes in the next iteration of the event loop. A dispatching task woken by
        ``asyncio.wait_for``'s timeout granted it several iterations later (six on the test's busy
        loop), and on a busy loop each one lengthened the windows, which count from the sends."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            now = self.clock()
            ready = [waiter for waiter in self._waiters if self._ready_at(waiter.chat_id, waiter.priority) <= now]
            if not ready:
                due = min(self._ready_at(waiter.chat_id, waiter.priority) for waiter in self._waiters)
                self._timer = asyncio.get_running_loop().call_later(due - now, self._grant_due)
                return
            waiter = min(ready)
            self._waiters.remove(waiter)
            if not waiter.future.done():  # else its caller was cancelled meanwhile
                waiter.future.set_result(self._grant(waiter.chat_id))


class PlatformLimiter:
    """The limits of one platform, held by its connector (``Connector.limiter``) and shared with
    the delivery engine."""

    def __init__(self, rate: float, chat_interval: Callable[[str], float], paid_rate: float = 0.0,
                 replies_paced: bool = True) -> None:
        self.gate = RateGate(rate, chat_interval, replies_paced=replies_paced)
        self.paid_gate = RateGate(paid_rate, chat_interval) if paid_rate > 0 else None

    async def acquire(self, chat_id: str, priority: int, paid: bool = False) -> Turn:
        """Wait for a turn to send to ``chat_id``; ``paid`` broadcasts use their own rate."""
        return await self._gate(paid).turn(chat_id, priority)

    def sent(self, turn: Turn, paid: bool = False) -> None:
        self._gate(paid).sent(turn)

    def _gate(self, paid: bool) -> RateGate:
        return self.paid_gate if paid and self.paid_gate is not None else self.gate

    def pause(self, seconds: float) -> None:
        self.gate.pause(seconds)
        if self.paid_gate is not None:
            self.paid_gate.pause(seconds)

    @property
    def paid(self) -> bool:
        return self.paid_gate is not None

    @property
    def rate(self) -> float:
        """The most messages per second it lets through (0: no overall limit)."""
        gates = [gate for gate in (self.gate, self.paid_gate) if gate is not None]
        if any(gate.rate == 0 for gate in gates):
            return 0.0
        return max(gate.rate for gate in gates)


def _interval(rate_per_second: float) -> float:
    return 1.0 / rate_per_second if rate_per_second > 0 else 0.0


def telegram_limiter(settings: Settings) -> PlatformLimiter:
    """Telegram: 30 messages/s in all, 1/s per chat, 20/min per group (negative chat ids)."""
    per_chat = _interval(settings.telegram_rate_per_chat)
    per_group = max(per_chat, 60.0 / settings.telegram_group_per_minute
                    if settings.telegram_group_per_minute > 0 else 0.0)
    return PlatformLimiter(settings.telegram_rate_global,
                           lambda chat: per_group if chat.startswith("-") else per_chat,
                           settings.telegram_paid_rate)


def matrix_limiter(settings: Settings) -> PlatformLimiter:
    """Matrix: both rates pace publications; replies go out at once (the homeserver's own
    "retry after" still holds them)."""
    per_room = _interval(settings.matrix_rate_per_room)
    return PlatformLimiter(settings.matrix_rate_global, lambda room: per_room, replies_paced=False)


def webchat_limiter(settings: Settings) -> PlatformLimiter:
    """The web chat: broadcasts are written to the visitors' inboxes at most at
    ``webchat_rate_global`` (the database's pace, not a platform's); replies go out at once."""
    return PlatformLimiter(settings.webchat_rate_global, lambda chat: 0.0, replies_paced=False)


def limiter_for(platform: str, settings: Settings) -> PlatformLimiter:
    """The limiter of a platform; one without configured limits gets none but its replies first."""
    if platform == "telegram":
        return telegram_limiter(settings)
    if platform == "matrix":
        return matrix_limiter(settings)
    if platform == "webchat":
        return webchat_limiter(settings)
    return PlatformLimiter(0.0, lambda chat: 0.0)
