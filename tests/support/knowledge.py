"""Helpers of the knowledge tests: run an importer in one transaction, count rows."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import db
from knowledge.importers import Writer


async def run_import(engine: AsyncEngine, work) -> Writer:
    async with db.session_factory(engine)() as session:
        writer = Writer(session)
        await work(writer)
        await writer.finish()
        await session.commit()
        return writer


async def count(engine: AsyncEngine, model, *where) -> int:
    async with db.session_factory(engine)() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


def dataset(key: str, title: str, description: str = "", keywords: list[str] | None = None) -> dict:
    return {"key": key, "title": title, "description": description, "keywords": keywords or [],
            "publisher": "Ville de Testville", "url": f"https://example.org/{key}", "updated": None,
            "source": "Portail de test", "source_url": "https://example.org", "licence": "CC-BY",
            "source_date": None, "demo": False}
