"""ask_data: a figure when a fact matches, otherwise the best datasets and documents with links;
never a made-up number."""
from __future__ import annotations

from bot.context import Context
from bot.dates import Period
from bot.formatting import money, month, number
from bot.i18n import LANGUAGES
from bot.messages import Reply
from bot.text import normalize
from intents._answers import (
    answer_or_ask,
    answer_the_question,
    format_date,
    ignored_words,
    mentions,
    nothing_found,
    provenance,
    request_words,
    requested_period,
    requested_year,
    subject,
    when,
)
from knowledge.geo import area_by_key
from knowledge.models import Dataset, Document, Fact
from knowledge.search import CANDIDATES, relevant, rows_of, search

NAME = "ask_data"
SHOWN = 5
EUROS = frozenset(["euros", "euro", "eur", "€"])


async def handle(ctx: Context) -> Reply:
    return await answer_or_ask(ctx, _answer, "ask_question")


async def resume(ctx: Context) -> Reply | None:
    return await answer_the_question(ctx, _answer)


async def _answer(ctx: Context) -> Reply:
    facts = await _facts(ctx)
    if facts:
        return await _figures(ctx, facts)
    return await _publications(ctx)


async def _facts(ctx: Context) -> list[Fact]:
    """Facts that name every word of the request (for the year asked, if one is)."""
    words = " ".join(request_words(ctx, NAME))
    hits = await search(ctx.session, words, ("fact",), limit=SHOWN)
    return await rows_of(ctx.session, Fact, relevant(hits, share=1.0))


def _unit(ctx: Context, unit: str) -> str:
    """The unit in the resident's language when the catalog knows it ("millions d'euros")."""
    key = f"knowledge.units.{unit}"
    return ctx.t(key) if key in ctx.bot.catalog.messages.get(ctx.lang, {}) else unit


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
        in_euros = (normalize(fact.unit) or fact.unit.strip()) in EUROS
        value = money(fact.value, ctx.lang) if in_euros else number(fact.value, ctx.lang)
        lines.append(ctx.t("figure", label=fact.label, period=period, where=where, value=value,
                           unit="" if in_euros else _unit(ctx, fact.unit)).rstrip())
        if fact.url:
            lines.append(f"  {fact.url}")
    lines += ["", provenance(ctx, matching)]
    return ctx.reply("\n".join(lines), [ctx.intent_choice("talk_to_human")])


async def _publications(ctx: Context) -> Reply:
    period = requested_period(ctx)
    dated = period is not None and period.grain != "now"
    found = await search(ctx.session, " ".join(request_words(ctx, NAME)), ("dataset", "document"),
                         limit=CANDIDATES if dated else SHOWN, ignore=ignored_words(ctx, NAME))
    # a question about money without a figure: only documents about all of it, never a look-alike
    hits = relevant(found, share=1.0 if mentions(ctx, "money") else 0.5, whole_subject=True)
    if not hits:
        return nothing_found(ctx, ctx.t("not_found", question=subject(ctx, NAME)))
    loaded = {row.key: row for model in (Dataset, Document)
              for row in await rows_of(ctx.session, model, hits)}
    rows = [loaded[hit.key] for hit in hits if hit.key in loaded]
    if period is not None and dated:
        rows = [row for row in rows if isinstance(row, Dataset)
                or (row.date is not None and period.start <= row.date <= period.end)]
        if not rows:
            return nothing_found(ctx, ctx.t("not_found_when", subject=" ".join(request_words(ctx, NAME)),
                                            when=when(ctx, period)))
        namings = _namings(period)
        rows.sort(key=lambda row: not any(words <= set(normalize(row.title).split()) for words in namings))
    lines = [ctx.t("no_figure_but")]
    for row in rows[:SHOWN]:
        day = row.updated if isinstance(row, Dataset) else row.date
        lines.append(f"• {row.title} ({format_date(ctx, day)})")
        if row.url:
            lines.append(f"  {row.url}")
    lines += ["", provenance(ctx, rows[:SHOWN])]
    return ctx.reply("\n".join(lines), [ctx.intent_choice("talk_to_human")])


def _namings(period: Period) -> list[frozenset[str]]:
    """The words by which a title names the period asked, in any language: "January 2021
    Purchase Card Transactions" is the dataset of January 2021, whenever it was updated."""
    if period.grain == "month":
        return [frozenset(normalize(month(period.start, lang)).split()) for lang in LANGUAGES]
    if period.grain == "year":
        return [frozenset([str(period.start.year)])]
    return []
