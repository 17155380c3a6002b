"""Startup hook: the demonstration pack on an empty knowledge base, and the entity extractors."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.text import normalize
from knowledge import store
from knowledge.extractors import area_extractor, extract_address
from knowledge.importers import Writer
from knowledge.importers.pack import import_pack
from knowledge.models import Area

if TYPE_CHECKING:
    from bot.app import CivicBot

log = logging.getLogger(__name__)
DEMO_PACK = Path(__file__).parent / "demo"


async def setup(bot: CivicBot) -> None:
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
    bot.nlu.extractors.add(area_extractor(local))
    bot.nlu.extractors.add(extract_address)
