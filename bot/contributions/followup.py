"""What became of a contribution: status changes, their history, and telling the people who follow.

Statuses come from the Open311 back end (polled with ``GET requests.json``; batch tokens are
resolved first) or from the city through the HTTP API. Each change is recorded in the history
and pushed to the author when they opted in, and to the residents who support and follow it.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions import notify
from bot.contributions.categories import client_for
from bot.contributions.documents import aware
from bot.contributions.models import Contribution, Support
from bot.contributions.store import CLOSED, Link, add_event, enqueue_forward, forward_target, participation_key
from bot.db import affected_rows, utcnow
from connectors.open311 import Open311Client, Open311Error

if TYPE_CHECKING:
    from bot.app import CivicBot
    from bot.models import User

log = logging.getLogger(__name__)
STATUS_CHUNK = 50


async def followers(session: AsyncSession, contribution: Contribution) -> list[tuple[int | None, str, str, str]]:
    """(user_id, platform, chat_id, language) of the author and supporters who want news."""
    rows = [(contribution.user_id, contribution.platform, contribution.chat_id, contribution.language)]
    query = select(Support.user_id, Support.platform, Support.chat_id, Support.language).where(
        Support.contribution_id == contribution.id, Support.chat_id.is_not(None))
    rows += [tuple(row) for row in await session.execute(query)]
    seen: set[tuple[str, str]] = set()
    unique = []
    for user_id, platform, chat_id, language in rows:
        if platform and chat_id and (platform, chat_id) not in seen:
            seen.add((platform, chat_id))
            unique.append((user_id, platform, chat_id, language or "fr"))
    return unique


async def announce(bot: CivicBot, session: AsyncSession, contribution: Contribution,
                   key: str, **values: object) -> None:
    """Tell the followers of a contribution ``contributions.notify.<key>``, each in their language."""
    for user_id, platform, chat_id, lang in await followers(session, contribution):
        status = bot.catalog.get(f"contributions.status.{contribution.status}", lang)
        text = bot.catalog.get(f"contributions.notify.{key}", lang, reference=contribution.reference,
                               status=status, notes=contribution.status_notes or "",
                               label=contribution.title or contribution.category_label, **values)
        notify.send_later(session, user_id=user_id, platform=platform, chat_id=chat_id, text=text,
                          language=lang, batch=f"contribution:{contribution.id}")


async def record_status(bot: CivicBot, session: AsyncSession, contribution: Contribution,
                        status: str, notes: str | None = None, source: str = "city") -> bool:
    """Set a new status or note; record it and tell the followers. False when nothing changed."""
    notes = (notes or "").strip() or None
    if status == contribution.status and (notes is None or notes == contribution.status_notes):
        return False
    contribution.status = status
    if notes is not None:
        contribution.status_notes = notes
    add_event(session, contribution, status, notes, source)
    await announce(bot, session, contribution, "notes" if notes else "status")
    return True


async def _resolve_tokens(bot: CivicBot, client: Open311Client) -> None:
    async with bot.sessions() as session:
        waiting = (await session.execute(select(Contribution).where(
            Contribution.target == "open311", Contribution.remote_id.is_(None),
            Contribution.remote_token.is_not(None)))).scalars().all()
        for contribution in waiting:
            assert contribution.remote_token is not None  # as the query asks
            contribution.remote_id = await client.resolve_token(contribution.remote_token)
            await session.commit()


async def _update_statuses(bot: CivicBot, client: Open311Client) -> int:
    async with bot.sessions() as session:
        followed = (await session.execute(select(Contribution.id, Contribution.remote_id).where(
            Contribution.target == "open311", Contribution.remote_id.is_not(None),
            Contribution.status != CLOSED).order_by(Contribution.id))).all()
    changed = 0
    for start in range(0, len(followed), STATUS_CHUNK):
        chunk = dict((remote_id, local_id) for local_id, remote_id in followed[start:start + STATUS_CHUNK])
        statuses = await client.statuses(list(chunk))
        async with bot.sessions() as session:
            for remote in statuses:
                contribution = await session.get(Contribution, chunk.get(remote.service_request_id))
                if contribution is None or remote.status not in ("open", CLOSED):
                    continue
                if remote.updated_datetime and contribution.remote_updated_at \
                        and remote.updated_datetime <= aware(contribution.remote_updated_at):
                    continue
                contribution.remote_updated_at = remote.updated_datetime
                changed += await record_status(bot, session, contribution, remote.status,
                                               remote.status_notes)
            await session.commit()
    return changed


async def poll_open311(bot: CivicBot) -> int:
    """Resolve batch tokens and follow statuses; the number of contributions that changed."""
    if not bot.settings.open311_url:
        return 0
    try:
        async with client_for(bot) as client:
            await _resolve_tokens(bot, client)
            return await _update_statuses(bot, client)
    except Open311Error as error:
        log.warning("open311: statuses not followed this time (%s)", error)
        return 0


async def add_support(bot: CivicBot, session: AsyncSession, contribution: Contribution,
                      user: User, link: Link) -> bool:
    """A "+1" from this resident; False when they already supported it.

    An idea that reaches ``idea_support_threshold`` is sent to the city's back end, once, and
    its followers are told.
    """
    support = Support(contribution_id=contribution.id,
                      supporter_key=participation_key(bot, user, f"support:{contribution.id}"))
    link.apply(support)
    try:
        async with session.begin_nested():
            session.add(support)
    except IntegrityError:
        return False
    await session.execute(update(Contribution).where(Contribution.id == contribution.id)
                          .values(support_count=Contribution.support_count + 1))
    await session.refresh(contribution, ["support_count"])
    threshold = bot.settings.idea_support_threshold
    if contribution.kind != "idea" or threshold <= 0 or contribution.support_count < threshold:
        return True
    first = await session.execute(
        update(Contribution).where(Contribution.id == contribution.id,
                                   Contribution.city_notified_at.is_(None))
        .values(city_notified_at=utcnow()))
    if affected_rows(first):
        add_event(session, contribution, "threshold", str(contribution.support_count))
        enqueue_forward(session, forward_target(bot.settings, "idea"), "idea.threshold_reached",
                        contribution.id, supports=contribution.support_count)
        await announce(bot, session, contribution, "threshold", supports=contribution.support_count)
    return True
