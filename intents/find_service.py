"""find_service: the public service for a need, with address, hours and whether it is open now,
nearest first when the resident's location is known."""
from __future__ import annotations

from bot.context import Context
from bot.messages import Reply
from knowledge.answers import (
    answer_or_ask,
    answer_the_question,
    ignored_words,
    interval_text,
    nothing_found,
    now,
    provenance,
    request_text,
    requested_weekday,
    subject,
    week_hours,
    weekday_name,
)
from knowledge.geo import distance_m
from knowledge.hours import OpeningHours
from knowledge.models import Service
from knowledge.search import relevant, rows_of, search

NAME = "find_service"
SHOWN = 3


async def handle(ctx: Context) -> Reply:
    return await answer_or_ask(ctx, _answer, "ask_need")


async def resume(ctx: Context) -> Reply | None:
    return await answer_the_question(ctx, _answer)


async def _answer(ctx: Context) -> Reply:
    hits = relevant(await search(ctx.session, request_text(ctx), ("service",), limit=10,
                                 ignore=ignored_words(ctx, NAME)))
    services = await rows_of(ctx.session, Service, hits)
    if not services:
        return nothing_found(ctx, ctx.t("not_found", need=subject(ctx, NAME)))
    location = ctx.location
    if location:
        services.sort(key=lambda service: _sort_distance(service, location))
    services = services[:SHOWN]
    weekday = requested_weekday(ctx)
    blocks = [_describe(ctx, service, location, weekday) for service in services]
    text = "\n\n".join([ctx.t("found"), *blocks, provenance(ctx, services)])
    reply = ctx.reply(text, [ctx.intent_choice("talk_to_human")])
    if location is None:
        reply.text += "\n\n" + ctx.t("share_location")
        reply.request_location = True
    return reply


def _distance(service: Service, location) -> float | None:
    if service.latitude is None or service.longitude is None:
        return None
    return distance_m(location.latitude, location.longitude, service.latitude, service.longitude)


def _sort_distance(service: Service, location) -> float:
    distance = _distance(service, location)
    return float("inf") if distance is None else distance


def _opening(ctx: Context, service: Service, weekday: int | None) -> str:
    if not service.hours:
        return ctx.t("hours_unknown")
    hours = OpeningHours.parse(service.hours)
    if weekday is not None:
        intervals = hours.on(weekday)
        day = weekday_name(ctx, weekday)
        return (ctx.t("open_on_day", day=day, times=interval_text(intervals)) if intervals
                else ctx.t("closed_on_day", day=day))
    moment = now(ctx)
    if hours.is_open(moment):
        return ctx.t("open_now", until=f"{hours.closes_at(moment):%H:%M}")
    opening = hours.next_opening(moment)
    if opening is None:
        return ctx.t("closed_now")
    return ctx.t("closed_now_opens", day=weekday_name(ctx, opening.weekday()),
                 time=f"{opening:%H:%M}")


def _describe(ctx: Context, service: Service, location, weekday: int | None) -> str:
    lines = [f"• {service.name}"]
    if service.address:
        lines.append(f"  {service.address}")
    distance = _distance(service, location) if location else None
    if distance is not None:
        lines.append("  " + ctx.t("distance", km=f"{distance / 1000:.1f}"))
    lines.append("  " + _opening(ctx, service, weekday))
    if service.hours:
        lines.append("  " + ctx.t("hours", hours=week_hours(ctx, OpeningHours.parse(service.hours))))
    contacts = " · ".join(filter(None, (service.phone, service.email, service.url)))
    if contacts:
        lines.append(f"  {contacts}")
    return "\n".join(lines)
