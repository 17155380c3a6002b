"""council: the next meeting, the last meeting's summary, deliberations on a subject — with
dates, votes and links."""
from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.messages import Choice, Reply
from knowledge.answers import (
    format_date,
    ignored_words,
    mentions,
    nothing_found,
    now,
    provenance,
    request_text,
    request_words,
    subject,
)
from knowledge.models import Document
from knowledge.search import relevant, search

NAME = "council"
SHOWN = 5


async def handle(ctx: Context) -> Reply:
    if mentions(ctx, "council_last"):  # before "next": "quand a eu lieu le dernier conseil"
        return await _last_meeting(ctx)
    if mentions(ctx, "council_next"):
        return await _next_meeting(ctx)
    if request_words(ctx, NAME):
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


def _deliberation_lines(ctx: Context, deliberations: list[Document]) -> list[str]:
    lines = []
    for document in deliberations:
        lines.append(f"• {format_date(ctx, document.date)} — {document.title}{_votes(ctx, document)}")
        if document.url:
            lines.append(f"  {document.url}")
    return lines


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
        lines = [ctx.t("next", meeting=_meeting_line(ctx, meeting))]
        if meeting.text:
            lines.append(meeting.text)
        if meeting.url:
            lines.append(meeting.url)
        return ctx.reply("\n".join([*lines, "", provenance(ctx, meetings)]), _menu(ctx)[1:])
    last = await _meetings(ctx, upcoming=False)
    if not last:
        return nothing_found(ctx, ctx.t("no_meetings"))
    text = ctx.t("no_next", meeting=_meeting_line(ctx, last[0]))
    return ctx.reply(f"{text}\n\n{provenance(ctx, last)}",
                     [*_menu(ctx)[1:], ctx.intent_choice("talk_to_human")])


async def _last_meeting(ctx: Context) -> Reply:
    meetings = await _meetings(ctx, upcoming=False)
    if not meetings:
        return nothing_found(ctx, ctx.t("no_meetings"))
    meeting = meetings[0]
    deliberations = list((await ctx.session.scalars(select(Document).where(
        Document.kind == "deliberation", Document.meeting_key == meeting.key
    ).order_by(Document.id))).all())
    lines = [ctx.t("last", meeting=_meeting_line(ctx, meeting))]
    if meeting.text:
        lines.append(meeting.text)
    if meeting.url:
        lines.append(meeting.url)
    if deliberations:
        lines += ["", ctx.t("deliberations"), *_deliberation_lines(ctx, deliberations)]
    lines += ["", provenance(ctx, [meeting, *deliberations])]
    return ctx.reply("\n".join(lines), [ctx.intent_choice("talk_to_human")])


async def _deliberations(ctx: Context) -> Reply:
    hits = relevant(await search(ctx.session, request_text(ctx), ("document",), limit=20,
                                 ignore=ignored_words(ctx, NAME)))
    what = subject(ctx, NAME)
    documents = list((await ctx.session.scalars(select(Document).where(
        Document.kind == "deliberation", Document.key.in_([hit.key for hit in hits])
    ).order_by(Document.date.desc()).limit(SHOWN))).all())
    if not documents:
        return nothing_found(ctx, ctx.t("no_deliberations", subject=what))
    lines = [ctx.t("deliberations_on", subject=what), *_deliberation_lines(ctx, documents),
             "", provenance(ctx, documents)]
    return ctx.reply("\n".join(lines), [ctx.intent_choice("talk_to_human")])
