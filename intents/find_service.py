"""find_service: the public service for a need, with address, hours and whether it is open now,
nearest first when the resident's location is known.

"The nearest X" ranks every service of the kind asked by distance (:mod:`knowledge.services`).
"Open now / on Saturday / this weekend / tomorrow at 10h" (:mod:`knowledge.when`) is answered
for every service of the kind: those open then come first, and a line counts the open, closed
and unknown. Hours the parser cannot read are shown as the source wrote them, never interpreted.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.context import Context
from bot.formatting import day_of_month
from bot.formatting import distance as format_distance
from bot.messages import Location, Reply
from intents._answers import (
    answer_or_ask,
    answer_the_question,
    ignored_words,
    interval_text,
    mentions,
    nothing_found,
    now,
    provenance,
    request_text,
    subject,
    week_hours,
    weekday_name,
)
from intents._knowledge_routes import knowledge_intent, names_official, redirect
from knowledge.hours import OpeningHours
from knowledge.models import Service
from knowledge.places import point_for_address
from knowledge.services import all_of, asked_kind, distance_to, nearest
from knowledge.when import Asked, asked_time, without_clock

NAME = "find_service"
SHOWN = 3
_ORDER = {True: 0, None: 1, False: 2}  # open, unknown, closed


async def handle(ctx: Context) -> Reply:
    return await answer_or_ask(ctx, _answer, "ask_need")


async def resume(ctx: Context) -> Reply | None:
    if ctx.conversation.step == "position":
        return await _with_position(ctx)
    return await answer_the_question(ctx, _answer)


async def _with_position(ctx: Context) -> Reply | None:
    """The answer to "share your position": the request asked before, ranked from the position
    shared or the address written now; anything else is treated afresh."""
    request = ctx.flow_data.get("request", "")
    ctx.end_flow()
    location = ctx.message.location
    if location is None and ctx.text.strip():
        location = await point_for_address(ctx.session, ctx.settings, ctx.text[:200])
    if location is None or not request:
        return None
    asked = replace(ctx.message, text=request, location=location)
    return await _answer(replace(ctx, message=asked, text=request, nlu=ctx.bot.nlu.classify(request)))


async def _answer(ctx: Context) -> Reply:
    if mentions(ctx, "money") and await knowledge_intent(ctx) == "ask_data":
        return await redirect(ctx) or nothing_found(ctx, ctx.t("not_found", need=subject(ctx, NAME)))
    kind = await asked_kind(ctx.session, without_clock(request_text(ctx)), ignored_words(ctx, NAME))
    if not kind.categories and await names_official(ctx):  # "Marie Vitoux", not "Marie Rosé"
        return await redirect(ctx) or nothing_found(ctx, ctx.t("not_found", need=subject(ctx, NAME)))
    if not kind:
        return await redirect(ctx) or nothing_found(ctx, ctx.t("not_found", need=subject(ctx, NAME)))
    location = ctx.location
    asked = asked_time(request_text(ctx), now(ctx))
    lines = [ctx.t("found")]
    if asked is None:
        services = (await nearest(ctx.session, kind, location.latitude, location.longitude, SHOWN)
                    if location else (await all_of(ctx.session, kind))[:SHOWN])
    else:
        services = await all_of(ctx.session, kind)
        if location:
            services.sort(key=lambda service: distance_to(service, location.latitude,
                                                          location.longitude))
        states = {service.key: _open_when(service, asked) for service in services}
        services.sort(key=lambda service: (service.key not in kind.named, _ORDER[states[service.key]]))
        lines.append(_count(ctx, asked, list(states.values())))
        services = services[:SHOWN]
    lines += [_describe(ctx, service, location, asked) for service in services]
    reply = ctx.reply("\n\n".join([*lines, provenance(ctx, services)]),
                      [ctx.intent_choice("talk_to_human")])
    if location is None:
        reply.text += "\n\n" + ctx.t("share_location")
        reply.request_location = True
        ctx.start_flow("position", {"request": ctx.text})
    return reply


def _open_when(service: Service, asked: Asked) -> bool | None:
    """Whether the service is open at the asked moment or on one of the asked days (None:
    its hours are unknown or unreadable)."""
    hours = OpeningHours.read(service.hours)
    if hours is None:
        return None
    if asked.at is not None:
        return hours.is_open(asked.at)
    return any(hours.on_date(day) for day in asked.days)


def _count(ctx: Context, asked: Asked, states: list[bool | None]) -> str:
    return ctx.t("open_count", when=_when(ctx, asked), open=states.count(True),
                 total=len(states), closed=states.count(False), unknown=states.count(None))


def _day(ctx: Context, day: dt.date) -> str:
    return ctx.t("day", weekday=weekday_name(ctx, day.weekday()), day=day_of_month(day, ctx.lang))


def _when(ctx: Context, asked: Asked) -> str:
    if asked.now:
        return ctx.t("when_now")
    if asked.at is not None:
        return ctx.t("when_at", day=_day(ctx, asked.at.date()), time=f"{asked.at:%H:%M}")
    return ctx.t("when_days", days=ctx.t("and").join(_day(ctx, day) for day in asked.days))


def _opening(ctx: Context, hours: OpeningHours, asked: Asked | None) -> list[str]:
    if asked is not None and asked.at is None:
        return [ctx.t("open_on_day", day=_day(ctx, day), times=interval_text(intervals))
                if (intervals := hours.on_date(day)) else ctx.t("closed_on_day", day=_day(ctx, day))
                for day in asked.days]
    moment, when = (asked.at, _when(ctx, asked)) if asked and asked.at else (now(ctx), ctx.t("when_now"))
    if hours.is_open(moment):
        closes = hours.closes_at(moment)
        return [ctx.t("open_at", when=when, until=_moment(ctx, closes, moment)) if closes
                else ctx.t("open_at_no_end", when=when)]
    opening = hours.next_opening(moment)
    if opening is None:
        return [ctx.t("closed_at", when=when)]
    return [ctx.t("closed_at_opens", when=when, opens=_moment(ctx, opening, moment))]


def _moment(ctx: Context, moment: dt.datetime, reference: dt.datetime) -> str:
    """A time, with its day when it is not the reference's."""
    if moment.date() == reference.date():
        return f"{moment:%H:%M}"
    return ctx.t("when_at", day=_day(ctx, moment.date()), time=f"{moment:%H:%M}")


def _describe(ctx: Context, service: Service, location: Location | None,
              asked: Asked | None) -> str:
    lines = [f"• {service.name}"]
    if service.address:
        lines.append(f"  {service.address}")
    if location is not None:
        distance = distance_to(service, location.latitude, location.longitude)
        if distance != float("inf"):
            lines.append("  " + ctx.t("distance", distance=format_distance(distance, ctx.lang)))
    hours = OpeningHours.read(service.hours)
    if not service.hours:
        lines.append("  " + ctx.t("hours_unknown"))
    elif hours is None:
        lines.append("  " + ctx.t("hours_as_given", hours=service.hours))
    else:
        lines += ["  " + line for line in _opening(ctx, hours, asked)]
        lines.append("  " + ctx.t("hours", hours=week_hours(ctx, hours)))
    contacts = " · ".join(filter(None, (service.phone, service.email, service.url)))
    if contacts:
        lines.append(f"  {contacts}")
    return "\n".join(lines)
