"""council: the next meeting, the last meeting's summary, deliberations on a subject — with
dates, votes and links."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.context import Context
from bot.continuation import SEQUENCE
from bot.dates import Period
from bot.formatting import long_date
from bot.messages import Choice, Reply
from bot.text import normalize
from intents._answers import (
    format_date,
    ignored_words,
    mentions,
    nothing_found,
    now,
    provenance,
    request_words,
    requested_period,
    subject,
    when,
)
from intents._pages import next_page, paged, turn_page
from knowledge.models import Document
from knowledge.search import correct, matched_words, relevant, search

NAME = "council"
SHOWN = 5
SHOWN_MEETING = "council_meeting"  # conversation data: the date of the meeting shown last


def _remember(ctx: Context, meeting: Document | None) -> None:
    """Keep the date of the meeting shown, for "et celui d'avant ?" (or forget it)."""
    data = {key: value for key, value in ctx.conversation.data.items() if key != SHOWN_MEETING}
    if meeting is not None and meeting.date is not None:
        data[SHOWN_MEETING] = meeting.date.isoformat()
    if data != ctx.conversation.data:
        ctx.conversation.data = data


async def handle(ctx: Context) -> Reply:
    step = ctx.entities.get(SEQUENCE)
    if step:
        return await _neighbour(ctx, step)
    _remember(ctx, None)
    more = await next_page(ctx)
    if more is not None:
        return more
    if ctx.entities.get("impossible_date"):
        return nothing_found(ctx, ctx.t("impossible_date", date=ctx.entities["impossible_date"]))
    period = requested_period(ctx)
    if period is not None and period.grain != "now":
        return await _in_period(ctx, period)
    if mentions(ctx, "council_last"):  # before "next": "quand a eu lieu le dernier conseil"
        return await _last_meeting(ctx)
    subject = request_words(ctx, NAME)
    if mentions(ctx, "council_next") or mentions(ctx, "council_when") and not subject:
        return await _next_meeting(ctx)
    if subject:
        return await _deliberations(ctx)
    return ctx.reply(ctx.t("menu"), _menu(ctx))


def _menu(ctx: Context) -> list[Choice]:
    command = "/" + ctx.bot.intents[NAME].commands[0]
    return [Choice(ctx.t("choice_next"), f"{command} {ctx.t('word_next')}"),
            Choice(ctx.t("choice_last"), f"{command} {ctx.t('word_last')}")]


def _meeting_line(ctx: Context, meeting: Document) -> str:
    return ctx.t("meeting", body=meeting.body or meeting.title, date=format_date(ctx, meeting.date))


def _votes(ctx: Context, document: Document) -> str:
    if document.votes_for is None and document.votes_against is None:
        return ""
    return " " + ctx.t("votes", yes=document.votes_for or 0, no=document.votes_against or 0,
                       abstention=document.votes_abstention or 0)


def _deliberation_items(ctx: Context, deliberations: list[Document]) -> list[str]:
    """One item per deliberation: its date, title and votes, and its link below; a deliberation
    two sources publish alike is listed once."""
    items = [f"• {format_date(ctx, document.date)} — {document.title}{_votes(ctx, document)}"
             + (f"\n  {document.url}" if document.url else "") for document in deliberations]
    return list(dict.fromkeys(items))


async def _meetings(ctx: Context, upcoming: bool) -> list[Document]:
    today = now(ctx).date()
    query = select(Document).where(Document.kind == "meeting")
    query = (query.where(Document.date >= today).order_by(Document.date) if upcoming
             else query.where(Document.date < today).order_by(Document.date.desc()))
    return list((await ctx.session.scalars(query.limit(1))).all())


async def _next_meeting(ctx: Context) -> Reply:
    meetings = await _meetings(ctx, upcoming=True)
    if meetings:
        meeting = meetings[0]
        _remember(ctx, meeting)
        lines = [ctx.t("next", meeting=_meeting_line(ctx, meeting))]
        if meeting.text:
            lines.append(meeting.text)
        if meeting.url:
            lines.append(meeting.url)
        return ctx.reply("\n".join([*lines, "", provenance(ctx, meetings)]), _menu(ctx)[1:])
    last = await _meetings(ctx, upcoming=False)
    if not last:
        return nothing_found(ctx, ctx.t("no_meetings"))
    _remember(ctx, last[0])
    text = ctx.t("no_next", meeting=_meeting_line(ctx, last[0]))
    return ctx.reply(f"{text}\n\n{provenance(ctx, last)}",
                     [*_menu(ctx)[1:], ctx.intent_choice("talk_to_human")])


async def _last_meeting(ctx: Context) -> Reply:
    meetings = await _meetings(ctx, upcoming=False)
    if not meetings:
        return nothing_found(ctx, ctx.t("no_meetings"))
    return await _meeting_reply(ctx, meetings[0], "last")


async def _neighbour(ctx: Context, step: int) -> Reply:
    """The meeting before (``step`` -1) or after (1) the one shown last, or else the page before
    or after of the list shown last."""
    shown = ctx.conversation.data.get(SHOWN_MEETING)
    if shown is None:
        turned = turn_page(ctx, step)
        if turned is not None:
            return turned
        return await (_last_meeting(ctx) if step < 0 else _next_meeting(ctx))
    day = date.fromisoformat(shown)
    query = select(Document).where(Document.kind == "meeting")
    query = (query.where(Document.date < day).order_by(Document.date.desc()) if step < 0
             else query.where(Document.date > day).order_by(Document.date))
    meeting = await ctx.session.scalar(query.limit(1))
    if meeting is None:
        key = "no_previous" if step < 0 else "no_following"
        return nothing_found(ctx, await _none_when(ctx, "", ctx.t(key, date=format_date(ctx, day))))
    return await _meeting_reply(ctx, meeting, "previous" if step < 0 else "following")


async def _meeting_reply(ctx: Context, meeting: Document, intro: str) -> Reply:
    """A meeting (``intro``: "last", "previous", "following"), its summary and deliberations."""
    _remember(ctx, meeting)
    deliberations = list((await ctx.session.scalars(select(Document).where(
        Document.kind == "deliberation", Document.meeting_key == meeting.key
    ).order_by(Document.id))).all())
    head = [ctx.t(intro, meeting=_meeting_line(ctx, meeting)), *_meeting_details(meeting)]
    if deliberations:
        head += ["", ctx.t("deliberations")]
    return paged(ctx, head, _deliberation_items(ctx, deliberations),
                 [provenance(ctx, [meeting, *deliberations])], [ctx.intent_choice("talk_to_human")])


def _meeting_details(meeting: Document) -> list[str]:
    return [line for line in (meeting.text, meeting.url) if line]


async def _dated(ctx: Context, kind: str, period: Period) -> list[Document]:
    return list((await ctx.session.scalars(select(Document).where(
        Document.kind == kind, Document.date >= period.start, Document.date <= period.end
    ).order_by(Document.date, Document.id))).all())


async def _on_subject(ctx: Context, deliberations: list[Document]) -> tuple[str, list[Document]] | None:
    """The subject the request names besides the date, and the deliberations about it; ``None``
    when its words name no deliberation at all ("qu'est-ce qui s'est passé")."""
    words = request_words(ctx, NAME)
    if not words or not relevant(await search(ctx.session, " ".join(words), ("document",),
                                              ignore=ignored_words(ctx, NAME))):
        return None
    words = await correct(ctx.session, words)
    found = [(len(matched_words(words, normalize(document.title), normalize(document.subject or ""))),
              document) for document in deliberations]
    best = max((count for count, _document in found), default=0)
    chosen = [document for count, document in found if best and best == count and 2 * count >= len(words)]
    return " ".join(request_words(ctx, NAME)), chosen


async def _in_period(ctx: Context, period: Period) -> Reply:
    """The meetings and deliberations of a day, a month or a year (of a subject, if named)."""
    meetings, deliberations = await _dated(ctx, "meeting", period), await _dated(ctx, "deliberation", period)
    moment = when(ctx, period)
    subject = await _on_subject(ctx, deliberations)
    if subject is not None:
        words, chosen = subject
        titled = await _titled(ctx, f"{words} {period.start.year}") if (
            not chosen and period.grain == "year") else []
        if titled:  # "tarifs 2014": the year is in the titles, not the dates
            return paged(ctx, [ctx.t("deliberations_on", subject=f"{words} {period.start.year}")],
                         _deliberation_items(ctx, titled), [provenance(ctx, titled)],
                         [ctx.intent_choice("talk_to_human")])
        if not chosen:
            return nothing_found(ctx, ctx.t("no_deliberations_when", subject=words, when=moment))
        return paged(ctx, [ctx.t("deliberations_on_when", subject=words, when=moment)],
                     _deliberation_items(ctx, chosen), [provenance(ctx, chosen)],
                     [ctx.intent_choice("talk_to_human")])
    if not meetings and not deliberations:
        return nothing_found(ctx, await _none_when(ctx, moment))
    if len(meetings) == 1:
        _remember(ctx, meetings[0])
    items = []
    for meeting in meetings:
        items.append("\n".join([_meeting_line(ctx, meeting), *_meeting_details(meeting)]))
        items += _deliberation_items(ctx, [document for document in deliberations
                                           if document.meeting_key == meeting.key])
    keys = {meeting.key for meeting in meetings}
    items += _deliberation_items(ctx, [document for document in deliberations
                                       if document.meeting_key not in keys])
    return paged(ctx, [ctx.t("in_period", when=moment)], items,
                 [provenance(ctx, [*meetings, *deliberations])], [ctx.intent_choice("talk_to_human")])


async def _titled(ctx: Context, words: str) -> list[Document]:
    """The deliberations whose text holds every one of these words."""
    hits = relevant(await search(ctx.session, words, ("document",), limit=20), share=1.0)
    return list((await ctx.session.scalars(select(Document).where(
        Document.kind == "deliberation", Document.key.in_([hit.key for hit in hits])
    ).order_by(Document.date.desc()))).all())


async def _none_when(ctx: Context, moment: str, text: str = "") -> str:
    """No meeting in the period asked (or ``text``), and the meetings known instead (the latest
    ones)."""
    known = list((await ctx.session.scalars(select(Document.date).where(
        Document.kind == "meeting", Document.date.is_not(None)).order_by(Document.date.desc()).limit(SHOWN))).all())
    text = text or ctx.t("no_meeting_when", when=moment)
    if known:
        text += "\n" + ctx.t("known_meetings", dates=", ".join(
            long_date(day, ctx.lang) for day in sorted(day for day in known if day)))
    return text


async def _deliberations(ctx: Context) -> Reply:
    hits = relevant(await search(ctx.session, " ".join(request_words(ctx, NAME)), ("document",), limit=20,
                                 ignore=ignored_words(ctx, NAME)), whole_subject=True)
    what = subject(ctx, NAME)
    documents = list((await ctx.session.scalars(select(Document).where(
        Document.kind == "deliberation", Document.key.in_([hit.key for hit in hits])
    ).order_by(Document.date.desc()).limit(SHOWN))).all())
    if not documents:
        return nothing_found(ctx, ctx.t("no_deliberations", subject=what))
    lines = [ctx.t("deliberations_on", subject=what), *_deliberation_items(ctx, documents),
             "", provenance(ctx, documents)]
    return ctx.reply("\n".join(lines), [ctx.intent_choice("talk_to_human")])
