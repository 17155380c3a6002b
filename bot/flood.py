"""Flood control: how many messages one resident may have answered in a while.

A resident who sends more than ``flood_messages`` messages within ``flood_seconds`` gets one
polite notice (at most one per window) and their extra messages are dropped — never queued: a
queue of hundreds of messages answered at the platform's per-chat rate would take minutes, and
while a Telegram update waits to be answered it holds back the updates behind it. Once the
window has room again, their next message is answered as usual.

Connectors ask :meth:`FloodControl.check` as each message arrives, before waiting for the
resident's earlier messages, so a dropped message costs nothing. Chat ids stay in memory only,
for the length of the window.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from bot.i18n import Catalog
from bot.messages import Reply


class Admission(Enum):
    ANSWER = "answer"
    NOTICE = "notice"  # over the limit: this message gets the notice instead of an answer
    DROP = "drop"  # over the limit, notice already given


@dataclass
class _Sender:
    answered: deque[float]  # when the messages answered in the window arrived
    noticed_at: float | None = None


@dataclass
class FloodControl:
    limit: int
    seconds: float
    catalog: Catalog
    default_language: str
    clock: Callable[[], float] = time.monotonic
    _senders: dict[tuple[str, str], _Sender] = field(default_factory=dict)
    _checks: int = 0

    def check(self, platform: str, chat_id: str) -> Admission:
        """Whether the message that just arrived from ``chat_id`` is answered."""
        now = self.clock()
        self._sweep(now)
        sender = self._senders.setdefault((platform, chat_id), _Sender(deque(maxlen=self.limit)))
        while sender.answered and now - sender.answered[0] >= self.seconds:
            sender.answered.popleft()
        if self.limit <= 0 or len(sender.answered) < self.limit:
            sender.answered.append(now)
            return Admission.ANSWER
        if sender.noticed_at is None or now - sender.noticed_at >= self.seconds:
            sender.noticed_at = now
            return Admission.NOTICE
        return Admission.DROP

    def notice(self, language: str | None) -> Reply:
        """The notice, in the platform's language for the resident when it is one of ours."""
        lang = language if language in ("fr", "en") else self.default_language
        return Reply(self.catalog.get("core.flood", lang, seconds=round(self.seconds)), language=lang)

    def _sweep(self, now: float) -> None:
        """Forget the senders quiet for a whole window (now and then, not at every message)."""
        self._checks += 1
        if self._checks % 1000:
            return
        quiet = [key for key, sender in self._senders.items()
                 if (not sender.answered or now - sender.answered[-1] >= self.seconds)
                 and (sender.noticed_at is None or now - sender.noticed_at >= self.seconds)]
        for key in quiet:
            del self._senders[key]
