"""The interface every chat connector implements, and the neutral errors of sending.

``send`` makes exactly one attempt and raises one of the :class:`SendError` subclasses; the
caller decides what to do (the delivery engine pauses a platform on :class:`RateLimited`, marks
a recipient on :class:`RecipientGone`, ...). Conversation replies go through
:meth:`Connector.deliver_reply`, which retries; a delivery engine can take it over by setting
``connector.limiter`` so that replies and broadcasts share the platform's rate limits, replies
first.
"""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Protocol

from bot.messages import Reply

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


class Limiter(Protocol):
    async def acquire(self, chat_id: str, priority: int) -> object:
        """Wait until one message may be sent to ``chat_id`` (what it returns is not used)."""


class Connector(ABC):
    """Turns platform events into :class:`~bot.messages.IncomingMessage` for the bot, and
    renders each :class:`~bot.messages.Reply` the way the platform does best."""

    platform: str
    limiter: Limiter | None = None

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

    async def deliver_reply(self, chat_id: str, reply: Reply) -> None:
        """Send a conversation reply, waiting and retrying as the platform asks. Never raises."""
        for attempt in range(REPLY_ATTEMPTS):
            if self.limiter is not None:
                await self.limiter.acquire(chat_id, priority=0)
            try:
                await self.send(chat_id, reply)
                return
            except RateLimited as error:
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
