"""Shared fixtures.

Every test that uses ``bot`` or ``engine`` runs on SQLite, and again on PostgreSQL when
CIVICBOT_TEST_DATABASE_URL is set (``.ci/run`` sets it), each time in a fresh database:
a new SQLite file, or a new PostgreSQL schema dropped afterwards.
"""
from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import db
from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.testing import ChatTester
from tests.support.scratch import scratch_database
from tests.support.templates import SqliteTemplates

# Fixtures of the support modules, for every test: the loopback Bot API and a Telegram connector
# polling it, the loopback Open311 server, the loopback SMTP server.
pytest_plugins = ["tests.support.telegram", "tests.support.servers.open311", "tests.support.smtp"]

# Kinds of tests that start something heavy; each is also "slow", which the fast lane
# (``pytest -m "not slow"``) leaves out. Registered in pyproject.toml.
SLOW_KINDS = ("synapse", "browser", "subprocess", "benchmark", "fuzz")

# Hypothesis times each example: on a loaded machine that is noise, not a finding.
settings.register_profile("civicbot", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("civicbot")

POSTGRES_URL = os.environ.get("CIVICBOT_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session", autouse=True)
def own_default_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The default data directory (``Settings().data_dir``, under XDG_DATA_HOME) of this test
    process alone: never the user's, nor one that another pytest-xdist worker writes too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        yield


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database on the backend under test."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}" if backend == "sqlite" else POSTGRES_URL
    async with scratch_database(url) as scratch:
        yield scratch


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret")


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    """Migrated SQLite databases each test's file starts as a copy of (``tests/support/templates.py``)."""
    return SqliteTemplates(tmp_path_factory.mktemp("templates"))


@pytest.fixture
async def engine(settings: Settings, sqlite_templates: SqliteTemplates) -> AsyncIterator[AsyncEngine]:
    sqlite_templates.seed(settings.effective_database_url, demo=False)
    engine = db.create_engine(settings.effective_database_url)
    await db.migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def bot(settings: Settings, sqlite_templates: SqliteTemplates) -> AsyncIterator[CivicBot]:
    sqlite_templates.seed(settings.effective_database_url, demo=settings.demo_data)
    bot = await create_bot(settings)
    yield bot
    await bot.close()


@pytest.fixture
def alice(bot: CivicBot) -> ChatTester:
    return ChatTester(bot, user="alice")


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    """A real Synapse homeserver on 127.0.0.1 for the whole session (``tests/synapse.py``).

    Skips when matrix-synapse is not installed, unless CIVICBOT_REQUIRE_SYNAPSE=1 (CI), where
    its absence fails the tests instead.
    """
    from tests.support.synapse import Synapse, synapse_missing_reason

    reason = synapse_missing_reason()
    if reason:
        if os.environ.get("CIVICBOT_REQUIRE_SYNAPSE") == "1":
            pytest.fail(f"CIVICBOT_REQUIRE_SYNAPSE=1 but {reason}")
        pytest.skip(reason)
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test of a slow kind is slow. The Synapse tests share one worker, as they share one
    homeserver per session: it starts once, not on every worker."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_KINDS):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("synapse"):
            item.add_marker(pytest.mark.xdist_group("synapse"))
