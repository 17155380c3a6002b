"""Startup hook: the demonstration pack on an empty knowledge base, and the entity extractors."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.entities import EntityExtractors
from bot.text import normalize
from knowledge import store
from knowledge.extractors import area_extractor, extract_address
from knowledge.importers import Writer
from knowledge.importers.pack import import_pack
from knowledge.models import Area

log = logging.getLogger(__name__)
DEMO_PACK = Path(__file__).parent / "demo"


class AssembledBot(Protocol):
    """What the start-up needs of the assembled bot (:class:`bot.app.CivicBot`, which knowledge
    does not import)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def extractors(self) -> EntityExtractors: ...


async def setup(bot: AssembledBot) -> None:
    async with bot.sessions() as session:
        if bot.settings.demo_data and await store.is_empty(session):
            writer = Writer(session)
            await import_pack(writer, DEMO_PACK)
            await session.commit()
            log.info("knowledge base empty: loaded the demonstration pack (%s rows)",
                     sum(writer.counts.values()))
        areas = (await session.execute(select(Area.key, Area.name, Area.city))).all()
    city = normalize(bot.settings.city_name)
    local = [tuple(area) for area in areas if normalize(area.city) == city] or [
        tuple(area) for area in areas]
    bot.extractors.add(area_extractor(local))
    bot.extractors.add(extract_address)
