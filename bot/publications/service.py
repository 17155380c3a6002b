"""Publishing: check the request against the city's settings, store the publication and its
outbox rows in one transaction, and report delivery progress."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.api.requests import RequestError
from bot.config import Settings
from bot.db import as_utc, utcnow
from bot.publications.models import Publication
from bot.publications.schema import Progress, PublicationIn, PublicationOut, PublicationStatus, Text, Title

if TYPE_CHECKING:
    from bot.app import CivicBot


def known_topics(topics: list[str], settings: Settings) -> list[str]:
    """The topics without repeats, or RequestError naming one the city does not have."""
    for number, topic in enumerate(topics):
        if topic not in settings.topics:
            raise RequestError(f"topics[{number}]",
                                   f"unknown topic {topic!r}; known topics: {', '.join(settings.topics)}")
    return list(dict.fromkeys(topics))


def _schedule(request: PublicationIn, now: datetime) -> datetime | None:
    """The delivery time in UTC; None for now (no time, or one already past)."""
    if request.scheduled_at is None:
        return None
    moment = as_utc(request.scheduled_at)
    return moment if moment > now else None


async def publish(session: AsyncSession, request: PublicationIn, bot: CivicBot,
                  published_by: str) -> Publication:
    """Store the publication and one outbox row per recipient, queued by each feature that
    reaches residents (its ``audience``: chat subscribers, e-mail addresses); the caller
    commits, then calls :func:`bot.outbox.notify`."""
    settings = bot.settings
    if not (request.topics or request.areas or request.officials):
        raise RequestError("topics", "give at least one topic, area or official to say who receives it")
    now = utcnow()
    publication = Publication(
        kind=request.kind, title_fr=request.title.fr, title_en=request.title.en,
        text_fr=request.text.fr, text_en=request.text.en,
        link=request.link,
        topics=known_topics(request.topics, settings), areas=list(dict.fromkeys(request.areas)),
        officials=list(dict.fromkeys(request.officials)), scheduled_at=_schedule(request, now),
        created_at=now, published_by=published_by[:100],
    )
    session.add(publication)
    await session.flush()
    publication.targeted = 0
    for feature in bot.features:
        if feature.audience:
            publication.targeted += await feature.audience(bot, session, publication)
    return publication


async def progress_of(session: AsyncSession, publications: list[Publication]) -> dict[int, Progress]:
    counts = await outbox.batch_counts(session, [publication.batch for publication in publications
                                                 if publication.final_counts is None])
    progress: dict[int, Progress] = {}
    for publication in publications:
        found = publication.final_counts or counts[publication.batch]  # kept when rows were purged
        progress[publication.id] = Progress(
            targeted=publication.targeted, sent=found[outbox.SENT], pending=found[outbox.PENDING],
            failed=found[outbox.FAILED], blocked=found[outbox.BLOCKED],
            cancelled=max(0, publication.targeted - sum(found.values())),
        )
    return progress


def describe(publication: Publication, progress: Progress, now: datetime | None = None) -> PublicationOut:
    now = now or utcnow()
    scheduled = as_utc(publication.scheduled_at) if publication.scheduled_at else None
    status: PublicationStatus
    if progress.pending == 0:
        status = "done"
    elif scheduled and scheduled > now and progress.sent == 0:
        status = "scheduled"
    else:
        status = "delivering"
    return PublicationOut(
        id=publication.id, kind=publication.kind,
        title=Title(fr=publication.title_fr, en=publication.title_en),
        text=Text(fr=publication.text_fr, en=publication.text_en), link=publication.link,
        topics=publication.topics, areas=publication.areas, officials=publication.officials,
        scheduled_at=scheduled, created_at=as_utc(publication.created_at),
        published_by=publication.published_by, status=status, progress=progress,
    )


async def find(session: AsyncSession, publication_id: int) -> PublicationOut | None:
    publication = await session.get(Publication, publication_id)
    if publication is None:
        return None
    return describe(publication, (await progress_of(session, [publication]))[publication.id])


async def recent(session: AsyncSession, limit: int,
                 before: int | None = None) -> tuple[list[PublicationOut], int | None]:
    """The newest publications (older than id ``before``), and the cursor of the next page."""
    query = select(Publication).order_by(Publication.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(Publication.id < before)
    publications = list((await session.execute(query)).scalars())
    more = len(publications) > limit
    publications = publications[:limit]
    progress = await progress_of(session, publications)
    described = [describe(publication, progress[publication.id]) for publication in publications]
    return described, (publications[-1].id if more else None)
