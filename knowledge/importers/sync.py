"""Imports that keep the base true: importing a source again replaces that source's rows.

An importer says which rows it replaces (:meth:`knowledge.importers.Writer.replaces`: a kind
and a condition, e.g. the officials whose key starts with ``rne-``). Each row read is compared
with the stored one: new rows are added, changed rows updated, the others left alone; at the
end the rows of that scope the file no longer has are removed. The summary says
``added / updated / unchanged / removed``. A key met twice in one file is reported with both
line numbers.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from knowledge.models import MODELS, SearchEntry

OUTCOMES = ("added", "updated", "unchanged", "removed")
_CHUNK = 1000  # keys per statement: well under SQLite's and PostgreSQL's parameter limits
_NOT_COMPARED = frozenset({"updated_at"})


@dataclass
class Tally:
    """What an import did, by kind: {"official": Counter(added=…, updated=…, …)}."""

    by_kind: dict[str, Counter] = field(default_factory=dict)

    def add(self, kind: str, outcome: str, count: int = 1) -> None:
        self.by_kind.setdefault(kind, Counter())[outcome] += count

    def summary(self) -> str:
        """``official(s): 12 added, 3 updated, 9737 unchanged, 1 removed``, one kind a line."""
        return "\n".join(
            f"{kind}(s): " + ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES)
            for kind, counts in sorted(self.by_kind.items()))


@dataclass
class Seen:
    """The keys an import has read, by kind, with where each was first read."""

    keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def first(self, kind: str, key: str, where: str) -> str | None:
        """Record the key; return where it was read before, if it was."""
        kind_keys = self.keys.setdefault(kind, {})
        earlier = kind_keys.get(key)
        if earlier is None:
            kind_keys[key] = where
        return earlier


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


async def changed_rows(session: AsyncSession, kind: str, rows: list[dict[str, Any]],
                       tally: Tally) -> list[dict[str, Any]]:
    """The rows that are new or differ from the stored ones (counted in the tally)."""
    if not rows:
        return []
    model = MODELS[kind]
    names = [name for name in rows[0] if name not in _NOT_COMPARED]
    columns = [model.__table__.c[name] for name in names]
    stored = {record.key: record for record in (await session.execute(
        select(*columns).where(model.key.in_([row["key"] for row in rows])))).all()}
    changed = []
    for row in rows:
        before = stored.get(row["key"])
        if before is None:
            tally.add(kind, "added")
        elif any(getattr(before, name) != row.get(name) for name in names):
            tally.add(kind, "updated")
        else:
            tally.add(kind, "unchanged")
            continue
        changed.append(row)
    return changed


async def remove_unseen(session: AsyncSession, kind: str, scope: ColumnElement[bool],
                        seen: dict[str, str], tally: Tally) -> None:
    """Delete the rows of the scope that the import did not read (and their search entries)."""
    model = MODELS[kind]
    stored = (await session.scalars(select(model.key).where(scope))).all()
    gone = [key for key in stored if key not in seen]
    for keys in _chunks(gone):
        await session.execute(delete(SearchEntry).where(SearchEntry.kind == kind,
                                                        SearchEntry.ref_key.in_(keys)))
        await session.execute(delete(model).where(model.key.in_(keys)))
    tally.add(kind, "removed", len(gone))
