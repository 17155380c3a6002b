"""Features as units: a feature defined here is picked up by the bot, the HTTP server, ``civicbot
serve`` and the command line when it is listed, and leaves nothing behind when it is not; the
application's list covers every intent module and every table is migrated."""
from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import click
import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot import outbox, serve
from bot.app import CivicBot, FeatureError
from bot.cli import build_cli
from bot.command_line import run_with_bot
from bot.config import Settings
from bot.db import Base
from bot.feature import Feature
from bot.features import FEATURES, create_bot
from bot.handover.feature import FEATURE as HANDOVER
from bot.http import create_app
from bot.intent import intent_modules
from bot.publications.models import Publication
from knowledge.feature import FEATURE as KNOWLEDGE
from tests.support.contributions import drain
from tests.support.email import publish
from tests.support.network import free_port, until_answers

GREETING = {"fr": "Bienvenue au marché de Noël !", "en": "Welcome to the Christmas market!"}
EVENTS: list[str] = []
MARKET_BOT = web.AppKey("market_bot", CivicBot)


async def market_page(request: web.Request) -> web.Response:
    bot = request.app[MARKET_BOT]
    return web.Response(text=bot.catalog.get("market.greeting", request.query.get("lang", "fr")))


def market_routes(app: web.Application, bot: CivicBot) -> None:
    app[MARKET_BOT] = bot
    app.router.add_get("/market", market_page)


async def opening_hook(bot: CivicBot) -> None:
    EVENTS.append("started")


async def stall_keeper(bot: CivicBot, stop: asyncio.Event) -> None:
    EVENTS.append("service")
    await stop.wait()


async def night_watch(bot: CivicBot, stop: asyncio.Event) -> None:
    EVENTS.append("leader service")
    await stop.wait()


async def ring_the_bell(bot: CivicBot, entry: outbox.OutboxEntry) -> None:
    EVENTS.append(f"bell {entry.payload['stall']}")


async def announce_at_the_stalls(bot: CivicBot, session: AsyncSession, publication: Publication) -> int:
    outbox.enqueue(session, "market.bell", {"stall": publication.title_fr})
    return 1


@click.command("market")
@click.pass_obj
def market_command(settings: Settings) -> None:
    """Say the market's greeting (opens the bot with the command line's features)."""

    async def work(bot: CivicBot) -> str:
        return bot.catalog.get("market.greeting", "en")

    click.echo(run_with_bot(work, settings))


@pytest.fixture
def market(tmp_path: Path) -> Feature:
    """A feature with a bit of everything, its texts in its own folder."""
    locale = tmp_path / "locale"
    locale.mkdir()
    for lang, text in GREETING.items():
        (locale / f"market.{lang}.yaml").write_text(f"greeting: {text}\n", encoding="utf-8")
    EVENTS.clear()
    return Feature(name="market", texts=("market",), locale_dir=locale, startup=(opening_hook,),
                   routes=market_routes, services=(stall_keeper,), leader_services=(night_watch,),
                   commands=(market_command,), outbox_handlers={"market.bell": ring_the_bell},
                   audience=announce_at_the_stalls)


async def _ring(bot: CivicBot, stall: str) -> None:
    async with bot.sessions() as session:
        outbox.enqueue(session, "market.bell", {"stall": stall})
        await session.commit()


async def test_a_listed_feature_brings_its_texts_routes_hooks_and_outbox_handler(
        settings: Settings, market: Feature) -> None:
    bot = await create_bot(settings, features=(*FEATURES, market))
    try:
        assert EVENTS == ["started"]
        assert bot.catalog.get("market.greeting", "fr") == GREETING["fr"]
        assert bot.catalog.get("market.greeting", "en") == GREETING["en"]
        async with TestClient(TestServer(create_app(bot))) as client:
            response = await client.get("/market", params={"lang": "en"})
            assert response.status == 200 and await response.text() == GREETING["en"]
        await _ring(bot, "vin chaud")
        assert await drain(bot, ("market.bell",)) == 1
        assert EVENTS == ["started", "bell vin chaud"]
    finally:
        await bot.close()


async def test_a_publication_reaches_the_audience_of_every_listed_feature(
        settings: Settings, market: Feature) -> None:
    """The publisher asks each feature to queue its recipients: the chat subscribers' feature
    finds nobody here, the market rings its bell, and the count is the sum."""
    bot = await create_bot(settings, features=(*FEATURES, market))
    try:
        assert await publish(bot, "Marché de Noël ouvert", "Place Royale, dès 11 h.", topics=["culture"]) == 1
        assert await drain(bot, ("market.bell",)) == 1
        assert EVENTS == ["started", "bell Marché de Noël ouvert"]
    finally:
        await bot.close()


async def test_an_unlisted_feature_leaves_nothing_behind(settings: Settings, market: Feature) -> None:
    bot = await create_bot(settings)
    try:
        assert EVENTS == []
        assert bot.catalog.get("market.greeting", "fr") == "market.greeting"  # the key: no such text
        async with TestClient(TestServer(create_app(bot))) as client:
            assert (await client.get("/market")).status == 404
        await _ring(bot, "crêpes")
        async with bot.sessions() as session:
            [entry] = await outbox.claim(session, 10, kinds=("market.bell",))
            await session.commit()
        outcome = await outbox.run_handler(entry, bot.outbox_handlers)
        assert outcome.status == outbox.FAILED and "no handler" in (outcome.error or "")
        assert EVENTS == []
    finally:
        await bot.close()


async def test_removing_a_feature_removes_its_routes_and_commands(settings: Settings) -> None:
    without_handover = tuple(feature for feature in FEATURES if feature is not HANDOVER)
    bot = await create_bot(settings, features=without_handover)
    try:
        async with TestClient(TestServer(create_app(bot))) as client:
            assert (await client.get("/agent")).status == 404
            assert (await client.get("/api/v1/handover/tickets")).status == 404
            document = await (await client.get("/api/v1/openapi.json")).json()
        assert not any(path.startswith("/api/v1/handover") for path in document["paths"])
        assert "/api/v1/polls" in document["paths"]
        assert "talk_to_human" not in bot.intents
    finally:
        await bot.close()
    assert "import" in build_cli().commands
    assert "import" not in build_cli(tuple(f for f in FEATURES if f is not KNOWLEDGE)).commands


def _environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    for name, value in (("DATA_DIR", str(settings.data_dir)), ("DATABASE_URL", settings.database_url),
                        ("SECRET", settings.secret)):
        monkeypatch.setenv(f"CIVICBOT_{name}", value)


async def test_the_command_line_has_a_listed_feature_s_commands_only(
        settings: Settings, market: Feature, monkeypatch: pytest.MonkeyPatch) -> None:
    _environment(monkeypatch, settings)
    listed = await asyncio.to_thread(CliRunner().invoke, build_cli((*FEATURES, market)), ["market"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.strip().splitlines()[-1] == GREETING["en"]  # its bot has the feature's texts
    unlisted = await asyncio.to_thread(CliRunner().invoke, build_cli(), ["market"])
    assert unlisted.exit_code == 2 and "No such command 'market'" in unlisted.output


async def test_serve_runs_a_listed_feature_s_services_and_routes(settings: Settings, market: Feature) -> None:
    settings.http_port = free_port()
    quiet = tuple(dataclasses.replace(feature, services=(), leader_services=()) for feature in FEATURES)
    stop = asyncio.Event()
    task = asyncio.create_task(serve.serve(settings, stop, (*quiet, market)))
    try:
        await until_answers(f"http://127.0.0.1:{settings.http_port}/healthz", lambda: None, timeout=30)
        async with ClientSession() as http, http.get(f"http://127.0.0.1:{settings.http_port}/market") as response:
            assert await response.text() == GREETING["fr"]
        for _ in range(100):
            if "leader service" in EVENTS:
                break
            await asyncio.sleep(0.05)
        assert sorted(EVENTS) == ["leader service", "service", "started"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def test_every_intent_module_belongs_to_exactly_one_feature() -> None:
    listed = [name for feature in FEATURES for name in feature.intents]
    assert sorted(listed) == sorted(set(listed))
    assert set(listed) == set(intent_modules())


@pytest.mark.parametrize("twin", [
    Feature("greetings again", intents=("greet",)),
    Feature("conversation"),
    Feature("outbox twin", outbox_handlers={"contribution.forward": ring_the_bell}),
], ids=["intent", "name", "outbox kind"])
async def test_two_features_claiming_the_same_thing_are_refused_clearly(settings: Settings, twin: Feature) -> None:
    with pytest.raises(FeatureError, match="claim the same thing"):
        await create_bot(settings, features=(*FEATURES, twin))


def _tables_and_differences(connection) -> tuple[set[str], list]:
    """The tables of the migrated database, and what the models have that it has not, or has
    otherwise (what the migrations add besides the models, the full-text machinery of SQLite and
    PostgreSQL, left aside: "remove" differences)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = [difference for difference in compare_metadata(context, Base.metadata)
                   if not (isinstance(difference, tuple) and difference[0].startswith("remove_"))]
    return set(inspect(connection).get_table_names()), differences


async def test_every_feature_s_tables_are_migrated_exactly(engine: AsyncEngine) -> None:
    declared = {table.name for table in Base.metadata.sorted_tables}
    from_features = {table.name for table in Base.metadata.sorted_tables
                     if any(table.name in {getattr(model, "__tablename__", None)
                                           for model in vars(module).values()}
                            for feature in FEATURES for module in feature.models)}
    assert from_features == declared  # no table outside a feature's models
    async with engine.connect() as connection:
        tables, differences = await connection.run_sync(_tables_and_differences)
    assert declared <= tables
    assert differences == []
