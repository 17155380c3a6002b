"""A database of its own for a test or a benchmark run."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


@asynccontextmanager
async def scratch_database(url: str, prefix: str = "t") -> AsyncIterator[str]:
    """``url`` itself unless it is PostgreSQL; there, a URL to a new schema, dropped afterwards."""
    if not url.startswith("postgresql"):
        yield url
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}{'&' if '?' in url else '?'}search_path={schema}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()
