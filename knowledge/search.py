"""Full-text search over the knowledge base: one interface, two backends.

1. The query is folded like the indexed text (no accents, no elisions) and cut into words.
2. Misspelt words are corrected against the index's vocabulary (``kb_search_terms``).
3. The backend finds candidates: SQLite FTS5 (bm25) or PostgreSQL full-text (``civicbot_fr``,
   French stemming) — rows with every word first, then rows with any word (in titles only when
   that would be too many rows to rank). Words match by prefix of a light stem, so plurals
   find singulars.
4. rapidfuzz re-ranks the candidates by how well they cover the query's words.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import STOP_WORDS, normalize
from knowledge.cache import kept
from knowledge.equivalents import variants
from knowledge.models import SearchTerm

CANDIDATES = 40
_MIN_TYPO_WORD = 4
_MIN_PREFIX_WORD = 4
_WORD_MATCH = 80  # rapidfuzz ratio for a query word to count as found in a candidate

BROAD_MATCHES = 5000  # an any-word query matching more rows than this searches titles only

_SQLITE = text(
    "SELECT s.kind, s.ref_key, s.title, substr(s.body, 1, 400) AS body FROM ("
    "SELECT rowid, rank FROM kb_search_fts WHERE kb_search_fts MATCH :query "
    "ORDER BY rank LIMIT :limit) f JOIN kb_search s ON s.id = f.rowid ORDER BY f.rank")
_SQLITE_COUNT = text("SELECT count(*) FROM kb_search_fts WHERE kb_search_fts MATCH :query")
_POSTGRESQL = text(
    "SELECT s.kind, s.ref_key, s.title, substr(s.body, 1, 400) AS body "
    "FROM kb_search s, to_tsquery('civicbot_fr', :query) q "
    "WHERE s.tsv @@ q AND s.kind IN :kinds "
    "ORDER BY ts_rank(s.tsv, q) DESC LIMIT :limit").bindparams(bindparam("kinds", expanding=True))
_POSTGRESQL_COUNT = text(
    "SELECT count(*) FROM kb_search s, to_tsquery('civicbot_fr', :query) q "
    "WHERE s.tsv @@ q AND s.kind IN :kinds").bindparams(bindparam("kinds", expanding=True))
KINDS: tuple[str, ...] = ("fact", "dataset", "document", "service", "official")


@dataclass(frozen=True)
class Hit:
    kind: str
    key: str
    title: str  # folded
    score: float  # 0-100: how well the hit covers the query
    matched: frozenset[str]  # the query's words found in the hit
    words: tuple[str, ...]  # the query's words, as searched
    unknown: frozenset[str] = frozenset()  # the words the index holds nowhere

    @property
    def covers_all(self) -> bool:
        return len(self.matched) == len(self.words)

    @property
    def coverage(self) -> float:
        """The share of the query's words the hit holds."""
        return len(self.matched) / len(self.words) if self.words else 0.0


def query_words(query: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The searchable words of a query: folded, without stop words nor ``ignore`` words."""
    return [word for word in normalize(query).split()
            if word not in STOP_WORDS and word not in ignore and (len(word) > 1 or word.isdigit())]


def _stem(word: str) -> str:
    """A light French/English stem for prefix matching: plurals find singulars."""
    if len(word) > _MIN_PREFIX_WORD and word[-1] in "sx" and not word.isdigit():
        return word[:-1]
    return word


def _next_prefix(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@kept
async def correct(session: AsyncSession, words: list[str]) -> list[str]:
    """Replace each word unknown to the index by the closest known word, if close enough (kept:
    residents' messages repeat the same words, and each unknown one costs a query)."""
    if not words:
        return words
    known = await known_terms(session, words)
    corrected = []
    for word in words:
        if word in known or len(word) < _MIN_TYPO_WORD or word.isdigit():
            corrected.append(word)
            continue
        nearby = (await session.scalars(select(SearchTerm.term).where(
            SearchTerm.term >= word[0], SearchTerm.term < _next_prefix(word[0]),
            func.length(SearchTerm.term).between(len(word) - 2, len(word) + 2)))).all()
        best = process.extractOne(word, nearby, scorer=Levenshtein.normalized_similarity,
                                  score_cutoff=0.7)
        corrected.append(best[0] if best else word)
    return corrected


class _Backend:
    """The full-text query language and statements of the session's database."""

    def __init__(self, session: AsyncSession, kinds: tuple[str, ...]) -> None:
        self.session = session
        self.kinds = kinds
        self.postgresql = session.get_bind().dialect.name == "postgresql"

    def expression(self, words: list[str], every: bool, titles_only: bool = False) -> str:
        terms = []
        for word in words:
            stem = _stem(word)
            prefix = len(stem) >= _MIN_PREFIX_WORD
            if self.postgresql:
                terms.append(stem + (":*" if prefix else ":") + ("A" if titles_only else ""))
            else:
                terms.append(f'"{stem}"*' if prefix else f'"{stem}"')
        if self.postgresql:
            return (" & " if every else " | ").join(term.rstrip(":") for term in terms)
        joined = (" AND " if every else " OR ").join(terms)
        if titles_only:
            joined = f"title : ({joined})"
        if set(self.kinds) != set(KINDS):
            joined = f"({joined}) AND kind : ({' OR '.join(self.kinds)})"
        return joined

    def _parameters(self, expression: str) -> dict:
        return {"query": expression, "kinds": list(self.kinds)} if self.postgresql else {
            "query": expression}

    async def rows(self, expression: str) -> list:
        statement = _POSTGRESQL if self.postgresql else _SQLITE
        return list((await self.session.execute(
            statement, {**self._parameters(expression), "limit": CANDIDATES})).all())

    async def count(self, expression: str) -> int:
        statement = _POSTGRESQL_COUNT if self.postgresql else _SQLITE_COUNT
        return (await self.session.execute(statement, self._parameters(expression))).scalar_one()


async def _candidates(backend: _Backend, words: list[str]) -> list:
    """Rows with every word first (few, relevant, fast), then rows with any word — only in
    titles when that would be too many rows to rank."""
    rows = await backend.rows(backend.expression(words, every=True)) if len(words) > 1 else []
    if len(rows) < CANDIDATES:
        broad = backend.expression(words, every=False)
        if await backend.count(broad) > BROAD_MATCHES:
            broad = backend.expression(words, every=False, titles_only=True)
        seen = {row.ref_key for row in rows}
        rows += [row for row in await backend.rows(broad) if row.ref_key not in seen]
    return rows[:CANDIDATES]


def matched_words(words: list[str] | tuple[str, ...], title: str, body: str,
                  known: frozenset[str] = frozenset()) -> frozenset[str]:
    """The query's (folded) words found in a folded title or body: whole, by stem, or misspelt.
    A word the index knows (``known``) was not misspelt: it is found whole or by stem only
    ("archives" is not "marches")."""
    candidate_words = set(f"{title} {body}".split())
    found = set()
    for word in words:
        stem = _stem(word)
        if word in candidate_words or any(other.startswith(stem) for other in candidate_words
                                          if len(stem) >= _MIN_PREFIX_WORD) or (
                word not in known and len(word) >= _MIN_TYPO_WORD and process.extractOne(
                    word, candidate_words, scorer=fuzz.ratio, score_cutoff=_WORD_MATCH)):
            found.add(word)
    return frozenset(found)


async def known_terms(session: AsyncSession, words: list[str]) -> frozenset[str]:
    """The words the index's vocabulary holds."""
    return frozenset((await session.scalars(
        select(SearchTerm.term).where(SearchTerm.term.in_(words)))).all()) if words else frozenset()


@kept
async def search(session: AsyncSession, query: str, kinds: tuple[str, ...] = KINDS,
                 limit: int = 5, ignore: frozenset[str] = frozenset()) -> list[Hit]:
    """The best hits for a query among the given kinds, best first (kept: :mod:`knowledge.cache`).
    When no hit holds every word, the query's other wordings (:mod:`knowledge.equivalents`) are
    searched too, and each row keeps its best score."""
    hits = await _search_words(session, query_words(query, ignore), kinds)
    if not any(hit.covers_all for hit in hits):
        wordings = variants(query)
        known = await known_terms(session, [word for wording in wordings for word in wording.replacement])
        for wording in wordings:
            if set(wording.replacement) <= known:
                hits += await _search_words(session, query_words(wording.text, ignore), kinds)
    best: dict[str, Hit] = {}
    for hit in hits:
        if hit.key not in best or hit.score > best[hit.key].score:
            best[hit.key] = hit
    return sorted(best.values(), key=lambda hit: -hit.score)[:limit]


async def _search_words(session: AsyncSession, words: list[str], kinds: tuple[str, ...]) -> list[Hit]:
    words = await correct(session, words)
    if not words:
        return []
    rows = await _candidates(_Backend(session, kinds), words)
    joined = " ".join(words)
    known = await known_terms(session, words)
    hits = []
    for rank, (kind, key, title, body) in enumerate(rows):
        matched = matched_words(words, title, body, known)
        coverage = 100 * len(matched) / len(words)
        closeness = fuzz.token_set_ratio(joined, title)
        score = 0.6 * coverage + 0.4 * closeness - rank * 0.01  # backend order breaks ties
        hits.append(Hit(kind, key, title, max(score, 0.0), matched, tuple(words),
                        frozenset(words) - known))
    return hits


def relevant(hits: list[Hit], share: float = 0.5, whole_subject: bool = False) -> list[Hit]:
    """The hits that cover the largest share of the query's words, if that is at least
    ``share``: when one hit covers every word, one covering only some is not shown beside it.
    With ``whole_subject``, a hit that lacks a word the index knows elsewhere is about something
    else ("cartes d'achat" is not every deliberation about "achat"): only words found nowhere
    (a typo, a word no source uses) may be missing."""
    if whole_subject:
        hits = [hit for hit in hits if set(hit.words) - hit.matched <= hit.unknown]
    best = max((hit.coverage for hit in hits), default=0.0)
    if not hits or best < share:
        return []
    return [hit for hit in hits if hit.coverage == best]


@kept
async def rows_of(session: AsyncSession, model: type[Any], hits: list[Hit]) -> list:
    """The rows of ``model`` the hits point to, in the hits' order."""
    keys = [hit.key for hit in hits]
    if not keys:
        return []
    rows = {row.key: row for row in (await session.scalars(
        select(model).where(model.key.in_(keys)))).all()}
    return [rows[key] for key in keys if key in rows]
