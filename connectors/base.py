"""The interface every chat connector implements."""
from __future__ import annotations

from abc import ABC, abstractmethod

from bot.messages import Reply


class Connector(ABC):
    """Turns platform events into :class:`~bot.messages.IncomingMessage` for the bot, and
    renders each :class:`~bot.messages.Reply` the way the platform does best."""

    platform: str

    @abstractmethod
    async def start(self) -> None:
        """Connect and start receiving messages (returns once running)."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving, finish what was acknowledged, disconnect."""

    @abstractmethod
    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver a reply to a chat."""
