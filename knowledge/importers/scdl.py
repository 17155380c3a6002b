"""Council deliberations in the national SCDL CSV format (``COLL_NOM, DELIB_ID, DELIB_DATE,
DELIB_MATIERE_NOM, DELIB_OBJET, VOTE_POUR, VOTE_CONTRE, VOTE_ABSTENTION, DELIB_URL, ...``).

Each deliberation also creates (or refreshes) the meeting of its date. Titles are cleaned of
spreadsheet and HTML artefacts. An id seen twice in one file is reported with its lines: on
another date it is another deliberation (some files number them per council) and is kept apart;
on the same date, the later line replaces the earlier one (the writer reports it).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowledge.importers import ImportFailed, Origin, Writer, clean_text, parse_date, parse_number, read_csv
from knowledge.store import slug

REQUIRED = ("COLL_NOM", "DELIB_ID", "DELIB_DATE", "DELIB_OBJET")
DEFAULT_BODY = "Conseil municipal"
_SHOWN_REPEATS = 10


def meeting_key(collectivity: str, body: str, day: str) -> str:
    return f"meeting-{slug(collectivity, body)}-{day}"


def _line(where: str) -> str:
    return where.rsplit(" ", 1)[-1]


class _Identifiers:
    """The ids met in one file: where each was, and the repeats to report."""

    def __init__(self) -> None:
        self.seen: dict[str, list[tuple[dt.date, str]]] = {}

    def key(self, base: str, identifier: str, day: dt.date, where: str) -> str:
        """The deliberation's key: ``base``, dated when the id was met on another date."""
        earlier = self.seen.setdefault(identifier, [])
        earlier.append((day, where))
        return base if earlier[0][0] == day else f"{base}-{day.isoformat()}"

    def report(self, writer: Writer, path: Path) -> None:
        """One warning for the ids used on several dates, with their lines (the first ones);
        an id repeated on one date is one key, which the writer reports line by line."""
        repeated = {identifier: places for identifier, places in self.seen.items()
                    if len({day for day, _where in places}) > 1}
        if not repeated:
            return
        shown = [f"{identifier!r} (lines {', '.join(_line(where) for _day, where in places)})"
                 for identifier, places in list(repeated.items())[:_SHOWN_REPEATS]]
        more = len(repeated) - len(shown)
        writer.warn(f"{path.name}: {len(repeated)} DELIB_ID(s) used on several dates, kept apart "
                    f"(one deliberation per date): {'; '.join(shown)}" + (f"; and {more} more" if more else ""))


async def import_deliberations(writer: Writer, path: Path, origin: Origin,
                               body: str = DEFAULT_BODY, encoding: str | None = None) -> None:
    identifiers = _Identifiers()
    for where, record in read_csv(path, REQUIRED, encoding):
        collectivity, identifier = record["COLL_NOM"], record["DELIB_ID"]
        title = clean_text(record["DELIB_OBJET"])
        if not (collectivity and identifier and title):
            raise ImportFailed(f"{where}: COLL_NOM, DELIB_ID and DELIB_OBJET must not be empty")
        day = parse_date(record["DELIB_DATE"], where, "DELIB_DATE")
        if day is None:
            raise ImportFailed(f"{where}: DELIB_DATE is empty")
        votes = {column: parse_number(record.get(name), where, name, integer=True)
                 for column, name in (("votes_for", "VOTE_POUR"), ("votes_against", "VOTE_CONTRE"),
                                      ("votes_abstention", "VOTE_ABSTENTION"))}
        row_origin = origin.overridden(record, where)
        meeting = meeting_key(collectivity, body, day.isoformat())
        await writer.add("document", {
            "key": meeting, "kind": "meeting", "title": f"{body} — {collectivity}", "date": day,
            "body": body, "subject": "", "text": "", "meeting_key": "",
            "votes_for": None, "votes_against": None, "votes_abstention": None,
            "url": "", **row_origin.fields(),
        })
        base = f"deliberation-{slug(record.get('COLL_SIRET') or collectivity)}-{slug(identifier)}"
        await writer.add("document", {
            "key": identifiers.key(base, identifier, day, where),
            "kind": "deliberation", "title": title, "date": day, "body": body,
            "subject": clean_text(record.get("DELIB_MATIERE_NOM", "")), "text": "", "meeting_key": meeting,
            **votes, "url": record.get("DELIB_URL", ""), **row_origin.fields(),
        }, where)
    identifiers.report(writer, path)
