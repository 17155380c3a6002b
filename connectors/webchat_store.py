"""The web chat's inbox: what the city sends a visitor (publications, agents' answers, news of a
report), kept until their page has it.

A page that is open gets a row as soon as it is written (pushed over its socket, or answered to
its long poll); a closed page gets its rows the next time it opens. The page acknowledges what
it showed and those rows are deleted. A row is tied to the resident (``users.id``), so "forget
me" erases it with the rest; rows never acknowledged are purged after ``webchat_inbox_days``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Integer, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, affected_rows, utcnow
from bot.models import User

PLATFORM = "webchat"
BATCH = 100  # rows handed to a page at once


class InboxRow(Base):
    __tablename__ = "webchat_inbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def resident(session: AsyncSession, chat_id: str) -> int | None:
    """The id of the web chat resident whose chat this is (their chat id is their pseudonym)."""
    return (await session.execute(select(User.id).where(
        User.platform == PLATFORM, User.user_hash == chat_id))).scalar_one_or_none()


async def put(session: AsyncSession, user_id: int, chat_id: str, payload: dict) -> None:
    session.add(InboxRow(user_id=user_id, chat_id=chat_id, payload=payload))


async def waiting(session: AsyncSession, chat_id: str, after: int = 0) -> list[InboxRow]:
    """The rows for ``chat_id`` past ``after``, oldest first."""
    return list((await session.execute(
        select(InboxRow).where(InboxRow.chat_id == chat_id, InboxRow.id > after)
        .order_by(InboxRow.id).limit(BATCH))).scalars())


async def acknowledge(session: AsyncSession, chat_id: str, up_to: int) -> int:
    """Delete the rows of ``chat_id`` the page has shown; how many."""
    return affected_rows(await session.execute(
        delete(InboxRow).where(InboxRow.chat_id == chat_id, InboxRow.id <= up_to)))


async def last_id(session: AsyncSession) -> int:
    return (await session.execute(select(func.max(InboxRow.id)))).scalar_one() or 0


async def chats_written_since(session: AsyncSession, after: int) -> tuple[int, set[str]]:
    """The chats that got rows past ``after`` (written by any process), and the newest id."""
    rows = (await session.execute(
        select(InboxRow.id, InboxRow.chat_id).where(InboxRow.id > after))).all()
    return max((row.id for row in rows), default=after), {row.chat_id for row in rows}


async def purge(session: AsyncSession, days: int) -> int:
    """Delete the rows no page took within ``days``; how many."""
    cutoff = utcnow() - timedelta(days=days)
    return affected_rows(await session.execute(delete(InboxRow).where(InboxRow.created_at < cutoff)))
