"""The SQLite adapter: one trip to aiosqlite's thread per statement, no trip to end a
transaction that is not open, and everything SQLAlchemy reads from a cursor still right."""
from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import ForeignKey, String, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot import db
from bot.sqlite_driver import OneTripCursor, run_in_thread


class _Base(DeclarativeBase):
    pass


class Street(_Base):
    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Lamp(_Base):
    __tablename__ = "lamps"
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Every call queued to an aiosqlite connection's thread, by name."""
    counted: Counter = Counter()
    queue = aiosqlite.Connection._execute

    async def counting(connection, function, *args, **kwargs):
        counted[function.__name__] += 1
        return await queue(connection, function, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return counted


async def test_a_query_is_one_trip_and_a_read_only_session_ends_without_one(
        engine: AsyncEngine, trips: Counter) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        session.add_all([Street(name="rue Kervégan"), Street(name="quai de la Fosse")])
        await session.commit()
    trips.clear()
    async with sessions() as session:
        names = (await session.scalars(select(Street.name).order_by(Street.name))).all()
    assert names == ["quai de la Fosse", "rue Kervégan"]
    assert sum(trips.values()) == 1


async def test_inserts_updates_and_their_counts(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        street = Street(name="allée Duguay-Trouin")
        session.add(street)
        await session.flush()  # the new id comes back from the cursor
        session.add_all([Lamp(street_id=street.id) for _ in range(3)])
        await session.commit()
        moved = await session.execute(update(Lamp).where(Lamp.street_id == street.id).values(street_id=street.id))
        assert moved.rowcount == 3
        raw = await session.execute(insert(Street).values(name="rue Crébillon"))
        assert raw.inserted_primary_key[0] == street.id + 1
        await session.commit()
    async with sessions() as session:
        assert await session.scalar(select(Lamp.id).order_by(Lamp.id.desc())) == 3
        streamed = [name async for name in await session.stream_scalars(select(Street.name).order_by(Street.id))]
        assert streamed == ["allée Duguay-Trouin", "rue Crébillon"]


async def test_errors_come_back_as_sqlalchemy_errors_and_the_session_goes_on(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        session.add(Street(name="rue de Strasbourg"))
        await session.commit()
        session.add(Street(name="rue de Strasbourg"))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        with pytest.raises(OperationalError):
            await session.execute(text("SELEKT 1"))
        await session.rollback()
        assert await session.scalar(select(Street.name)) == "rue de Strasbourg"


async def test_a_write_ends_its_transaction_with_a_trip(engine: AsyncEngine, trips: Counter) -> None:
    """Skipping the commit or the rollback of an open transaction would lose or keep writes."""
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        session.add(Street(name="rue du Calvaire"))
        await session.flush()
        trips.clear()
        await session.rollback()
        assert sum(trips.values()) == 1
        session.add(Street(name="rue d'Orléans"))
        await session.commit()
    async with sessions() as session:
        assert (await session.scalars(select(Street.name))).all() == ["rue d'Orléans"]


async def test_work_run_in_the_thread_sees_the_plain_connection(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert await run_in_thread(driver, lambda plain: plain.execute("SELECT 40 + 2").fetchone()[0]) == 42


async def test_rows_are_fetched_from_memory_in_any_size(engine: AsyncEngine) -> None:
    def fetch(connection) -> list:
        cursor = connection.connection.dbapi_connection.cursor()
        assert isinstance(cursor, OneTripCursor)
        cursor.arraysize = 2
        cursor.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4")
        seen = [cursor.fetchmany(), cursor.fetchone(), cursor.fetchall(), cursor.fetchone()]
        cursor.close()
        return seen

    async with engine.connect() as connection:
        assert await connection.run_sync(fetch) == [[(1,), (2,)], (3,), [(4,)], None]
