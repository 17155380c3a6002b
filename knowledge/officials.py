"""Finding elected officials: by name (typo-tolerant), role, topic or area.

The name look-up stays fast over hundreds of thousands of rows: each query word of three
letters or more selects, through indexes, the distinct names that share its first three
letters (or its last three, for typos at the start); rapidfuzz scores those few names, and only
the rows of the closest ones are read.
"""
from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import String, cast, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import normalize
from knowledge.models import Official
from knowledge.search import search

NAME_MATCH = 80  # rapidfuzz ratio for a word to be taken as a name
_BLOCK = 3
_MAX_NAMES = 5
_MAX_ROWS = 200


def name_keys(first_name: str, last_name: str) -> dict[str, str]:
    """The folded columns the name look-up uses."""
    last = normalize(last_name)
    return {"first_name_key": normalize(first_name), "last_name_key": last,
            "last_name_rev": last[::-1]}


def _range(column, prefix: str, field: str):
    """The distinct values of ``column`` that start with ``prefix``, through its index."""
    return select(column.label("name"), literal(field).label("field")).where(
        column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1)).distinct()


async def _close_names(session: AsyncSession, words: list[str]) -> dict[str, set[str]]:
    """Known last and first names close to one of the words: {"last": {...}, "first": {...}}."""
    blocks = []
    for word in words:
        blocks += [_range(Official.last_name_key, word[:_BLOCK], "last"),
                   _range(Official.last_name_rev, word[::-1][:_BLOCK], "rev"),
                   _range(Official.first_name_key, word[:_BLOCK], "first")]
    names: dict[str, set[str]] = {"last": set(), "first": set()}
    for name, field in (await session.execute(union(*blocks))).all():
        names["first" if field == "first" else "last"].add(name[::-1] if field == "rev" else name)
    close: dict[str, set[str]] = {"last": set(), "first": set()}
    for field, candidates in names.items():
        for word in words:
            close[field].update(name for name, _score, _ in process.extract(
                word, candidates, scorer=fuzz.ratio, score_cutoff=NAME_MATCH, limit=_MAX_NAMES))
    return close


async def find_by_name(session: AsyncSession, query: str, limit: int = 5
                       ) -> list[tuple[Official, float]]:
    """Officials whose name is closest to the query, with a 0-100 score, best first."""
    words = [word for word in normalize(query).split() if len(word) >= _BLOCK]
    if not words:
        return []
    close = await _close_names(session, words)
    last, first = Official.last_name_key.in_(close["last"]), Official.first_name_key.in_(close["first"])
    attempts = []  # both names first: fewer, surer rows
    if close["last"] and close["first"]:
        attempts.append((last, first))
    attempts += [(last,)] if close["last"] else []
    attempts += [(first,)] if close["first"] else []
    rows: list[Official] = []
    for condition in attempts:
        rows = list((await session.scalars(select(Official).where(*condition).limit(_MAX_ROWS))).all())
        if rows:
            break
    scored = [(official, _name_score(words, official)) for official in rows]
    scored = [pair for pair in scored if pair[1] >= NAME_MATCH]
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


def _name_score(words: list[str], official: Official) -> float:
    """How well every query word matches a word of the official's name (0-100)."""
    names = f"{official.first_name_key} {official.last_name_key}".split()
    return sum(max(fuzz.ratio(word, name) for name in names) for word in words) / len(words)


async def with_role(session: AsyncSession, role: str) -> list[Official]:
    """Officials whose role is exactly this one (case and accents aside), e.g. "Maire"."""
    wanted = normalize(role)
    rows = (await session.scalars(select(Official).where(Official.role.ilike(f"%{role}%")))).all()
    return [official for official in rows if normalize(official.role) == wanted]


async def for_topic(session: AsyncSession, query: str, ignore: frozenset[str] = frozenset()
                    ) -> list[Official]:
    """Officials whose delegations cover every word of the query."""
    hits = [hit for hit in await search(session, query, ("official",), ignore=ignore)
            if hit.covers_all]
    if not hits:
        return []
    rows = {official.key: official for official in (await session.scalars(
        select(Official).where(Official.key.in_([hit.key for hit in hits])))).all()}
    return [rows[hit.key] for hit in hits if hit.key in rows]


async def for_area(session: AsyncSession, area_key: str) -> list[Official]:
    """Officials in charge of this area (their ``areas`` name it)."""
    rows = (await session.scalars(select(Official).where(
        cast(Official.areas, String).like(f'%"{area_key}"%')))).all()
    return [official for official in rows if area_key in official.areas]
