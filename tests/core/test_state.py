"""Residents' state: read and written in the message's own transaction, the same way on both
databases, so whatever a handler changes is kept (bot/router.py, bot/db.py)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, String, inspect, select, text, update

from bot import db
from bot.app import CivicBot
from bot.config import Settings
from bot.context import Context
from bot.features import create_bot
from bot.messages import Choice, Reply
from bot.models import Conversation, User
from bot.testing import ChatTester
from tests.support.flows import install_echo_flow, install_intent

MOMENT = datetime(2031, 5, 17, 9, 30, 15, tzinfo=UTC)


def changed(column: Column, value: Any) -> Any:
    """A value of the column's type that differs from ``value``. A column of a new type fails
    here, so that it gets a value too."""
    if isinstance(value, dict):
        return {"changed": ["à la main", 3], "was": value}
    if isinstance(value, list):
        return [["Écrit par le test", "/changed"]]
    python_type = column.type.python_type
    if python_type is bool:
        return not value
    if python_type is datetime:
        return MOMENT
    if python_type is int:
        return (value or 0) + 1
    if python_type is str:
        length = column.type.length if isinstance(column.type, String) else None
        return f"chg-{column.key}"[:length or 64]
    raise AssertionError(f"no changed value for {column.table.name}.{column.key} ({python_type})")


def state_columns(model: type) -> list[Column]:
    """Every mapped column but the row's identity (its primary and foreign keys)."""
    return [column for attribute in inspect(model).column_attrs for column in attribute.columns
            if not column.primary_key and not column.foreign_keys]


def same(expected: Any, stored: Any) -> bool:
    if isinstance(expected, datetime) and stored.tzinfo is None:  # SQLite gives back naive UTC
        stored = stored.replace(tzinfo=UTC)
    return bool(expected == stored)


async def test_every_attribute_a_handler_changes_is_kept(bot: CivicBot) -> None:
    """The handler changes every column of the resident and their conversation (a column added
    to the models is covered by itself); each is read back from a fresh session."""
    expected: dict[tuple[type, str], Any] = {}

    async def change_everything(ctx: Context) -> Reply:
        for model, instance in ((User, ctx.user), (Conversation, ctx.conversation)):
            for column in state_columns(model):
                value = changed(column, getattr(instance, column.key))
                setattr(instance, column.key, value)
                expected[model, column.key] = value
        # The router keeps the conversation's choices and language those of the reply.
        language = ctx.conversation.language or "en"
        return Reply("ok", [Choice(label, value) for label, value in ctx.conversation.choices],
                     language=language)

    install_intent(bot, "everything", change_everything)
    alice = ChatTester(bot, "alice")
    await alice.say("bonjour")
    assert (await alice.say("/everything")).text == "ok"

    async with bot.sessions() as session:
        user = (await session.scalars(select(User))).one()
        conversation = await session.get(Conversation, user.id)
    assert conversation is not None
    stored = {(model, key): getattr(instance, key)
              for model, instance in ((User, user), (Conversation, conversation))
              for column_model, key in expected if column_model is model}
    lost = {f"{model.__tablename__}.{key}": (value, stored[model, key])
            for (model, key), value in expected.items() if not same(value, stored[model, key])}
    assert not lost
    assert len(expected) == len(state_columns(User)) + len(state_columns(Conversation))


async def test_a_flow_survives_a_restart(settings: Settings) -> None:
    bot = await create_bot(settings)
    install_echo_flow(bot)
    alice = ChatTester(bot, "alice")
    assert (await alice.say("/flowtest")).text == "name?"
    assert (await alice.say("Alice")).text == "colour?"
    await bot.close()

    bot = await create_bot(settings)
    install_echo_flow(bot)
    try:
        assert (await ChatTester(bot, "alice").say("vert")).text == "Alice likes vert"
    finally:
        await bot.close()


async def test_a_change_committed_elsewhere_is_seen_by_the_next_message(bot: CivicBot) -> None:
    """A delivery found the resident had blocked the bot; they write again: active again."""
    alice = ChatTester(bot, "alice")
    await alice.say("bonjour")
    async with bot.sessions() as session:
        await session.execute(update(User).values(active=False))
        await session.commit()
    await alice.say("aide")
    async with bot.sessions() as session:
        assert (await session.scalars(select(User.active))).one() is True


async def test_residents_writing_at_once_all_get_answers(bot: CivicBot) -> None:
    """First messages (a new resident is written at once), flows and questions, eight residents
    at once: no one gets the apology ("database is locked" after the busy timeout)."""
    texts = ["bonjour", "quels sont les horaires de la mairie ?", "/aide", "hello, what can you do?",
             "je voudrais signaler un nid-de-poule", "qui est l'élu de mon quartier ?"]

    async def converse(resident: ChatTester, first: int) -> list[str]:
        return [(await resident.say(texts[(first + turn) % len(texts)])).text for turn in range(6)]

    residents = [ChatTester(bot, f"resident-{number}") for number in range(8)]
    conversations = await asyncio.wait_for(
        asyncio.gather(*(converse(resident, number) for number, resident in enumerate(residents))),
        timeout=60)
    error = bot.catalog.get("core.error", "fr")
    assert not [said for replies in conversations for said in replies if said == error]


async def test_a_residents_messages_sent_at_once_are_answered_one_after_another(bot: CivicBot) -> None:
    """A resident who types fast (or writes from two tabs) sends the next message before the
    last is answered: each is answered on the state the one before left, as if sent one by one.
    Answered at once, the second read the state the first had not yet written, and a flow's
    step was kept with another message's data (a KeyError, the apology)."""
    texts = ["je veux signaler un nid de poule", "il est très profond, devant l'école", "annuler",
             "quel est le budget de la culture", "je voudrais signaler un lampadaire en panne",
             "il clignote toute la nuit", "annuler", "qui est le maire ?"]
    one_by_one = ChatTester(bot, "one-by-one")
    expected = [(await one_by_one.say(text)).text for text in texts]
    fast = ChatTester(bot, "fast-typer")
    replies = await asyncio.wait_for(asyncio.gather(*(fast.say(text) for text in texts)), timeout=60)
    assert [reply.text for reply in replies] == expected


async def test_two_processes_answering_one_resident_on_postgresql_lose_no_change(
        bot: CivicBot, settings: Settings, backend: str) -> None:
    """Scaled out, two processes share the database and may get messages of the same resident at
    once: the second waits for the first's commit (the resident's row is locked), so a count
    kept in the conversation loses no step."""
    if backend != "postgresql":
        pytest.skip("several processes on one database is the PostgreSQL set-up")

    async def count(ctx: Context) -> Reply:
        seen = ctx.conversation.data.get("count", 0)
        await asyncio.sleep(0.01)  # the other process answers meanwhile
        ctx.conversation.data = {**ctx.conversation.data, "count": seen + 1}
        return Reply(str(seen + 1), language="fr")

    other = await create_bot(settings)
    try:
        for process in (bot, other):
            install_intent(process, "count", count)
        await ChatTester(bot, "fast-typer").say("bonjour")
        says = [ChatTester(process, "fast-typer").say("/count") for process in (bot, other) * 5]
        replies = await asyncio.wait_for(asyncio.gather(*says), timeout=60)
    finally:
        await other.close()
    assert sorted(int(reply.text) for reply in replies) == list(range(1, 11))


async def test_a_database_error_logs_no_residents_words(bot: CivicBot, caplog: pytest.LogCaptureFixture) -> None:
    """The failing statement's parameters (what the resident wrote, their pseudonymous id) stay
    out of the log; the resident gets the apology."""

    async def clash(ctx: Context) -> Reply:
        await ctx.session.execute(text("INSERT INTO users (id, platform, user_hash) VALUES (:id, :words, :hash)"),
                                  {"id": ctx.user.id, "words": ctx.text, "hash": ctx.user.user_hash})
        return ctx.reply("never")

    install_intent(bot, "clash", clash)
    alice = ChatTester(bot, "alice")
    await alice.say("bonjour")
    with caplog.at_level(logging.DEBUG):
        reply = await alice.say("/clash nid de poule rue Crébillon, chez Mme Durand")
    assert reply.text == bot.catalog.get("core.error", "fr")
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "INSERT INTO users" in logged  # the error was logged, with its statement
    user_hash = bot.pseudonymizer.user_hash(alice.platform, alice.user)
    assert "Durand" not in logged and user_hash not in logged


async def test_a_dropped_postgresql_connection_does_not_fail_the_next_message(
        bot: CivicBot, backend: str) -> None:
    """An administrator (or a restart of the server) ends every connection of the pool between
    two messages: the second is answered normally."""
    if backend != "postgresql":
        pytest.skip("a SQLite file has no connection to drop")
    alice = ChatTester(bot, "alice")
    greeting = await alice.say("bonjour")
    admin = db.create_engine(bot.settings.effective_database_url)
    try:
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                                     {"pids": (await _pooled_connections(bot))[0]})
    finally:
        await admin.dispose()
    again = await alice.say("bonjour")
    assert again.text == greeting.text


async def test_any_session_gets_a_live_connection_after_the_server_dropped_them(
        bot: CivicBot, backend: str) -> None:
    """Not only messages (the router answers again): a background service's or the API's next
    session gets a live connection once the server has ended every connection of the pool."""
    if backend != "postgresql":
        pytest.skip("a SQLite file has no connection to drop")
    await ChatTester(bot, "alice").say("bonjour")
    pids, drivers = await _pooled_connections(bot)
    closed = [asyncio.Event() for _driver in drivers]
    for driver, event in zip(drivers, closed, strict=True):
        driver.add_termination_listener(lambda _connection, event=event: event.set())
    admin = db.create_engine(bot.settings.effective_database_url)
    try:
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                                     {"pids": pids})
            gone = text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = ANY(:pids)")
            while not await connection.scalar(gone, {"pids": pids}):
                pass  # the server processes end on their own time; each query lets the loop run
    finally:
        await admin.dispose()
    # The server is done with them; the driver reads their end at its own pace (a connection
    # checked out in the same instant is the router's case: see the next test).
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in closed)), 30)
    async with bot.sessions() as session:
        assert (await session.scalars(select(User.platform))).all() == ["test"]


async def _pooled_connections(bot: CivicBot) -> tuple[list[int], list[Any]]:
    """The server process ids and driver connections of every connection idle in the bot's
    pool: as many are checked out at once as the pool holds, so each idle one is taken and no
    new one is opened."""
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(bot.engine.connect())
                       for _idle in range(bot.engine.pool.checkedin())]  # type: ignore[attr-defined]
        pids = [await connection.scalar(text("SELECT pg_backend_pid()")) for connection in connections]
        drivers = [(await connection.get_raw_connection()).driver_connection for connection in connections]
        return pids, drivers


async def test_a_connection_dropped_during_a_message_is_answered_on_a_new_one(
        bot: CivicBot, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("a SQLite file has no connection to drop")
    attempts: list[int] = []

    async def dropped_once(ctx: Context) -> Reply:
        attempts.append(1)
        if len(attempts) == 1:
            await ctx.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        ctx.conversation.step = "answered"
        return ctx.reply("répondu")

    install_intent(bot, "dropped", dropped_once)
    reply = await ChatTester(bot, "alice").say("/dropped")
    assert reply.text == "répondu" and len(attempts) == 2
    async with bot.sessions() as session:
        assert (await session.scalars(select(Conversation.step))).one() == "answered"


def test_state_columns_cover_the_models() -> None:
    """The identity columns left out above are only keys."""
    names = {column.key for model in (User, Conversation) for column in state_columns(model)}
    assert {"language", "home_area", "active", "created_at", "last_seen_at",
            "flow", "step", "data", "choices", "updated_at"} <= names
    assert not names & {"id", "user_id"}


def test_settings_have_no_state_cache(tmp_path: Path) -> None:
    assert not hasattr(Settings(data_dir=tmp_path), "state_cache_seconds")
