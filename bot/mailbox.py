"""Messages held for residents whose page comes to fetch them: the web chat's inbox.

A web chat visitor is reachable only while their page is open. What the city sends them
(publications, agents' answers, news of a report) is held here until their page has shown it:
an open page gets a message as soon as it is held, a closed one the next time it opens. The page
acknowledges what it showed, and that is deleted. A held message is tied to the resident
(``users.id``), so "forget me" erases it with the rest; messages never fetched are purged after
``webchat_inbox_days``.

The chat id of such a platform is the resident's pseudonym (``users.user_hash``), so the
resident of a chat is found without any other id. Connectors reach this through the port
(:attr:`bot.ports.ChatCore.mailbox`).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import affected_rows, utcnow
from bot.models import HeldMessage, User
from bot.ports import Held

BATCH = 100  # messages handed to a page at once


class Mailbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def hold(self, platform: str, chat_id: str, payload: dict) -> bool:
        """Hold a message for the resident of ``chat_id``; False when there is no such resident
        (forgotten)."""
        async with self.sessions.begin() as session:
            user_id = await session.scalar(select(User.id).where(User.platform == platform,
                                                                 User.user_hash == chat_id))
            if user_id is None:
                return False
            session.add(HeldMessage(user_id=user_id, chat_id=chat_id, payload=payload))
        return True

    async def waiting(self, chat_id: str, after: int = 0) -> list[Held]:
        """The messages held for ``chat_id`` past ``after``, oldest first (``BATCH`` at most)."""
        async with self.sessions() as session:
            rows = (await session.execute(
                select(HeldMessage.id, HeldMessage.payload).where(HeldMessage.chat_id == chat_id,
                                                                  HeldMessage.id > after)
                .order_by(HeldMessage.id).limit(BATCH))).all()
        return [Held(row.id, row.payload) for row in rows]

    async def acknowledge(self, chat_id: str, up_to: int) -> None:
        """The page showed the messages of ``chat_id`` up to ``up_to``: delete them."""
        async with self.sessions.begin() as session:
            await session.execute(delete(HeldMessage).where(HeldMessage.chat_id == chat_id,
                                                            HeldMessage.id <= up_to))

    async def newest(self) -> int:
        async with self.sessions() as session:
            return await session.scalar(select(func.max(HeldMessage.id))) or 0

    async def held_since(self, after: int) -> tuple[int, set[str]]:
        """The chats that got messages past ``after`` (held by any process), and the newest id."""
        async with self.sessions() as session:
            rows = (await session.execute(
                select(HeldMessage.id, HeldMessage.chat_id).where(HeldMessage.id > after))).all()
        return max((row.id for row in rows), default=after), {row.chat_id for row in rows}

    async def purge(self, days: int) -> int:
        """Delete the messages no page fetched within ``days``; how many."""
        cutoff = utcnow() - timedelta(days=days)
        async with self.sessions.begin() as session:
            return affected_rows(await session.execute(delete(HeldMessage).where(HeldMessage.created_at < cutoff)))
