"""The interface every chat connector implements, and the neutral errors of sending.

``send`` makes exactly one attempt and raises one of the :class:`SendError` subclasses; the
caller decides what to do (the delivery engine pauses a platform on :class:`RateLimited`, marks
a recipient on :class:`RecipientGone`, ...). Conversation replies go through
:meth:`Connector.deliver_reply`, which retries. Every call that puts a message in a chat
(a reply, each later part of a reply sent in several messages, an edit) takes a turn of
``connector.limiter``, the platform's limits, which the delivery engine shares for broadcasts:
replies go first, and the platform never has to answer "too many requests".
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from bot.limits import PlatformLimiter
from bot.messages import PRIORITY_REPLY, Reply

log = logging.getLogger(__name__)

REPLY_ATTEMPTS = 5


class SendError(Exception):
    """Sending failed; subclasses say how the caller should react."""


class RateLimited(SendError):
    """The platform asks to wait ``retry_after`` seconds (Telegram RetryAfter, Matrix M_LIMIT_EXCEEDED)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:.1f}s")
        self.retry_after = retry_after


class RecipientGone(SendError):
    """Permanent: the resident blocked the bot, left, or the chat no longer exists."""


class ChatMoved(SendError):
    """The chat has a new id (Telegram group migrated to a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class TemporaryError(SendError):
    """Network trouble or a server error: try again later."""


class Connector(ABC):
    """Turns platform events into :class:`~bot.messages.IncomingMessage` for the bot, and
    renders each :class:`~bot.messages.Reply` the way the platform does best."""

    platform: str
    limiter: PlatformLimiter | None = None  # set by the connectors that talk to a rate-limited platform
    # True when only one process of a deployment may receive (long polling, Matrix sync): then
    # ``civicbot serve`` runs it in the process that leads (bot.leadership).
    exclusive: bool = False

    @abstractmethod
    async def start(self) -> None:
        """Connect and start receiving messages (returns once running)."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving, finish what was acknowledged, disconnect."""

    @abstractmethod
    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver a reply to a chat in one attempt; raise a :class:`SendError` on failure."""

    async def on_recipient_gone(self, chat_id: str) -> None:  # noqa: B027 - optional hook, no-op by default
        """Called when a chat turned out to be unreachable for good (override to record it)."""

    @contextlib.asynccontextmanager
    async def paced(self, chat_id: str, priority: int, paid: bool = False) -> AsyncIterator[None]:
        """Hold a turn of the platform's limits for one call that puts a message in ``chat_id``."""
        if self.limiter is None:
            yield
            return
        turn = await self.limiter.acquire(chat_id, priority, paid=paid)
        try:
            yield
        finally:
            self.limiter.sent(turn, paid)

    def part_turn(self, chat_id: str, reply: Reply, index: int) -> contextlib.AbstractAsyncContextManager:
        """The turn for part ``index`` of a reply that ``send`` makes in several calls: the caller
        of ``send`` holds the first one's, each later part waits for its own."""
        if index == 0:
            return contextlib.nullcontext()
        return self.paced(chat_id, reply.priority, reply.paid_broadcast)

    async def deliver_reply(self, chat_id: str, reply: Reply) -> None:
        """Send a conversation reply, waiting and retrying as the platform asks. Never raises."""
        reply.priority = PRIORITY_REPLY
        for attempt in range(REPLY_ATTEMPTS):
            try:
                async with self.paced(chat_id, PRIORITY_REPLY):
                    await self.send(chat_id, reply)
                return
            except RateLimited as error:  # for this chat: the others are not held
                await asyncio.sleep(error.retry_after)
            except ChatMoved as error:
                chat_id = error.new_chat_id
            except RecipientGone:
                await self.on_recipient_gone(chat_id)
                return
            except TemporaryError:
                await asyncio.sleep(min(30.0, 0.5 * 2 ** attempt))
            except SendError as error:  # refused for good (e.g. a malformed request): no retry
                log.warning("%s: a reply was refused: %s", self.platform, type(error).__name__)
                return
        log.warning("%s: a reply could not be delivered after %d attempts", self.platform, REPLY_ATTEMPTS)
