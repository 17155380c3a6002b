"""Helpers for the e-mail tests: settings that send through the loopback SMTP server, a
publication from real council deliberations, the links of a received e-mail."""
from __future__ import annotations

import csv
import json
import re
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from bot.app import CivicBot
from bot.email import store
from bot.email.links import CONFIRM, Links
from bot.email.models import EmailAddress
from bot.publications import service
from bot.publications.schema import parse_publication
from tests.support.data import real_data

DELIBERATIONS = "derived/montpellier-delibs-scdl-mapped.csv"
_URL = re.compile(r"https?://[^\s<>\"]+")


def council_session(rows: int = 3) -> dict[str, str]:
    """A council summary made of real deliberations: the date and the first titles of one council."""
    with real_data(DELIBERATIONS).open(encoding="utf-8", newline="") as file:
        records = list(csv.DictReader(file, delimiter=";"))[:rows]
    return {"date": records[0]["DELIB_DATE"], "titles": "\n\n".join(r["DELIB_OBJET"] for r in records),
            "first": records[0]["DELIB_OBJET"]}


async def publish(bot: CivicBot, title: str, text: str, *, topics: list[str] | None = None,
                  areas: list[str] | None = None, link: str | None = None, kind: str = "council_summary") -> int:
    """Publish as the city does (the API's checks); how many recipients it targets."""
    request = {"kind": kind, "title": {"fr": title}, "text": {"fr": text}, "topics": topics or [],
               "areas": areas or []}
    if link:
        request["link"] = link
    async with bot.sessions() as session:
        publication = await service.publish(session, parse_publication(json.dumps(request)), bot, "test")
        await session.commit()
        return publication.targeted


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    return part.get_content()


def link(message: EmailMessage, path: str) -> str:
    """The link of the plain-text part that goes to ``path`` (e.g. "/email/confirm")."""
    found = [url for url in _URL.findall(body(message, "plain")) if path in url]
    assert found, f"no {path} link in the e-mail"
    return found[0]


async def addresses(bot: CivicBot) -> list[EmailAddress]:
    """Every address row, whoever it is for."""
    async with bot.sessions() as session:
        return list((await session.execute(select(EmailAddress))).scalars())


async def confirm(bot: CivicBot, url: str) -> str | None:
    """What opening a confirmation link does, without a web server."""
    token = parse_qs(urlsplit(url).query)["t"][0]
    async with bot.sessions() as session:
        outcome = await store.confirm(session, Links(bot.settings).read(CONFIRM, token))
        await session.commit()
    return outcome
