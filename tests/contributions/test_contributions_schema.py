"""The 0005_contributions migration creates exactly what the models declare, on both backends."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.contributions import models
from bot.db import Base

TABLES = {model.__tablename__ for model in (models.Contribution, models.Support, models.ContributionEvent,
                                            models.Poll, models.PollOption, models.Vote, models.Opinion)}


def _ours(diff) -> bool:
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item:
            table = getattr(part, "table", None)
            name = getattr(part, "name", None)
            if (table is not None and table.name in TABLES) or name in TABLES or part in TABLES:
                return True
    return False


async def test_migration_matches_the_models(engine: AsyncEngine) -> None:
    def differences(connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [diff for diff in compare_metadata(context, Base.metadata) if _ours(diff)]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
