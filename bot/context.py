"""What an intent handler gets: the message, the resident, their conversation, and helpers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Choice, IncomingMessage, Location, Reply
from bot.models import Conversation, User
from bot.nlu import NluResult

if TYPE_CHECKING:
    from bot.app import CivicBot


@dataclass
class Context:
    bot: CivicBot
    session: AsyncSession
    message: IncomingMessage
    text: str  # cleaned text (after choice resolution)
    user: User
    conversation: Conversation
    lang: str
    nlu: NluResult
    intent: str  # the intent being handled: its messages are looked up first

    @property
    def settings(self):
        return self.bot.settings

    @property
    def entities(self) -> dict[str, Any]:
        return self.nlu.entities

    @property
    def location(self) -> Location | None:
        """The location sent with this message, or the last one shared in this conversation."""
        if self.message.location:
            return self.message.location
        shared = self.conversation.data.get("location")
        return Location(*shared) if shared else None

    def t(self, key: str, **values: object) -> str:
        """A text of this intent's catalog (``key``) or of the core catalog (``core.key``)."""
        own = f"{self.intent}.{key}"
        catalog = self.bot.catalog
        if own in catalog.messages["fr"]:
            return catalog.get(own, self.lang, **values)
        return catalog.get(key, self.lang, **values)

    def reply(self, text: str, choices: list[Choice] | None = None, **kwargs: Any) -> Reply:
        return Reply(text=text, choices=choices or [], language=self.lang, intent=self.intent, **kwargs)

    def intent_choice(self, intent: str) -> Choice:
        """A button that starts ``intent`` (its command), labelled in the resident's language."""
        return self.bot.intent_choice(intent, self.lang)

    # Multi-turn flows: the state lives in the conversation row, so it survives a restart.
    @property
    def flow_data(self) -> dict[str, Any]:
        """A copy of the current flow's data; change it with :meth:`set_step`."""
        return dict(self.conversation.data.get("flow", {}))

    def start_flow(self, step: str, data: dict[str, Any] | None = None) -> None:
        self.conversation.flow = self.intent
        self.conversation.step = step
        self._set_flow_data(dict(data or {}))

    def set_step(self, step: str, **updates: Any) -> None:
        self.conversation.step = step
        self._set_flow_data({**self.flow_data, **updates})

    def end_flow(self) -> None:
        self.conversation.flow = None
        self.conversation.step = None
        self._set_flow_data({})

    def _set_flow_data(self, data: dict[str, Any]) -> None:
        # Reassign (not mutate) so SQLAlchemy sees the JSON column change.
        self.conversation.data = {**self.conversation.data, "flow": data}
