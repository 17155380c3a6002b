"""my_contributions: every report, idea, support, vote and opinion of the resident, with its
current status and the city's notes; ``/contributions S-XXXXXX`` shows one's whole history."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, or_, select

from bot.context import Context
from bot.contributions.documents import aware
from bot.contributions.models import Contribution, ContributionEvent, Opinion, Poll, PollOption, Support, Vote
from bot.contributions.polls import city_time, localized
from bot.messages import Choice, Reply

NAME = "my_contributions"
PAGE_SIZE = 15
REFERENCE = re.compile(r"\b([SI]-[A-Z0-9]{6})\b", re.IGNORECASE)
_PAGE = re.compile(r"\bpage\s+(\d{1,4})\b", re.IGNORECASE)


async def handle(ctx: Context) -> Reply:
    reference = REFERENCE.search(ctx.text)
    if reference:
        return await _history(ctx, reference.group(1).upper())
    page = _PAGE.search(ctx.text)
    return await _listing(ctx, int(page.group(1)) if page else 1)


def _date(ctx: Context, moment: datetime) -> str:
    return city_time(ctx.bot, moment).split(" ")[0]


def _status(ctx: Context, contribution: Contribution) -> str:
    status = ctx.t(f"contributions.status.{contribution.status}")
    if contribution.status_notes:
        status += " — " + ctx.t("city_note", notes=contribution.status_notes)
    return status


# Built once: building a statement costs about as much as running it.
_OWN = select(Contribution).where(Contribution.user_id == bindparam("user_id"))
_SUPPORTED = (select(Support, Contribution).join(Contribution, Contribution.id == Support.contribution_id)
              .where(Support.user_id == bindparam("user_id")))
_VOTES = (select(Vote, Poll, PollOption, Opinion.text).join(Poll, Poll.id == Vote.poll_id)
          .join(PollOption, PollOption.id == Vote.option_id)
          .outerjoin(Opinion, Opinion.vote_id == Vote.id).where(Vote.user_id == bindparam("user_id")))


async def _lines(ctx: Context) -> list[tuple[datetime, str]]:
    session, mine = ctx.session, {"user_id": ctx.user.id}
    lines = []
    for item in (await session.execute(_OWN, mine)).scalars():
        lines.append((item.created_at, ctx.t(f"line_{item.kind}", reference=item.reference,
                                             label=item.title or item.category_label,
                                             date=_date(ctx, item.created_at), status=_status(ctx, item),
                                             supports=item.support_count)))
    for support, item in await session.execute(_SUPPORTED, mine):
        lines.append((support.created_at, ctx.t("line_support", reference=item.reference,
                                                label=item.title or item.category_label,
                                                date=_date(ctx, support.created_at), status=_status(ctx, item))))
    for vote, poll, option, opinion in await session.execute(_VOTES, mine):
        state = ctx.t("poll_closed") if poll.results_published_at else ctx.t(
            "poll_open", closes=city_time(ctx.bot, poll.closes_at))
        line = ctx.t("line_vote", question=localized(poll.question, ctx.lang),
                     option=localized(option.label, ctx.lang), date=_date(ctx, vote.updated_at), state=state)
        if opinion:
            line += "\n  " + ctx.t("line_opinion", opinion=opinion)
        lines.append((vote.updated_at, line))
    return sorted(lines, key=lambda pair: aware(pair[0]), reverse=True)


async def _listing(ctx: Context, page: int) -> Reply:
    lines = await _lines(ctx)
    choices = [ctx.intent_choice("report_problem"), ctx.intent_choice("propose_idea"),
               ctx.intent_choice("vote")]
    if not lines:
        return ctx.reply(ctx.t("none"), choices)
    pages = (len(lines) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    shown = [text for _when, text in lines[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
    text = ctx.t("header", count=len(lines)) + "\n\n" + "\n".join(shown)
    if pages > 1:
        text += "\n\n" + ctx.t("page", page=page, pages=pages)
    if page < pages:
        choices.insert(0, Choice(ctx.t("next_page"), f"/contributions page {page + 1}"))
    return ctx.reply(text + "\n\n" + ctx.t("footer"), choices)


async def _history(ctx: Context, reference: str) -> Reply:
    followed = select(Support.contribution_id).where(Support.user_id == ctx.user.id)
    contribution = await ctx.session.scalar(select(Contribution).where(
        Contribution.reference == reference,
        or_(Contribution.user_id == ctx.user.id, Contribution.id.in_(followed))))
    if contribution is None:
        return ctx.reply(ctx.t("not_yours", reference=reference), [ctx.intent_choice("my_contributions")])
    events = (await ctx.session.execute(select(ContributionEvent).where(
        ContributionEvent.contribution_id == contribution.id).order_by(ContributionEvent.id))).scalars()
    history = [ctx.t("event", date=city_time(ctx.bot, event.created_at),
                     status=ctx.t(f"contributions.status.{event.status}"),
                     notes=f" — {event.notes}" if event.notes and event.source == "city" else "")
               for event in events]
    text = ctx.t("history", reference=reference, label=contribution.title or contribution.category_label,
                 description=contribution.description)
    return ctx.reply(text + "\n" + "\n".join(history), [ctx.intent_choice("my_contributions")])
