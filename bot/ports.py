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
from typing import Protocol

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

    async def load_state(self, key: str) -> str | None:
        """A value the connector kept under ``key`` (at most 128 characters), or None."""
        ...

    async def save_state(self, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key`` across restarts (None forgets it)."""
        ...
