"""ask_data: a figure when a fact matches, otherwise the best datasets and documents with links;
never a made-up number."""
from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.messages import Reply
from knowledge.answers import (format_date, ignored_words, nothing_found, provenance,
                               request_text, request_words, requested_year)
from knowledge.geo import area_by_key
from knowledge.models import Dataset, Document, Fact
from knowledge.search import search

NAME = "ask_data"
SHOWN = 5
MIN_COVERAGE = 0.5


async def handle(ctx: Context) -> Reply:
    if not request_words(ctx, NAME):
        ctx.start_flow("question")
        return ctx.reply(ctx.t("ask_question"), [ctx.intent_choice("talk_to_human")])
    return await _answer(ctx)


async def resume(ctx: Context) -> Reply | None:
    ctx.end_flow()
    if not request_words(ctx, NAME):
        return None
    return await _answer(ctx)


async def _answer(ctx: Context) -> Reply:
    facts = await _facts(ctx)
    if facts:
        return await _figures(ctx, facts)
    return await _publications(ctx)


async def _facts(ctx: Context) -> list[Fact]:
    """Facts that name every word of the request (for the year asked, if one is)."""
    words = " ".join(request_words(ctx, NAME))
    hits = [hit for hit in await search(ctx.session, words, ("fact",), limit=SHOWN)
            if hit.covers_all]
    if not hits:
        return []
    rows = {fact.key: fact for fact in (await ctx.session.scalars(
        select(Fact).where(Fact.key.in_([hit.key for hit in hits])))).all()}
    return [rows[hit.key] for hit in hits if hit.key in rows]


def _number(ctx: Context, value: float) -> str:
    text = f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return text.replace(",", "\u202f").replace(".", ",") if ctx.lang == "fr" else text


async def _figures(ctx: Context, facts: list[Fact]) -> Reply:
    year = requested_year(ctx)
    matching = [fact for fact in facts if not year or year in fact.period]
    lines = []
    if year and not matching:
        periods = ", ".join(sorted({fact.period for fact in facts if fact.period}))
        lines.append(ctx.t("no_figure_for_year", year=year, periods=periods or "?"))
        matching = facts
    for fact in matching:
        area = await area_by_key(ctx.session, fact.area) if fact.area else None
        where = f" — {area.name}" if area else ""
        period = f" ({fact.period})" if fact.period else ""
        lines.append(ctx.t("figure", label=fact.label, period=period, where=where,
                           value=_number(ctx, fact.value), unit=fact.unit).rstrip())
        if fact.url:
            lines.append(f"  {fact.url}")
    lines += ["", provenance(ctx, matching)]
    return ctx.reply("\n".join(lines), [ctx.intent_choice("talk_to_human")])


async def _publications(ctx: Context) -> Reply:
    hits = [hit for hit in await search(ctx.session, request_text(ctx), ("dataset", "document"),
                                        limit=SHOWN, ignore=ignored_words(ctx, NAME))
            if len(hit.matched) >= MIN_COVERAGE * len(hit.words)]
    if not hits:
        return nothing_found(ctx, ctx.t("not_found", question=request_text(ctx)))
    datasets = {row.key: row for row in (await ctx.session.scalars(select(Dataset).where(
        Dataset.key.in_([hit.key for hit in hits if hit.kind == "dataset"])))).all()}
    documents = {row.key: row for row in (await ctx.session.scalars(select(Document).where(
        Document.key.in_([hit.key for hit in hits if hit.kind == "document"])))).all()}
    rows = [datasets.get(hit.key) if hit.kind == "dataset" else documents.get(hit.key)
            for hit in hits]
    rows = [row for row in rows if row is not None]
    lines = [ctx.t("no_figure_but")]
    for row in rows:
        day = row.updated if isinstance(row, Dataset) else row.date
        lines.append(f"• {row.title} ({format_date(ctx, day)})")
        if row.url:
            lines.append(f"  {row.url}")
    lines += ["", provenance(ctx, rows)]
    return ctx.reply("\n".join(lines), [ctx.intent_choice("talk_to_human")])
