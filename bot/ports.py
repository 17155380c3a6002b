"""The port between the core and the chat connectors: what a connector may ask of the core.

A connector translates only. It turns platform events into :class:`~bot.messages.IncomingMessage`
for :meth:`ChatCore.handle` and renders the :class:`~bot.messages.Reply`; what it learns on the
way (a resident blocked the bot, a token to resume from after a restart) it tells the core
through this port, which keeps it. A connector never opens the database nor imports the
conversation core: ``connectors`` may import ``bot.messages``, this module and the foundation
modules it names (settings, catalog, flood control, pseudonyms, platform limits, metrics), which
import-linter checks (``pyproject.toml``). :class:`bot.app.CivicBot` implements the port.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.config import Settings
from bot.flood import FloodControl
from bot.i18n import Catalog
from bot.messages import IncomingMessage, Reply
from bot.pseudonym import Pseudonymizer


class IntentCommands(Protocol):
    """An intent as a platform's command menu shows it: its slash commands and, per language,
    the examples that tell which command suits which language."""

    @property
    def name(self) -> str: ...

    @property
    def commands(self) -> list[str]: ...

    @property
    def examples(self) -> dict[str, list[str]]: ...


@dataclass(frozen=True)
class Held:
    """A message held for a resident until their page fetches it: its id and what it says."""

    id: int
    payload: dict[str, Any]


class HeldMessages(Protocol):
    """Messages held for residents whose page comes to fetch them (the web chat; ``bot.mailbox``).
    Their chat id is their pseudonym (``Pseudonymizer.user_hash``)."""

    async def hold(self, platform: str, chat_id: str, payload: dict[str, Any]) -> bool:
        """Hold a message; False when the chat has no resident (forgotten)."""
        ...

    async def waiting(self, chat_id: str, after: int = 0) -> list[Held]:
        """What is held for ``chat_id`` past ``after``, oldest first."""
        ...

    async def acknowledge(self, chat_id: str, up_to: int) -> None:
        """The page showed the messages up to ``up_to``: they are no longer held."""
        ...

    async def newest(self) -> int:
        """The id of the newest message held (0 when none)."""
        ...

    async def held_since(self, after: int) -> tuple[int, set[str]]:
        """The chats that got messages past ``after`` (held by any process), and the newest id."""
        ...

    async def purge(self, days: int) -> int:
        """Forget the messages no page fetched within ``days``; how many."""
        ...


class ChatCore(Protocol):
    """What the core offers a chat connector."""

    @property
    def settings(self) -> Settings: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def flood(self) -> FloodControl: ...

    @property
    def pseudonymizer(self) -> Pseudonymizer: ...

    @property
    def intents(self) -> Mapping[str, IntentCommands]: ...

    @property
    def commands(self) -> Collection[str]:
        """Every slash command the core understands (without the slash)."""
        ...

    async def handle(self, message: IncomingMessage) -> Reply:
        """The answer to a resident's message, committed before it returns."""
        ...

    async def resident_unreachable(self, platform: str, user_id: str) -> None:
        """The resident with this platform id blocked the bot or left for good."""
        ...

    async def forget_resident(self, platform: str, user_id: str) -> None:
        """Erase the resident with this platform id, as their "forget me" does (nothing when
        there is no such resident)."""
        ...

    @property
    def mailbox(self) -> HeldMessages: ...

    async def load_state(self, key: str) -> str | None:
        """A value the connector kept under ``key`` (at most 128 characters), or None."""
        ...

    async def save_state(self, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key`` across restarts (None forgets it)."""
        ...
