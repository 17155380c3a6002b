"""Polls and consultations: open ones, votes (one per resident, changeable until the close),
opinions, results, and publishing the results to the participants who asked for news."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions import notify
from bot.contributions.documents import aware, iso
from bot.contributions.models import Opinion, Poll, PollOption, Vote
from bot.contributions.store import Link, participation_key
from bot.db import affected_rows, utcnow

if TYPE_CHECKING:
    from bot.app import CivicBot
    from bot.models import User


def localized(texts: dict, lang: str) -> str:
    """The text in ``lang``, else French, else whatever the city gave."""
    return texts.get(lang) or texts.get("fr") or next(iter(texts.values()), "")


def city_time(bot: CivicBot, moment: datetime) -> str:
    return aware(moment).astimezone(ZoneInfo(bot.settings.timezone)).strftime("%d/%m/%Y %H:%M")


def is_open(poll: Poll, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return aware(poll.opens_at) <= now < aware(poll.closes_at)


async def open_polls(session: AsyncSession, area: str | None = None) -> list[Poll]:
    """Polls open now; with ``area`` known, those of the whole city or of that quartier."""
    now = utcnow()
    polls = (await session.execute(select(Poll).where(Poll.opens_at <= now, Poll.closes_at > now)
                                   .order_by(Poll.closes_at, Poll.id))).scalars().all()
    return [poll for poll in polls if not poll.areas or area is None or area in poll.areas]


async def options_of(session: AsyncSession, poll: Poll) -> list[PollOption]:
    return list((await session.execute(select(PollOption).where(PollOption.poll_id == poll.id)
                                       .order_by(PollOption.position))).scalars())


async def current_vote(bot: CivicBot, session: AsyncSession, poll: Poll, user: User) -> Vote | None:
    key = participation_key(bot, user, f"poll:{poll.id}")
    return await session.scalar(select(Vote).where(Vote.poll_id == poll.id, Vote.voter_key == key))


async def cast_vote(bot: CivicBot, session: AsyncSession, poll: Poll, option: PollOption,
                    user: User, link: Link, opinion: str | None) -> Vote:
    """Record or change this resident's vote (and opinion, when they give one)."""
    vote = await current_vote(bot, session, poll, user)
    if vote is None:
        vote = Vote(poll_id=poll.id, option_id=option.id,
                    voter_key=participation_key(bot, user, f"poll:{poll.id}"))
        session.add(vote)
    vote.option_id = option.id
    link.apply(vote)
    await session.flush()
    if opinion:
        existing = await session.scalar(select(Opinion).where(Opinion.vote_id == vote.id))
        if existing is None:
            session.add(Opinion(poll_id=poll.id, vote_id=vote.id, text=opinion))
        else:
            existing.text = opinion
    return vote


async def results(session: AsyncSession, poll: Poll) -> list[tuple[PollOption, int]]:
    counts = dict((await session.execute(
        select(Vote.option_id, func.count()).where(Vote.poll_id == poll.id).group_by(Vote.option_id))).tuples().all())
    return [(option, counts.get(option.id, 0)) for option in await options_of(session, poll)]


def results_text(poll_results: list[tuple[PollOption, int]], lang: str) -> str:
    total = sum(count for _option, count in poll_results) or 1
    return "\n".join(f"- {localized(option.label, lang)} : {count} ({100 * count / total:.0f} %)"
                     for option, count in poll_results)


async def poll_json(session: AsyncSession, poll: Poll, with_results: bool = True) -> dict:
    document = {"id": poll.id, "kind": poll.kind, "question": poll.question,
                "opens_at": iso(poll.opens_at), "closes_at": iso(poll.closes_at),
                "areas": poll.areas, "allow_opinion": poll.allow_opinion,
                "results_published_at": iso(poll.results_published_at)}
    if with_results:
        counted = await results(session, poll)
        document["options"] = [{"id": option.id, "label": option.label, "votes": count}
                               for option, count in counted]
        document["opinions"] = list((await session.execute(
            select(Opinion.text).where(Opinion.poll_id == poll.id).order_by(Opinion.id))).scalars())
    else:
        document["options"] = [{"id": option.id, "label": option.label}
                               for option in await options_of(session, poll)]
    return document


async def publish_due_results(bot: CivicBot) -> int:
    """Close the polls whose time is up: results to the participants who want news, and the
    keys that let a resident change their vote are cleared (no longer needed). How many closed."""
    async with bot.sessions() as session:
        due = (await session.execute(select(Poll).where(
            Poll.closes_at <= utcnow(), Poll.results_published_at.is_(None)))).scalars().all()
        for poll in due:
            counted = await results(session, poll)
            recipients = (await session.execute(select(Vote.user_id, Vote.platform, Vote.chat_id, Vote.language)
                                                .where(Vote.poll_id == poll.id, Vote.chat_id.is_not(None)))).all()
            for user_id, platform, chat_id, lang in recipients:
                lang = lang or "fr"
                text = bot.catalog.get("contributions.notify.poll_results", lang,
                                       question=localized(poll.question, lang),
                                       results=results_text(counted, lang))
                notify.send_later(session, user_id=user_id, platform=platform, chat_id=chat_id,
                                  text=text, language=lang, batch=f"poll:{poll.id}")
            await session.execute(update(Vote).where(Vote.poll_id == poll.id).values(voter_key=None))
            poll.results_published_at = utcnow()
        await session.commit()
        return len(due)


async def withdraw_open_votes(bot: CivicBot, session: AsyncSession, user: User) -> int:
    """Erasure: the resident's votes in polls still open are withdrawn (with their opinions).

    Kept, a vote whose key is cleared could be cast a second time; withdrawn, the poll counts
    only votes that someone stands behind. Votes in closed polls stay, unlinked.
    """
    polls = (await session.execute(select(Poll.id).where(Poll.results_published_at.is_(None)))).scalars().all()
    keys = [participation_key(bot, user, f"poll:{poll_id}") for poll_id in polls]
    if not keys:
        return 0
    result = await session.execute(delete(Vote).where(Vote.voter_key.in_(keys)))
    return affected_rows(result)


async def create_poll(session: AsyncSession, *, question: dict, options: list[dict], opens_at: datetime,
                      closes_at: datetime, kind: str = "poll", areas: list[str] | None = None,
                      allow_opinion: bool = True) -> Poll:
    """A poll with its options (labels ``{"fr": ..., "en"?: ...}``), in the caller's transaction."""
    poll = Poll(kind=kind, question=question, opens_at=opens_at, closes_at=closes_at,
                areas=list(areas or []), allow_opinion=allow_opinion)
    session.add(poll)
    await session.flush()
    session.add_all(PollOption(poll_id=poll.id, position=position, label=label)
                    for position, label in enumerate(options))
    await session.flush()
    return poll
