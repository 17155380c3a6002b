"""Where a contribution is: a shared location, an address or a quartier, with the quartier found
from the knowledge base when it can be (point-in-polygon, known streets, quartier names)."""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import normalize
from knowledge.geo import area_at, street_named
from knowledge.models import Area

AREA_MATCH = 85


@dataclass(frozen=True)
class Place:
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    area: str | None = None

    def as_flow_data(self) -> dict:
        return {"latitude": self.latitude, "longitude": self.longitude,
                "address": self.address, "area": self.area}


async def place_at(session: AsyncSession, latitude: float, longitude: float) -> Place:
    area = await area_at(session, latitude, longitude)
    return Place(latitude, longitude, area=area.name if area else None)


async def area_named(session: AsyncSession, words: str) -> str | None:
    """The quartier these words name (typo-tolerant), if one clearly does."""
    names = (await session.execute(select(Area.name))).scalars().all()
    best = process.extractOne(normalize(words), {name: normalize(name) for name in names},
                              scorer=fuzz.ratio, score_cutoff=AREA_MATCH)
    return best[2] if best else None


async def place_named(session: AsyncSession, words: str) -> Place:
    """A quartier by its name, else an address (its quartier found from the known streets)."""
    area = await area_named(session, words)
    if area:
        return Place(area=area)
    street = await street_named(session, words)
    return Place(address=words, area=street.area or None if street else None)
