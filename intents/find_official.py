"""find_official: the right elected official by name (typo-tolerant), role, topic or area.

"Who is my councillor?" asks for a location, an address or a quartier when none is known, then
offers to remember the resident's quartier — only if they say yes; "/elu oublier" forgets it.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_topic_synonyms
from bot.context import Context
from bot.messages import Choice, Reply
from bot.text import normalize
from knowledge.answers import (
    format_date,
    mentions,
    nothing_found,
    provenance,
    request_words,
    subject,
    word_list,
)
from knowledge.geo import area_by_key
from knowledge.models import Area, Official
from knowledge.officials import find_by_name, for_area, for_topic, with_role
from knowledge.places import area_for

NAME = "find_official"
SHOWN = 5
SURE_NAME = 85  # a name this close is taken as the one meant
MAYOR_ROLE = "Maire"
MAX_WHERE_ATTEMPTS = 2


async def handle(ctx: Context) -> Reply:
    if mentions(ctx, "official_forget"):
        return _forget(ctx)
    area = await area_for(ctx.session, ctx.settings, area_key=ctx.entities.get("area_key"),
                          address=ctx.entities.get("address"), location=ctx.message.location)
    if area is not None:
        return await _for_area(ctx, area)
    words = " ".join(request_words(ctx, NAME))
    if words:
        officials = await _by_words(ctx, words)
        if officials:
            return _officials_reply(ctx, ctx.t("found"), officials)
        if not mentions(ctx, "official_mine"):
            return nothing_found(ctx, ctx.t("not_found", query=subject(ctx, NAME)))
    return await _where(ctx)


async def _by_words(ctx: Context, words: str) -> list[Official]:
    """Officials named by these words, or holding this role, or in charge of this topic."""
    named = await find_by_name(ctx.session, words)
    if named and named[0][1] >= SURE_NAME:
        return [official for official, score in named if score >= named[0][1] - 5][:SHOWN]
    if mentions(ctx, "mayor"):
        mayors = await with_role(ctx.session, MAYOR_ROLE, ctx.settings.city_name)
        if mayors:
            return mayors
    return await _by_topic(ctx.session, words, ctx.entities.get("topic"))


async def _by_topic(session: AsyncSession, words: str, topic: str | None) -> list[Official]:
    found = {official.key: official for official in await for_topic(session, words)}
    if topic:  # "participation" also finds "dialogue citoyen"
        for phrase in [topic, *load_topic_synonyms().get(topic, [])]:
            found.update({official.key: official for official in await for_topic(session, phrase)})
    return list(found.values())[:SHOWN]


async def _where(ctx: Context) -> Reply:
    """The area of the resident: their shared location, or the quartier they let us remember;
    otherwise ask for it."""
    if ctx.location is not None:
        area = await area_for(ctx.session, ctx.settings, location=ctx.location)
        if area is not None:
            return await _for_area(ctx, area)
    if ctx.user.home_area:
        area = await area_by_key(ctx.session, ctx.user.home_area)
        if area is not None:
            return await _for_area(ctx, area)
    ctx.start_flow("where", {"attempts": 0})
    return _ask_where(ctx, ctx.t("ask_where"))


def _ask_where(ctx: Context, text: str) -> Reply:
    reply = ctx.reply(text, [ctx.intent_choice("talk_to_human")])
    reply.request_location = True
    return reply


async def resume(ctx: Context) -> Reply | None:
    if ctx.conversation.step == "remember":
        return _remember(ctx)
    entities = ctx.bot.nlu.extractors.extract(ctx.text, normalize(ctx.text))
    area = await area_for(ctx.session, ctx.settings, area_key=entities.get("area_key"),
                          address=entities.get("address") or ctx.text, location=ctx.message.location)
    if area is not None:
        ctx.end_flow()
        return await _for_area(ctx, area)
    if ctx.text and ctx.bot.nlu.classify(ctx.text).intent not in (NAME, "unknown"):
        ctx.end_flow()  # the resident moved on to something else
        return None
    attempts = ctx.flow_data.get("attempts", 0) + 1
    if attempts >= MAX_WHERE_ATTEMPTS:
        ctx.end_flow()
        return nothing_found(ctx, ctx.t("place_unknown_again"))
    ctx.set_step("where", attempts=attempts)
    return _ask_where(ctx, ctx.t("place_unknown"))


def _remember(ctx: Context) -> Reply | None:
    area_key, area_name = ctx.flow_data.get("area"), ctx.flow_data.get("area_name")
    ctx.end_flow()
    answer = f" {normalize(ctx.text)} "
    if any(f" {word} " in answer for word in word_list("agree")):
        ctx.user.home_area = area_key
        return ctx.reply(ctx.t("remembered", area=area_name))
    if any(f" {word} " in answer for word in word_list("decline")):
        return ctx.reply(ctx.t("not_remembered"))
    return None


def _forget(ctx: Context) -> Reply:
    if not ctx.user.home_area:
        return ctx.reply(ctx.t("nothing_to_forget"))
    ctx.user.home_area = None
    return ctx.reply(ctx.t("forgotten"))


async def _for_area(ctx: Context, area: Area) -> Reply:
    officials = await for_area(ctx.session, area.key)
    lines = []
    if officials:
        lines += [ctx.t("area_officials", area=area.name),
                  *(_describe(ctx, official) for official in officials)]
    else:
        mayors = await with_role(ctx.session, MAYOR_ROLE, ctx.settings.city_name)
        lines.append(ctx.t("no_area_official", area=area.name))
        if mayors:
            lines += [ctx.t("city_wide"), *(_describe(ctx, official) for official in mayors)]
        officials = mayors
    if area.approximate:
        lines.append(ctx.t("approximate_area"))
    lines += ["", provenance(ctx, [area, *officials])]
    choices = [ctx.intent_choice("talk_to_human")]
    if ctx.user.home_area == area.key:
        lines += ["", ctx.t("remembered_note", area=area.name)]
    else:
        lines += ["", ctx.t("offer_remember", area=area.name)]
        ctx.start_flow("remember", {"area": area.key, "area_name": area.name})
        choices = [Choice(ctx.t("choice_remember"), ctx.t("word_yes")),
                   Choice(ctx.t("choice_dont_remember"), ctx.t("word_no")), *choices]
    return ctx.reply("\n".join(lines), choices)


def _officials_reply(ctx: Context, heading: str, officials: list[Official]) -> Reply:
    text = "\n".join([heading, *(_describe(ctx, official) for official in officials), "",
                      provenance(ctx, officials)])
    return ctx.reply(text, [ctx.intent_choice("talk_to_human")])


def _describe(ctx: Context, official: Official) -> str:
    lines = [f"• {official.full_name} — {official.role}"]
    if official.delegations:
        lines.append("  " + ctx.t("delegations", topics=", ".join(official.delegations)))
    if official.mandate_start:
        lines.append("  " + ctx.t("mandate", date=format_date(ctx, official.mandate_start)))
    contacts = " · ".join(filter(None, (official.email, official.phone, official.url)))
    if contacts:
        lines.append(f"  {contacts}")
    return "\n".join(lines)
