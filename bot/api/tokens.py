"""API tokens: created by an operator, shown once, stored as a SHA-256 (a token is 256 random
bits, so a fast hash is enough), revocable."""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, affected_rows, utcnow

# Every scope a token can carry, with what it allows (shown by ``civicbot token create --help``).
SCOPES: dict[str, str] = {
    "publish": "publish city publications and follow their delivery",
    "read": "read publications and their delivery progress",
    "polls": "manage polls and votes",
    "contributions": "read residents' reports and ideas, and set their status and notes",
    "agent": "read and answer residents' hand-over tickets, and close them",
}
TOKEN_PREFIX = "cvb_"
_SCOPE_NAME = re.compile(r"^[a-z][a-z0-9_.:-]{0,31}$")
LAST_USED_PRECISION = timedelta(minutes=1)  # fewer writes: last use is kept to the minute


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token
    scopes: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """Who is calling: the token's id, name and scopes."""

    id: int
    name: str
    scopes: frozenset[str]


class ScopeError(ValueError):
    """A scope name that no route knows; the message lists the known ones."""


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, deduplicated in order, or :class:`ScopeError` for an unknown one."""
    checked: list[str] = []
    for scope in scopes:
        if scope not in SCOPES or not _SCOPE_NAME.match(scope):
            raise ScopeError(f"unknown scope {scope!r}; known scopes: {', '.join(SCOPES)}")
        if scope not in checked:
            checked.append(scope)
    if not checked:
        raise ScopeError(f"give at least one scope; known scopes: {', '.join(SCOPES)}")
    return checked


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(session: AsyncSession, name: str, scopes: Iterable[str]) -> tuple[ApiToken, str]:
    """A new token row (added to the session) and the secret to hand to the operator once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name.strip()[:100] or "token", token_hash=hash_token(secret),
                   prefix=secret[:10], scopes=check_scopes(scopes))
    session.add(row)
    await session.flush()
    return row, secret


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list((await session.execute(select(ApiToken).order_by(ApiToken.id))).scalars())


async def revoke_token(session: AsyncSession, token_id: int) -> bool:
    """Revoke a token for good; False when there is no such token or it was revoked already."""
    result = await session.execute(
        update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return affected_rows(result) == 1


async def authenticate(session: AsyncSession, secret: str) -> TokenInfo | None:
    """The live token with this secret (its last use recorded), or None."""
    row = (await session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
    )).scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    await session.execute(
        update(ApiToken).where(ApiToken.id == row.id, (ApiToken.last_used_at.is_(None))
                               | (ApiToken.last_used_at < now - LAST_USED_PRECISION))
        .values(last_used_at=now).execution_options(synchronize_session=False)
    )
    await session.commit()
    return TokenInfo(row.id, row.name, frozenset(row.scopes))
