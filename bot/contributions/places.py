"""Where a contribution is: a shared location, an address resolved to coordinates (the known
streets, then the configured geocoder), or a known quartier (typos tolerated), always with the
quartier's name — never its internal key, which the city would receive as an address.

A position or an address outside every quartier of the city is told apart from a place that
was not found, so that the step can question the one and ask the other again with an example.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.text import normalize
from connectors.geocoder import geocode
from knowledge.geo import area_at, area_by_key, street_named
from knowledge.models import Area, Street
from knowledge.places import example_area

AREA_MATCH = 85
_HOUSE_NUMBER = re.compile(r"^\s*(\d+(?:\s*(?:bis|ter))?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    area: str | None = None

    def as_flow_data(self) -> dict:
        return {"latitude": self.latitude, "longitude": self.longitude,
                "address": self.address, "area": self.area}


@dataclass(frozen=True)
class Located:
    """What a resident's words or position gave: a ``place`` in the city, or a point
    ``outside`` it, or neither (not found)."""

    place: Place | None = None
    outside: bool = False


async def place_at(session: AsyncSession, latitude: float, longitude: float) -> Place:
    area = await area_at(session, latitude, longitude)
    return Place(latitude, longitude, area=area.name if area else None)


async def locate_point(session: AsyncSession, latitude: float, longitude: float) -> Located:
    """A shared position: in the city when it lies in one of its quartiers (any position, when
    the knowledge base knows no quartier)."""
    place = await place_at(session, latitude, longitude)
    if place.area or await session.scalar(select(Area.id).limit(1)) is None:
        return Located(place)
    return Located(outside=True)


async def area_named(session: AsyncSession, words: str) -> str | None:
    """The quartier these words name (typo-tolerant), if one clearly does."""
    names = (await session.execute(select(Area.name))).scalars().all()
    best = process.extractOne(normalize(words), {name: normalize(name) for name in names},
                              scorer=fuzz.ratio, score_cutoff=AREA_MATCH)
    return best[2] if best else None


async def _street_place(session: AsyncSession, street: Street, words: str) -> Place:
    number = _HOUSE_NUMBER.match(words)
    address = f"{number.group(1)} {street.name}" if number else street.name
    area = await area_by_key(session, street.area) if street.area else None
    if area is None and street.latitude is not None and street.longitude is not None:
        area = await area_at(session, street.latitude, street.longitude)
    return Place(street.latitude, street.longitude, address, area.name if area else None)


async def locate_words(session: AsyncSession, settings: Settings, words: str,
                       area_key: str | None = None) -> Located:
    """A quartier (``area_key`` the NLU found in the words, or their fuzzy match), else a known
    street, else what the geocoder finds."""
    area = await area_by_key(session, area_key) if area_key else None
    name = area.name if area else await area_named(session, words)
    if name:
        return Located(Place(area=name))
    street = await street_named(session, words)
    if street is not None:
        return Located(await _street_place(session, street, words))
    found = await geocode(settings, words)
    if found is None:
        return Located()
    point = await locate_point(session, found.latitude, found.longitude)
    if point.place is None:
        return point
    return Located(Place(found.latitude, found.longitude, found.label, point.place.area))


async def example_place(session: AsyncSession) -> tuple[str, str]:
    """A street and a quartier of the city, to show how a place is written."""
    street = await session.scalar(select(Street.name).order_by(Street.id).limit(1))
    return street or "Rue de la Mairie", await example_area(session)
