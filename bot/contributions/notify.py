"""Messages to residents about their contributions, sent later through the outbox.

A message goes only to an address the resident gave for follow-up (author or follower who
opted in); the outbox row carries their ``user_id`` so that erasing them drops what still waits.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import PRIORITY_BROADCAST
from bot.outbox import enqueue

MESSAGE_KIND = "message"


def send_later(session: AsyncSession, *, user_id: int | None, platform: str, chat_id: str,
               text: str, language: str, batch: str | None = None) -> None:
    """Queue a ready text for the delivery engine's ``message`` rows."""
    enqueue(session, MESSAGE_KIND, {"text": text, "language": language}, priority=PRIORITY_BROADCAST,
            platform=platform, chat_id=chat_id, user_id=user_id, batch=batch)
