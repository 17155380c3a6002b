"""where_am_i: which quartier a position or an address is in ("je suis dans quel quartier ?").

With a position shared now or earlier, or an address in the message, it answers at once;
otherwise it asks for one and the next position or address answers. Nothing is remembered:
keeping the resident's quartier is find_official's offer, made only with their yes.
"""
from __future__ import annotations

from bot.context import Context
from bot.messages import Location, Reply
from bot.text import normalize
from intents._answers import street_unknown
from knowledge.geo import area_at
from knowledge.places import area_for, point_for_address

NAME = "where_am_i"


async def handle(ctx: Context) -> Reply:
    address = ctx.entities.get("address")
    # a street without a number is no address entity, but places the resident all the same:
    # "j'habite rue du général Buat, c'est quel quartier ?"
    location = ctx.location or await point_for_address(ctx.session, ctx.settings, address or ctx.text[:200])
    if ctx.entities.get("area_key") and location is None:
        area = await area_for(ctx.session, ctx.settings, area_key=ctx.entities["area_key"])
        if area is not None:
            return _answer(ctx, area.name)
    if location is not None:
        return await _at(ctx, location)
    return await _ask_where(ctx, await street_unknown(ctx, address) if address else None)


async def _ask_where(ctx: Context, unknown: str | None = None) -> Reply:
    """Ask for a position or an address (saying first why a street could not be placed)."""
    ctx.start_flow("where")
    return ctx.reply(unknown or ctx.t("ask_where"), [ctx.intent_choice("help")], request_location=True)


async def resume(ctx: Context) -> Reply | None:
    """The position or the address asked for (a street that cannot be placed is said so, and a
    quartier or a position asked for); anything else is treated afresh."""
    ctx.end_flow()
    location = ctx.message.location
    words = ctx.text[:200]
    if location is None and normalize(words):
        area_key = ctx.bot.nlu.extractors.extract(words, normalize(words)).get("area_key")
        area = await area_for(ctx.session, ctx.settings, area_key=area_key) if area_key else None
        if area is not None:
            return _answer(ctx, area.name)
        location = await point_for_address(ctx.session, ctx.settings, words)
        if location is None:
            unknown = await street_unknown(ctx, words)
            return await _ask_where(ctx, unknown) if unknown else None
    return await _at(ctx, location) if location is not None else None


async def _at(ctx: Context, location: Location) -> Reply:
    area = await area_at(ctx.session, location.latitude, location.longitude)
    if area is None:
        return ctx.reply(ctx.t("outside", city=ctx.settings.city_name), [ctx.intent_choice("help")])
    return _answer(ctx, area.name)


def _answer(ctx: Context, area: str) -> Reply:
    return ctx.reply(ctx.t("in_area", area=area),
                     [ctx.intent_choice("find_official"), ctx.intent_choice("find_service")])
