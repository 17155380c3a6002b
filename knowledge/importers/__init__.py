"""Importers from open-data formats into the knowledge base.

Every importer writes through a :class:`Writer` inside one transaction that the caller owns:
a bad record raises :class:`ImportFailed` naming the line or record, and the caller rolls back,
so a bad file imports nothing. Rows are upserted by natural key, so re-importing updates; only
new or changed rows are written, and an importer that declares the rows it replaces
(:meth:`Writer.replaces`) has those the file no longer holds removed (:mod:`.sync`).
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from knowledge import store
from knowledge.importers.encoding import detect_encoding
from knowledge.importers.sync import Seen, Tally, changed_rows, remove_unseen
from knowledge.models import MODELS

BATCH = 1000
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y")
_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f]")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?:\s|$)")
# "_x0001_", "_x000D__x000A_": line breaks and control characters as spreadsheets escape them
_SPREADSHEET_BREAK = re.compile(r"\s*(?:_x[0-9A-Fa-f]{4}_\s*)+")
_TAG = re.compile(r"<[^<>]{1,200}>")
_SPACES = re.compile(r"[ \t\u00a0]+")


class ImportFailed(Exception):
    """The input cannot be imported; the message says where (file and line, or record)."""


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...


class _NoProgress:
    def update(self, n: int = 1) -> None:
        return None


@dataclass(frozen=True)
class Origin:
    """The provenance given to every row of an import (a row may override some of it)."""

    source: str
    source_url: str = ""
    licence: str = ""
    source_date: dt.date | None = None
    demo: bool = False

    def fields(self) -> dict[str, Any]:
        return {"source": self.source, "source_url": self.source_url, "licence": self.licence,
                "source_date": self.source_date, "demo": self.demo}

    def overridden(self, record: dict[str, Any], where: str) -> Origin:
        """This origin with the provenance columns a record fills in."""
        changes = {name: record[name].strip() for name in ("source", "source_url", "licence")
                   if (record.get(name) or "").strip()}
        if (record.get("source_date") or "").strip():
            changes["source_date"] = parse_date(record["source_date"], where, "source_date")
        origin = replace(self, **changes)
        if not origin.source:
            raise ImportFailed(f"{where}: no source (add a 'source' column or give --source)")
        return origin


@dataclass
class Writer:
    """Collects rows by kind and saves them in batches (the caller commits or rolls back)."""

    session: AsyncSession
    progress: Progress = field(default_factory=_NoProgress)
    counts: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    _seen: Seen = field(default_factory=Seen)
    _scopes: dict[str, ColumnElement[bool]] = field(default_factory=dict)
    _pending: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def replaces(self, kind: str, scope: ColumnElement[bool]) -> None:
        """This import is the whole truth about the rows of ``kind`` in ``scope``: those it does
        not read are removed when it finishes."""
        self._scopes[kind] = scope

    async def add(self, kind: str, row: dict[str, Any], where: str = "") -> None:
        """Queue a row; ``where`` (file and line) names the row read twice under one key (rows
        added without it, such as a meeting each of its deliberations repeats, are not reported)."""
        earlier = self._seen.first(kind, row["key"], where)
        if earlier is None:
            self.counts[kind] += 1
        elif where:
            self.warn(f"{where}: same {kind} key as {earlier} ({row['key']}); the later row is kept")
        batch = self._pending.setdefault(kind, {})
        batch[row["key"]] = row
        self.progress.update(1)
        if len(batch) >= BATCH:
            await self._flush(kind)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    async def _flush(self, kind: str) -> None:
        rows = list(self._pending.pop(kind).values())
        await store.save(self.session, kind, await changed_rows(self.session, kind, rows, self.tally))

    async def finish(self) -> None:
        """Save what is still pending, every kind at once; then remove what the replaced
        scopes no longer hold."""
        batches = {kind: await changed_rows(self.session, kind, list(rows.values()), self.tally)
                   for kind, rows in self._pending.items()}
        self._pending.clear()
        await store.save_all(self.session, batches)
        for kind, scope in self._scopes.items():
            await remove_unseen(self.session, kind, scope, self._seen.keys.get(kind, {}), self.tally)

    async def analyze(self) -> None:
        """Refresh the planner's statistics of the tables written to (after a large import,
        so that name look-ups use the selective index)."""
        for kind in self.counts.keys() & MODELS.keys():
            await self.session.execute(text(f"ANALYZE {MODELS[kind].__tablename__}"))


async def prepare_bulk(session: AsyncSession) -> None:
    """Give a large SQLite import a bigger page cache (random keys touch many index pages)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA cache_size=-131072"))  # 128 MiB, this connection only


def parse_date(value: str | None, where: str, column: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    candidate = value[:10]
    day, month, year = candidate[:2], candidate[3:5], candidate[6:]  # the usual DD/MM/YYYY, fast
    if _TWO_DIGIT_YEAR.match(value):
        raise ImportFailed(f"{where}: {column} {value!r} has a two-digit year: write the year in full "
                           f"(e.g. 25/11/2013); a guessed century could make the date wrong")
    if candidate[2:3] == "/" == candidate[5:6] and len(year) == 4 and (day + month + year).isdigit():
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            pass
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(candidate, pattern).date()
        except ValueError:
            continue
    raise ImportFailed(f"{where}: {column} {value!r} is not a date (expected YYYY-MM-DD or DD/MM/YYYY)")


def parse_number(value: str | None, where: str, column: str, integer: bool = False
                 ) -> float | int | None:
    """A number written the French or the English way ("1 234,5", "1234.5"), or None if empty."""
    text = _NUMBER_SPACES.sub("", value or "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ImportFailed(f"{where}: {column} {value!r} is not a number") from None
    if integer:
        if not number.is_integer():
            raise ImportFailed(f"{where}: {column} {value!r} is not a whole number")
        return int(number)
    return number


def read_csv(path: Path, required: tuple[str, ...], encoding: str | None = None
             ) -> Iterator[tuple[str, dict[str, str]]]:
    """Stream a CSV file (``;``, ``,`` or tab separated) as (``"file:line"``, record) pairs;
    its encoding detected unless given."""
    try:
        encoding = encoding or detect_encoding(path)
        handle = path.open(encoding=encoding, newline="")
    except OSError as error:
        raise ImportFailed(f"{path}: {error.strerror}") from None
    with handle:
        try:
            header = handle.readline()
            delimiter = max(";,\t", key=header.count)
            handle.seek(0)
            reader = csv.DictReader(handle, delimiter=delimiter)
            columns = [name.strip() for name in reader.fieldnames or []]
            missing = [name for name in required if name not in columns]
            if missing:
                raise ImportFailed(f"{path}: line 1: missing column(s) {', '.join(missing)}")
            reader.fieldnames = columns
            for record in reader:
                where = f"{path.name}: line {reader.line_num}"
                if None in record:
                    raise ImportFailed(f"{where}: more fields than columns")
                yield where, {name: (value or "").strip() for name, value in record.items()}
        except UnicodeDecodeError as error:
            raise ImportFailed(f"{path}: not {encoding} text at byte {error.start} (it looks like "
                               f"{detect_encoding(path)} text)") from None
        except csv.Error as error:
            raise ImportFailed(f"{path}: {error}") from None


def clean_text(value: str) -> str:
    """Text as residents should read it: spreadsheet line breaks (``_x0001_``) as dashes, and
    no HTML tags or entities (``&amp;``), control characters or runs of spaces."""
    text = html.unescape(_TAG.sub(" ", _SPREADSHEET_BREAK.sub(" — ", value)))
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return _SPACES.sub(" ", text).strip(" —")


def split_list(value: str) -> list[str]:
    """A list written in one cell: ``a|b|c`` or ``a, b, c``."""
    separator = "|" if "|" in value else ","
    return [item.strip() for item in value.split(separator) if item.strip()]
