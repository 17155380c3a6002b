"""The platform-neutral message model.

Connectors translate platform events into :class:`IncomingMessage` and render :class:`Reply`
the way their platform does best (buttons, numbered lists, location requests). Nothing else in
civicbot knows which platform a message came from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Location:
    """A WGS84 point."""

    latitude: float
    longitude: float

    def on_earth(self) -> bool:
        """Whether this is a point on Earth: finite, latitude within ±90°, longitude within ±180°.

        A platform may hand over anything (NaN, ±inf); such a value poisons the conversation's
        JSON on SQLite and fails every later write on PostgreSQL, so the core refuses it.
        """
        return (math.isfinite(self.latitude) and math.isfinite(self.longitude)
                and -90 <= self.latitude <= 90 and -180 <= self.longitude <= 180)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A reference to a file kept by the platform (Telegram file_id, Matrix mxc:// URI)."""

    kind: str  # "photo", "image", "file"
    reference: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message from a resident.

    ``user_id`` is the platform's raw id: the core turns it into a keyed hash before storing
    anything, so it never reaches the database or the logs.
    """

    platform: str
    chat_id: str
    user_id: str
    text: str = ""
    location: Location | None = None
    attachment: Attachment | None = None
    language: str | None = None  # the language the platform reports for the user, if any


@dataclass(frozen=True, slots=True)
class Choice:
    """A suggested answer. ``value`` is sent back as the resident's text when chosen."""

    label: str
    value: str


# Who goes first when a platform's limits make senders wait (the lowest number): a resident's
# reply, then a forward to the city's back end, then broadcasts.
PRIORITY_REPLY = 0
PRIORITY_FORWARD = 10
PRIORITY_BROADCAST = 50


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent in the chat, e.g. the resident's data export."""

    filename: str
    content: bytes
    mime_type: str = "application/json"


@dataclass(slots=True)
class Reply:
    """What the bot answers: text, optional choices, optional location request or document."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    request_location: bool = False
    document: Document | None = None
    language: str = "fr"
    # A broadcast sent at the platform's paid rate where it has one (Telegram's paid broadcasts).
    paid_broadcast: bool = False
    # The intent that answered ("" for the core's own replies): counted in the metrics, never shown.
    intent: str = ""
    # The sender's priority (PRIORITY_* below): the later parts of a reply sent in several
    # messages wait for their turns with it.
    priority: int = 0

    def numbered_text(self) -> str:
        """The text followed by the choices as a numbered list, for platforms without buttons."""
        if not self.choices:
            return self.text
        lines = [self.text, ""]
        lines += [f"{number}. {choice.label}" for number, choice in enumerate(self.choices, 1)]
        return "\n".join(lines)
