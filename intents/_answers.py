"""What the knowledge intents share: reading the request, and saying where an answer comes from."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.dates import Period
from bot.formatting import long_date, month, short_date
from bot.messages import Reply
from bot.text import normalize
from knowledge.hours import OpeningHours
from knowledge.models import Provenance
from knowledge.places import example_area, unknown_street
from knowledge.search import query_words
from knowledge.words import weekdays, word_list

_COMMAND = re.compile(r"^/\w+(?:@\w+)?\s*")
_YEAR = re.compile(r"^(19[5-9]\d|20\d\d)$")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")  # a word as written, apostrophes cut ("l'élu": l, élu)


def request_text(ctx: Context) -> str:
    """The resident's words, without a leading slash command."""
    return _COMMAND.sub("", ctx.text).strip()


def mentions(ctx: Context, name: str) -> bool:
    """Whether the request uses a word (or expression) of the list ``name``."""
    padded = f" {normalize(request_text(ctx))} "
    return any(f" {word} " in padded for word in word_list(name))


def ignored_words(ctx: Context, fillers: str) -> frozenset[str]:
    """Words a search leaves out: the ``fillers`` list, thanks, weekdays and the city's name."""
    return word_list(fillers) | word_list("courtesy") | frozenset(weekdays()) | frozenset(
        normalize(ctx.settings.city_name).split())


def request_words(ctx: Context, fillers: str) -> list[str]:
    """The words the request is about: no stop words, no ignored words, no year, none of the
    words that named a date ("cinéma en 2013" is about "cinéma")."""
    period = requested_period(ctx)
    dated = frozenset(normalize(period.words if period else ctx.entities.get("impossible_date", "")).split())
    return [word for word in query_words(request_text(ctx), ignored_words(ctx, fillers) | dated)
            if not _YEAR.match(word)]


def subject(ctx: Context, fillers: str) -> str:
    """What the request is about, in the resident's spelling, to quote back instead of their
    whole sentence: "qui s'occupe du vélo ?" is about « vélo »; the whole request when no word
    is left."""
    kept = set(request_words(ctx, fillers)) - word_list("asking")
    words = [word for word in _WORD.findall(request_text(ctx))
             if normalize(word) and set(normalize(word).split()) <= kept]
    return " ".join(words) or request_text(ctx)


def requested_period(ctx: Context) -> Period | None:
    """The period the request names (a day, a week-end, a month, a year…), if any."""
    return Period.of(ctx.entities)


def when(ctx: Context, period: Period) -> str:
    """The period in words: "le 10 avril 2015", "en avril 2015", "en 2013", "du … au …"."""
    if period.grain in ("day", "now"):
        return ctx.t("knowledge.when.day", day=long_date(period.start, ctx.lang))
    if period.grain == "month":
        return ctx.t("knowledge.when.month", month=month(period.start, ctx.lang))
    if period.grain == "year":
        return ctx.t("knowledge.when.year", year=period.start.year)
    return ctx.t("knowledge.when.range", start=long_date(period.start, ctx.lang),
                 end=long_date(period.end, ctx.lang))


def requested_year(ctx: Context) -> str | None:
    return next((word for word in normalize(request_text(ctx)).split() if _YEAR.match(word)), None)


def now(ctx: Context) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(ctx.settings.timezone))


def format_date(ctx: Context, day: dt.date | None) -> str:
    return short_date(day, ctx.lang) if day else ctx.t("knowledge.unknown_date")


def weekday_name(ctx: Context, weekday: int) -> str:
    return ctx.t("knowledge.weekdays").split(",")[weekday]


def provenance(ctx: Context, rows: Sequence[Provenance]) -> str:
    """Where the rows come from: one line per source, with its date and link, and a warning
    when any of them is demonstration data."""
    lines, demo_dates = [], set()
    for row in rows:
        imported = row.source_date is None and row.updated_at is not None
        day = row.updated_at.date() if imported else row.source_date
        values = {"source": row.source, "date": format_date(ctx, day), "url": row.source_url}
        message = "knowledge.source" + ("_imported" if imported else "")
        line = ctx.t(message if row.source_url else message + "_without_link", **values)
        if line not in lines:
            lines.append(line)
        if row.demo:
            demo_dates.add(row.source_date)
    for day in sorted(demo_dates, key=lambda day: day or dt.date.min):
        lines.append(ctx.t("knowledge.demo", date=format_date(ctx, day)))
    return "\n".join(lines)


def week_hours(ctx: Context, hours: OpeningHours) -> str:
    """The hours of the coming seven days in words, Monday first, days with the same hours
    grouped ("lundi–vendredi 08:30–17:00"); a public holiday this week shows as closed."""
    week = hours.week(now(ctx).date())
    groups: list[tuple[int, int, list]] = []
    for day in range(7):
        intervals = week[day]
        if groups and groups[-1][2] == intervals and groups[-1][1] == day - 1:
            groups[-1] = (groups[-1][0], day, intervals)
        else:
            groups.append((day, day, intervals))
    parts = []
    for first, last, intervals in groups:
        if not intervals:
            continue
        days = weekday_name(ctx, first) + ("" if first == last else f"–{weekday_name(ctx, last)}")
        parts.append(f"{days} {interval_text(intervals)}")
    return ctx.t("knowledge.separator").join(parts) if parts else ctx.t("knowledge.always_closed")


def interval_text(intervals: list) -> str:
    return ", ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in intervals)


def nothing_found(ctx: Context, text: str) -> Reply:
    """An honest "I do not know", with a human to ask."""
    return ctx.reply(f"{text}\n{ctx.t('knowledge.offer_human')}",
                     [ctx.intent_choice("talk_to_human"), ctx.intent_choice("help")])


Answer = Callable[[Context], Awaitable[Reply]]


async def answer_or_ask(ctx: Context, answer: Answer, question: str) -> Reply:
    """Answer the request, or, when it names nothing to look for, ask what (the ``question``
    message) and answer the next message."""
    if _besides_place(ctx, request_words(ctx, ctx.intent)):
        return await answer(ctx)
    ctx.start_flow("question")
    return ctx.reply(ctx.t(question), [ctx.intent_choice("talk_to_human")])


def _besides_place(ctx: Context, words: list[str]) -> list[str]:
    """The words that are not the quartier named: "quels services dans le quartier Malakoff ?"
    names nothing to look for yet."""
    area = ctx.entities.get("area")
    if not area:
        return words
    place = set(normalize(str(area)).split()) | word_list("place_words") | word_list("asking")
    return [word for word in words if word not in place]


async def answer_the_question(ctx: Context, answer: Answer) -> Reply | None:
    """The message after :func:`answer_or_ask` asked: answered, or (if it names nothing to look
    for) left to the router."""
    ctx.end_flow()
    return await answer(ctx) if request_words(ctx, ctx.intent) else None


async def street_unknown(ctx: Context, words: str) -> str | None:
    """Why a street the resident wrote cannot be placed (no geocoder, not in the city's list),
    and what to give instead: a quartier, with an example, or a shared position."""
    street = unknown_street(ctx.settings, words)
    if street is None:
        return None
    return ctx.t("knowledge.street_unknown", street=street, city=ctx.settings.city_name,
                 area=await example_area(ctx.session))
