"""Writing to the knowledge base: idempotent upserts by natural key, and search indexing."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Base, utcnow
from bot.text import normalize
from knowledge.cache import note_change
from knowledge.models import MODELS, SearchEntry, SearchTerm

MAX_INDEXED_CHARS = 4000
_MIN_TERM = 3
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(*parts: str) -> str:
    """A stable key from words: ``slug("Nantes", "Île de Nantes")`` -> ``"nantes-ile-de-nantes"``."""
    return "-".join(_SLUG.sub("-", normalize(part)).strip("-") for part in parts if part)


def _dialect_insert(session: AsyncSession, table: Any):
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)


async def upsert(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]],
                 conflict: tuple[str, ...] = ("key",)) -> None:
    """Insert the rows, or update those whose ``conflict`` columns already exist."""
    if not rows:
        return
    note_change(session)
    statement = _dialect_insert(session, model.__table__)
    updated = {name: statement.excluded[name] for name in rows[0] if name not in conflict}
    statement = (statement.on_conflict_do_update(index_elements=list(conflict), set_=updated)
                 if updated else statement.on_conflict_do_nothing(index_elements=list(conflict)))
    await session.execute(statement, rows)


def _words(*values: Any) -> str:
    parts: list[str] = []
    for value in values:
        if isinstance(value, (list, tuple)):
            parts.extend(str(item) for item in value)
        elif value:
            parts.append(str(value))
    return normalize(" ".join(parts))


def searchable_text(kind: str, row: dict[str, Any]) -> tuple[str, str] | None:
    """The (title, body) under which a row is found, folded; None if it is not searched."""
    get = row.get
    if kind == "fact":
        return _words(get("label"), get("period"), get("area")), _words(get("keywords"), get("unit"))
    if kind == "dataset":
        return _words(get("title")), _words(get("keywords"), get("publisher"), get("description"))
    if kind == "document":
        return (_words(get("title"), get("subject")),
                _words(get("body"), get("text"))[:MAX_INDEXED_CHARS])
    if kind == "service":
        return (_words(get("name"), get("category")),
                _words(get("keywords"), get("address"), get("area")))
    if kind == "official" and get("delegations"):  # found by topic; names have their own look-up
        return (_words(get("first_name"), get("last_name"), get("role")),
                _words(get("delegations"), get("areas")))
    return None


def _entries(kind: str, rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[str]]:
    """The search entries of rows, and their words for the vocabulary."""
    entries: list[dict[str, Any]] = []
    terms: set[str] = set()
    for row in rows:
        text = searchable_text(kind, row)
        if text is None:
            continue
        title, body = text
        entries.append({"kind": kind, "ref_key": row["key"], "title": title, "body": body})
        terms.update(word for word in f"{title} {body}".split() if len(word) >= _MIN_TERM)
    return entries, terms


async def save_all(session: AsyncSession, batches: dict[str, list[dict[str, Any]]]) -> None:
    """Upsert rows of several kinds (see ``MODELS``) and index them for search, in few
    statements."""
    now = utcnow()
    entries: list[dict[str, Any]] = []
    terms: set[str] = set()
    for kind, rows in batches.items():
        for row in rows:
            row["updated_at"] = now
            if kind == "official":  # what "le maire de Rezé" is looked up by
                row["commune_key"] = normalize(row.get("commune") or "")
        await upsert(session, MODELS[kind], rows)
        kind_entries, kind_terms = _entries(kind, rows)
        entries += kind_entries
        terms |= kind_terms
    await upsert(session, SearchEntry, entries, conflict=("kind", "ref_key"))
    await upsert(session, SearchTerm, [{"term": term} for term in sorted(terms)],
                 conflict=("term",))


async def save(session: AsyncSession, kind: str, rows: list[dict[str, Any]]) -> None:
    """Upsert rows of one kind and index them for search."""
    await save_all(session, {kind: rows})


async def is_empty(session: AsyncSession) -> bool:
    """Whether the knowledge base holds no row at all."""
    for model in MODELS.values():
        if await session.scalar(select(exists().where(model.id.isnot(None)))):
            return False
    return True

