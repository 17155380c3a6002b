"""The web chat's frames: what a page sends (JSON objects with a ``type``) and what it gets.

From the page: ``hello`` (socket only, first: ``visitor``, ``lang``), ``text`` (``text``),
``location`` (``latitude``, ``longitude``), ``ack`` (``id``: the inbox rows shown up to there).
To the page: ``ready``, ``reply`` (the answer to its message), ``message`` (from the inbox, with
its ``id``), ``error`` (``code`` and a ``text`` for the resident).

Nothing here trusts the page: a frame that is not what it should be raises :class:`FrameError`,
whose catalog key the connector answers with.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from bot.messages import Location, Reply

VISITOR = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # at least 128 random bits, as the widget makes them
LANGUAGES = ("fr", "en")


class FrameError(ValueError):
    """A frame the connector cannot take: ``key`` names the resident's text in the catalog
    (``webchat.<key>``), ``code`` is for the page, ``status`` for the HTTP fallback."""

    def __init__(self, key: str, status: int = 400, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.status = status
        self.values = values


@dataclass(frozen=True)
class Said:
    """What a visitor said: a text or a position."""

    text: str = ""
    location: Location | None = None


def visitor_of(frame: dict[str, Any]) -> str:
    visitor = frame.get("visitor")
    if not isinstance(visitor, str) or not VISITOR.match(visitor):
        raise FrameError("bad_visitor")
    return visitor


def language_of(frame: dict[str, Any]) -> str | None:
    lang = frame.get("lang")
    return lang if lang in LANGUAGES else None


def said(frame: dict[str, Any], max_chars: int) -> Said:
    """The visitor's message in a ``text`` or ``location`` frame."""
    kind = frame.get("type")
    if kind == "text":
        text = frame.get("text")
        if not isinstance(text, str):
            raise FrameError("bad_frame")
        if not text.strip():
            raise FrameError("empty")
        if len(text) > max_chars:
            raise FrameError("too_long", status=413, limit=max_chars)
        return Said(text=text)
    if kind == "location":
        latitude, longitude = frame.get("latitude"), frame.get("longitude")
        if not all(isinstance(value, int | float) and not isinstance(value, bool)
                   for value in (latitude, longitude)):
            raise FrameError("bad_frame")
        location = Location(float(latitude), float(longitude))  # type: ignore[arg-type]
        if not location.on_earth():
            raise FrameError("bad_frame")
        return Said(location=location)
    raise FrameError("bad_frame")


def ack_of(frame: dict[str, Any]) -> int:
    up_to = frame.get("id")
    if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to < 0:
        raise FrameError("bad_frame")
    return up_to


def reply_payload(reply: Reply) -> dict[str, Any]:
    """A reply as the page renders it (all texts are shown as text, never as HTML)."""
    payload: dict[str, Any] = {
        "text": reply.text,
        "choices": [{"label": choice.label, "value": choice.value} for choice in reply.choices],
        "request_location": reply.request_location,
        "language": reply.language,
    }
    if reply.document:
        payload["document"] = {"filename": reply.document.filename, "mime_type": reply.document.mime_type,
                               "content": base64.b64encode(reply.document.content).decode("ascii")}
    return payload
