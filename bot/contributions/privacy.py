"""The resident's rights over their data: export, erasure, and the retention limit.

All three work on every table declared on ``bot.db.Base.metadata``, so tables added by other
subsystems are covered without changing this module: a row belongs to a resident when a
foreign key to ``users.id`` holds their id. On erasure such a row is deleted, unless its key is
``ON DELETE SET NULL`` (what the city received: contributions, supports, votes), in which case
it is unlinked — the key and every column marked ``info={"personal": True}`` are cleared.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ColumnElement, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions.documents import iso
from bot.contributions.models import Contribution, ContributionEvent, Opinion, Support, Vote
from bot.contributions.polls import withdraw_open_votes
from bot.contributions.store import participation_key
from bot.db import Base, affected_rows, utcnow
from bot.models import User

if TYPE_CHECKING:
    from bot.app import CivicBot

KEY_CHUNK = 500
RETAINED_TABLES = (Contribution.__table__, Support.__table__, Vote.__table__)
# The retention limit cuts a vote's link to its resident but keeps its voter key — a keyed hash
# per resident and poll, not their id — until the poll closes (the close clears it): without it,
# the same resident could vote a second time in a poll still open.
KEPT_UNTIL_CLOSE = frozenset({Vote.__table__.c.voter_key})


def resident_links() -> Iterator[tuple[Table, Column]]:
    """Every (table, column) whose foreign key points at ``users.id``."""
    users = User.__table__
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table is users and key.column.name == "id":
                yield table, key.parent


def personal_columns(table: Table) -> list[Column]:
    return [column for column in table.columns if column.info.get("personal")]


def _unlink_values(table: Table, link: Column) -> dict[str, None]:
    return {column.name: None for column in (link, *personal_columns(table))}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


async def _rows(session: AsyncSession, table: Table, where: ColumnElement) -> list[dict[str, Any]]:
    result = await session.execute(select(table).where(where))
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]


async def export(session: AsyncSession, user: User) -> dict[str, Any]:
    """Everything stored about the resident, table by table, plus the history and opinions
    that belong to their contributions and votes."""
    document: dict[str, Any] = {
        "generated_at": iso(utcnow()),
        "users": await _rows(session, User.__table__, User.__table__.c.id == user.id),
    }
    for table, link in resident_links():
        rows = await _rows(session, table, link == user.id)
        if rows:
            document.setdefault(table.name, []).extend(rows)
    mine = select(Contribution.id).where(Contribution.user_id == user.id)
    votes = select(Vote.id).where(Vote.user_id == user.id)
    for table, where in ((ContributionEvent.__table__, ContributionEvent.contribution_id.in_(mine)),
                         (Opinion.__table__, Opinion.vote_id.in_(votes))):
        rows = await _rows(session, table, where)
        if rows:
            document[table.name] = rows
    return document


def export_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


async def _clear_support_keys(bot: CivicBot, session: AsyncSession, user: User) -> None:
    """Anonymous supports carry a key derived from the resident: clear theirs."""
    supported = (await session.execute(select(Support.contribution_id).distinct()
                                       .where(Support.supporter_key.is_not(None)))).scalars().all()
    keys = [participation_key(bot, user, f"support:{contribution_id}") for contribution_id in supported]
    table = Support.__table__
    for start in range(0, len(keys), KEY_CHUNK):
        await session.execute(table.update().where(table.c.supporter_key.in_(keys[start:start + KEY_CHUNK]))
                              .values(supporter_key=None))


async def forget(bot: CivicBot, session: AsyncSession, user: User) -> dict[str, int]:
    """Erase the resident in the caller's transaction; rows deleted or unlinked, per table.

    The ORM objects of the resident are expunged, so the rest of the request cannot write
    them back.
    """
    counts: dict[str, int] = {"votes withdrawn": await withdraw_open_votes(bot, session, user)}
    await _clear_support_keys(bot, session, user)
    for table, link in resident_links():
        if any(key.ondelete and key.ondelete.upper() == "SET NULL" for key in link.foreign_keys):
            result = await session.execute(table.update().where(link == user.id)
                                           .values(**_unlink_values(table, link)))
        else:
            result = await session.execute(table.delete().where(link == user.id))
        if changed := affected_rows(result):
            counts[table.name] = changed
    await session.execute(User.__table__.delete().where(User.__table__.c.id == user.id))
    for instance in list(session.identity_map.values()):
        if instance is user or getattr(instance, "user_id", None) == user.id:
            session.expunge(instance)
    return counts


async def cut_old_links(session: AsyncSession, retention_days: int) -> int:
    """Unlink contributions, supports and votes older than the retention limit; how many."""
    cutoff = utcnow() - timedelta(days=retention_days)
    total = 0
    for table in RETAINED_TABLES:
        link = table.c.user_id
        cleared = [column for column in (link, *personal_columns(table)) if column not in KEPT_UNTIL_CLOSE]
        result = await session.execute(
            table.update().where(table.c.created_at < cutoff, or_(*(c.is_not(None) for c in cleared)))
            .values(**{column.name: None for column in cleared}))
        total += affected_rows(result)
    return total
