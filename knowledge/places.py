"""Which area a resident means: a named quartier, a shared location, or an address (known
streets first, then the optional geocoder)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Location
from connectors.geocoder import geocode
from knowledge.geo import area_at, area_by_key, street_named
from knowledge.models import Area

# An address as residents write it: an optional house number, then a kind of street and its name.
_ADDRESS = re.compile(
    r"(?:\b\d+\s*(?:bis|ter)?\s*,?\s*)?\b(?:rue|bd|boulevard|bld|av|ave|avenue|quai|cours|route|rte"
    r"|place|pl|all[ée]e|impasse|chemin|square|passage)\b\.?\s+[^?!.;\n]+",
    re.IGNORECASE)
# ... and the English way, the kind of street last: "5 Unicorn Street", "on Main Road".
_ADDRESS_EN = re.compile(r"(?:\b\d+\s+)?(?:\b[^\W\d_][\w'-]*\s+){1,2}(?:street|road|lane|avenue|boulevard)\b",
                         re.IGNORECASE)
_LEADING = re.compile(r"^(?:on|in|at|the|near|by)\s+", re.IGNORECASE)


async def area_for_address(session: AsyncSession, settings: Settings, address: str) -> Area | None:
    street = await street_named(session, address)
    if street is not None:
        if street.area:
            return await area_by_key(session, street.area)
        if street.latitude is not None and street.longitude is not None:
            return await area_at(session, street.latitude, street.longitude)
    found = await geocode(settings, address)
    return await area_at(session, found.latitude, found.longitude) if found else None


async def point_for_address(session: AsyncSession, settings: Settings, address: str) -> Location | None:
    """Where an address is: a known street's point, else the geocoder's (when configured)."""
    street = await street_named(session, address)
    if street is not None and street.latitude is not None and street.longitude is not None:
        return Location(street.latitude, street.longitude)
    found = await geocode(settings, address)
    return Location(found.latitude, found.longitude) if found else None


async def area_for(session: AsyncSession, settings: Settings, *, area_key: str | None = None,
                   address: str | None = None, location: Location | None = None) -> Area | None:
    """The first of these that names a known area."""
    if area_key:
        area = await area_by_key(session, area_key)
        if area is not None:
            return area
    if location is not None:
        area = await area_at(session, location.latitude, location.longitude)
        if area is not None:
            return area
    if address:
        return await area_for_address(session, settings, address)
    return None


def unknown_street(settings: Settings, words: str) -> str | None:
    """The street the resident wrote ("12 rue des Papillons"), when no geocoder can look up a
    street that is not in the city's list: the caller found none, and must say so rather than
    ask for an address again."""
    if settings.geocoder_url:
        return None
    match = _ADDRESS.search(words) or _ADDRESS_EN.search(words)
    return _LEADING.sub("", match.group(0).strip(" ,")) if match else None


async def example_area(session: AsyncSession) -> str:
    """A quartier of the city, to show how one is written."""
    return await session.scalar(select(Area.name).order_by(Area.id).limit(1)) or "Centre"
