"""Finding elected officials: by name (typo-tolerant), role, topic or area.

The name look-up stays fast over hundreds of thousands of rows: names written exactly are found
by index equality; a misspelt word selects, through indexes, the distinct surnames of about its
length that share its first letters (or its last ones, for typos at the start); rapidfuzz scores
those few names, and only the rows of the closest ones are read.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rapidfuzz import fuzz, process
from sqlalchemy import String, cast, exists, func, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.text import STOP_WORDS, content_words, normalize, stem
from knowledge.cache import kept
from knowledge.models import Official
from knowledge.roles import ORDER, function_of

NAME_MATCH = 80  # rapidfuzz ratio for a word to be taken as a name
_BLOCK = 3
_MAX_NAMES = 5
_MAX_ROWS = 50
_LONGEST_COMMUNE = 8  # words in a commune's name ("Saint-Jean-de-Boiseau" has 4)
_ARTICLES = {"du": "le", "des": "les", "au": "le", "aux": "les"}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}  # "St-Herblain"
CLOSE_COMMUNE = 80  # rapidfuzz ratio for a commune's name to be suggested for a misspelt one
_MAX_SUGGESTED = 5


def name_keys(first_name: str, last_name: str) -> dict[str, str]:
    """The folded columns the name look-up uses."""
    last = normalize(last_name)
    return {"first_name_key": normalize(first_name), "last_name_key": last,
            "last_name_rev": last[::-1]}


def _prefixed(column, word: str, letters: int) -> tuple[ColumnElement[bool], ...]:
    """The values of ``column`` sharing the word's first letters, as conditions its index serves."""
    prefix = word[:letters]
    return column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _range(column, word: str, letters: int):
    """The distinct values of ``column`` sharing the word's first letters and about its length
    (two typos at most), through the column's index; reversed names flagged."""
    return select(column.label("name"), literal(column is Official.last_name_rev).label("reversed")).where(
        *_prefixed(column, word, letters),
        func.length(column).between(len(word) - 2, len(word) + 2)).distinct()


# For misspelt words, the surnames sharing four letters at the start or at the end (a typo
# at either end), then, if none is close, three.
_LETTERS = (_BLOCK + 1, _BLOCK)


@kept
async def _close_names(session: AsyncSession, words: list[str]) -> dict[str, frozenset[str]]:
    """Known last and first names close to one of the words: {"last": {...}, "first": {...}}.

    Words written exactly are found by index equality. For the others (a known first name
    too), the surnames sharing their first four letters, or their last four, or (wider) three:
    a first name is
    shared by too many rows to block on, and a typo in it only lowers the score of the rows its
    surname finds."""
    exact = union(*(select(literal(word).label("name"), literal(field).label("field"))
                    .where(exists().where(column == word))
                    for word in words for column, field in ((Official.last_name_key, "last"),
                                                            (Official.first_name_key, "first"))))
    close: dict[str, set[str]] = {"last": set(), "first": set()}
    for name, field in (await session.execute(exact)).all():
        close[field].add(name)
    # a word that is only a known first name may still be a misspelt surname ("roland")
    missing = [word for word in words if word not in close["last"]]
    for letters in _LETTERS:
        if not missing:
            break
        blocks = [block for word in missing for block in (
            _range(Official.last_name_key, word, letters),
            _range(Official.last_name_rev, word[::-1], letters))]
        near = {name[::-1] if reversed_ else name
                for name, reversed_ in (await session.execute(union(*blocks))).all()}
        still_missing = []
        for word in missing:
            found = {name for name, _score, _ in process.extract(
                word, near, scorer=fuzz.ratio, score_cutoff=NAME_MATCH, limit=_MAX_NAMES)}
            close["last"].update(found)
            if not found:
                still_missing.append(word)
        missing = still_missing
    return {field: frozenset(names) for field, names in close.items()}


async def find_by_name(session: AsyncSession, query: str, limit: int = 5
                       ) -> list[tuple[Official, float]]:
    """Officials whose name is closest to the query, with a 0-100 score, best first."""
    words = [word for word in normalize(query).split() if len(word) >= _BLOCK]
    if not words:
        return []
    close = await _close_names(session, words)
    if not close["last"] and not close["first"]:
        return []
    last, first = Official.last_name_key.in_(close["last"]), Official.first_name_key.in_(close["first"])
    attempts: list[tuple[ColumnElement[bool], ...]] = []  # both names first: fewer, surer rows
    if close["last"] and close["first"]:
        attempts.append((last, first))
    attempts += [(last,)] if close["last"] else []
    attempts += [(first,)] if close["first"] else []
    rows: list[Official] = []
    for condition in attempts:
        rows = current(await session.scalars(select(Official).where(*condition).limit(_MAX_ROWS)))
        if rows:
            break
    scored = [(official, _name_score(words, f"{official.first_name_key} {official.last_name_key}"))
              for official in rows]
    scored = [pair for pair in scored if pair[1] >= NAME_MATCH]
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


def _name_score(words: list[str], name: str) -> float:
    """How well every query word matches a word of the name (0-100)."""
    names = name.split()
    return sum(max(fuzz.ratio(word, part) for part in names) for word in words) / len(words)


@kept
async def with_role(session: AsyncSession, role: str, commune: str = "") -> list[Official]:
    """Officials whose role is exactly this one (case and accents aside), e.g. "Maire"; of
    this commune only if given (officials with no commune are kept)."""
    query = select(Official).where(Official.role.ilike(f"%{role}%"))
    if commune:
        query = query.where(Official.commune_key.in_(("", normalize(commune))))
    wanted = normalize(role)
    return [official for official in (await session.scalars(query)).all()
            if normalize(official.role) == wanted]


@kept
async def for_area(session: AsyncSession, area_key: str) -> list[Official]:
    """Officials in charge of this area (their ``areas`` name it)."""
    rows = (await session.scalars(select(Official).where(
        cast(Official.areas, String).like(f'%"{area_key}"%')))).all()
    return [official for official in rows if area_key in official.areas]


def _spans(words: list[str]) -> list[tuple[str, int, int]]:
    """Every run of words that could name a commune, with where it lies; "du Pellerin" is also
    read as "le pellerin"."""
    spans = []
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + _LONGEST_COMMUNE) + 1):
            run = words[start:end]
            if all(word in STOP_WORDS for word in run):
                continue
            spans.append((" ".join(run), start, end))
            if start and words[start - 1] in _ARTICLES:
                spans.append((" ".join([_ARTICLES[words[start - 1]], *run]), start - 1, end))
    return spans


async def communes_in(session: AsyncSession, text: str) -> list[tuple[str, str, str]]:
    """The communes a question names: (INSEE code, name, folded name). Where names overlap the
    longest wins ("Le Pellerin" rather than a "Pellerin"); homonyms are all kept."""
    spans = _spans([_ABBREVIATIONS.get(word, word) for word in normalize(text).split()])
    found = await communes_named(session, tuple(sorted({phrase for phrase, _, _ in spans})))
    known = {key for _code, _name, key in found}
    chosen: set[str] = set()
    taken: set[int] = set()
    for phrase, start, end in sorted((span for span in spans if span[0] in known),
                                     key=lambda span: span[1] - span[2]):
        if taken.isdisjoint(range(start, end)):
            chosen.add(phrase)
            taken.update(range(start, end))
    return [commune for commune in found if commune[2] in chosen]


def begins_before(place: tuple[str, ...], communes: list[tuple[str, str, str]]) -> bool:
    """Whether the place a question names has words of its own before the communes found in
    it: "Mont-de-Marsan" is not Marsan."""
    named = {word for _code, _name, key in communes for word in key.split()}
    words = [_ABBREVIATIONS.get(word, word) for word in normalize(" ".join(place)).split()]
    first = next((index for index, word in enumerate(words) if word in named), 0)
    return any(word not in STOP_WORDS for word in words[:first])


@kept
async def communes_named(session: AsyncSession, phrases: tuple[str, ...]
                         ) -> list[tuple[str, str, str]]:
    """(INSEE code, name, folded name) of the communes whose name is one of the phrases, through
    the index of folded commune names."""
    if not phrases:
        return []
    rows = await session.execute(
        select(Official.commune_code, Official.commune, Official.commune_key)
        .where(Official.commune_key.in_(phrases)).distinct())
    return sorted((code, name, key) for code, name, key in rows.all())


@kept
async def communes_like(session: AsyncSession, place: tuple[str, ...]) -> list[str]:
    """The names of the communes a place not known as written may mean, to be offered, never
    answered: those whose name starts with it ("Ancenis" for Ancenis-Saint-Géréon), else the
    closest by spelling ("Guerende") among the names sharing its first letters and about its
    length, through the index of folded names. "Toulouse" is also close to Toujouse: only the
    resident can say which they meant."""
    phrase = " ".join(_ABBREVIATIONS.get(word, word) for word in normalize(" ".join(place)).split())
    if len(phrase) < _BLOCK + 1:
        return []
    near = (await session.execute(select(Official.commune_key, Official.commune).distinct().where(
        *_prefixed(Official.commune_key, phrase, _BLOCK)))).all()
    longer = sorted({name for key, name in near if key.startswith(f"{phrase} ")})
    if longer:
        return longer[:_MAX_SUGGESTED]
    close = {key: name for key, name in near if abs(len(key) - len(phrase)) <= 2}
    best = process.extract(phrase, list(close), scorer=fuzz.ratio, score_cutoff=CLOSE_COMMUNE,
                           limit=_MAX_SUGGESTED)
    return sorted({close[key] for key, _score, _ in best})


def current(officials: Iterable[Official]) -> list[Official]:
    """The functions each person holds now. The RNE gives one row per function, earlier ones
    included: when one person (same names, same commune) has rows that began on different days,
    only those that began last are current — a 4th deputy who became the 3rd, or the mayor, is
    no longer the 4th. Rows without a start date are kept."""
    officials = list(officials)
    latest: dict[tuple[str, str, str], dt.date] = {}
    for official in officials:
        if official.function_start is not None:
            person = _person(official)
            latest[person] = max(latest.get(person, official.function_start), official.function_start)
    return [official for official in officials if official.function_start is None
            or official.function_start >= latest[_person(official)]]


def _person(official: Official) -> tuple[str, str, str]:
    return (official.commune_code, official.last_name_key, official.first_name_key)


def _rank_order(official: Official) -> tuple[int, int, str]:
    function = function_of(official.role)
    return (ORDER.index(function.kind), function.rank or 99,
            f"{official.last_name_key} {official.first_name_key}")


@kept
async def of_communes(session: AsyncSession, keys: tuple[str, ...], kind: str | None = None,
                      rank: int | None = None) -> list[Official]:
    """The officials of these communes (folded names) holding this function and rank (any if
    None), mayor first, then deputies by rank, then delegates and councillors by name."""
    rows = current(await session.scalars(select(Official).where(Official.commune_key.in_(keys))))
    wanted = [official for official in rows
              if (kind is None or function_of(official.role).kind == kind)
              and (rank is None or function_of(official.role).rank == rank)]
    return sorted(wanted, key=_rank_order)


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in content_words(normalize(text)))


def in_charge_of(officials: list[Official], phrases: list[str]) -> list[Official]:
    """The officials whose delegations cover every word of one of the phrases ("culture",
    "musées"…), inflections aside: read from the commune's own officials, not searched among
    all the country's."""
    wanted = [stems for stems in map(_stems, phrases) if stems]
    return [official for official in officials
            if any(stems <= _stems(" ".join(official.delegations)) for stems in wanted)]
