"""Council deliberations in the national SCDL CSV format (``COLL_NOM, DELIB_ID, DELIB_DATE,
DELIB_MATIERE_NOM, DELIB_OBJET, VOTE_POUR, VOTE_CONTRE, VOTE_ABSTENTION, DELIB_URL, ...``).

Each deliberation also creates (or refreshes) the meeting of its date.
"""
from __future__ import annotations

from pathlib import Path

from knowledge.importers import ImportFailed, Origin, Writer, parse_date, parse_number, read_csv
from knowledge.store import slug

REQUIRED = ("COLL_NOM", "DELIB_ID", "DELIB_DATE", "DELIB_OBJET")
DEFAULT_BODY = "Conseil municipal"


def meeting_key(collectivity: str, body: str, day: str) -> str:
    return f"meeting-{slug(collectivity, body)}-{day}"


async def import_deliberations(writer: Writer, path: Path, origin: Origin,
                               body: str = DEFAULT_BODY, encoding: str = "utf-8-sig") -> None:
    for where, record in read_csv(path, REQUIRED, encoding):
        collectivity, identifier = record["COLL_NOM"], record["DELIB_ID"]
        title = record["DELIB_OBJET"]
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
        await writer.add("document", {
            "key": f"deliberation-{slug(record.get('COLL_SIRET') or collectivity)}-{slug(identifier)}",
            "kind": "deliberation", "title": title, "date": day, "body": body,
            "subject": record.get("DELIB_MATIERE_NOM", ""), "text": "", "meeting_key": meeting,
            **votes, "url": record.get("DELIB_URL", ""), **row_origin.fields(),
        }, where)
