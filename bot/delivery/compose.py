"""From outbox rows to the message a resident receives.

Three kinds of rows are delivered to a chat:

- ``message``: a ready text (``{"text", "choices"?, "language"?}``), e.g. news of a contribution;
- ``publication``: ``{"publication": id, "lang", "quiet"}``, rendered when sent, so that a
  publication to 100,000 residents is stored once;
- ``digest``: the same for a daily or weekly digest (``"frequency"``); all of a resident's due
  digest rows go out as one message.

``quiet`` is the resident's quiet hours when enqueued: a row that comes due inside them (a long
broadcast running into the evening) waits for their end.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Catalog
from bot.messages import Choice, Reply
from bot.outbox import MESSAGE, PUBLICATION, OutboxEntry
from bot.publications.models import Publication
from bot.publications.render import render_digest, render_publication
from bot.subscriptions.schedule import DeliveryClock, QuietHours

CACHE_SIZE = 256


class Undeliverable(Exception):
    """A row that can never become a message (malformed payload, unknown publication)."""


class Composer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: Catalog,
                 clock: DeliveryClock) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.clock = clock
        self._publications: OrderedDict[int, Publication | None] = OrderedDict()

    def deferral(self, entry: OutboxEntry, now: datetime) -> datetime | None:
        """The end of the resident's quiet hours when ``now`` falls in them, else None."""
        try:
            quiet = QuietHours.parse(entry.payload.get("quiet"))
        except ValueError:
            return None
        if quiet is None:
            return None
        allowed = quiet.next_allowed(now, self.clock.zone)
        return allowed if allowed > now else None

    async def reply(self, entries: Sequence[OutboxEntry]) -> Reply:
        """The message for one row, or for a resident's due digest rows together."""
        first = entries[0]
        payload = first.payload if isinstance(first.payload, dict) else {}
        if first.kind == MESSAGE:
            return self._message(payload)
        wanted = str(payload.get("lang") or "fr")
        publications = [await self._publication(entry.payload) for entry in entries]
        if first.kind == PUBLICATION:
            return render_publication(publications[0], wanted, self.catalog)
        frequency = payload.get("frequency")
        if frequency not in ("daily", "weekly"):
            raise Undeliverable(f"digest row without a frequency: {frequency!r}")
        publications.sort(key=lambda publication: publication.id)
        return render_digest(publications, wanted, frequency, self.catalog)

    @staticmethod
    def _message(payload: dict) -> Reply:
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Undeliverable("message row without a text")
        choices = [Choice(str(label), str(value)) for label, value in payload.get("choices") or []]
        language = payload["language"] if payload.get("language") in ("fr", "en") else "fr"
        return Reply(text, choices, language=language)

    async def _publication(self, payload: dict) -> Publication:
        publication_id = payload.get("publication") if isinstance(payload, dict) else None
        if not isinstance(publication_id, int):
            raise Undeliverable(f"row without a publication id: {publication_id!r}")
        if publication_id not in self._publications:
            async with self.sessions() as session:
                found = (await session.execute(
                    select(Publication).where(Publication.id == publication_id)
                )).scalar_one_or_none()
            self._publications[publication_id] = found
            if len(self._publications) > CACHE_SIZE:
                self._publications.popitem(last=False)
        publication = self._publications[publication_id]
        if publication is None:
            raise Undeliverable(f"publication {publication_id} does not exist")
        return publication
