"""Residents' state kept between messages and written in groups (bot/residents.py)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from bot import db
from bot.app import CivicBot
from bot.config import Settings
from bot.models import Conversation, User
from bot.residents import StateWriter
from bot.testing import ChatTester
from tests.support.flows import install_echo_flow


def sqlite_settings(tmp_path: Path, **values) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret="test-secret",
                    database_url=f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}", **values)


@pytest.fixture
async def sqlite_bot(tmp_path: Path) -> AsyncIterator[CivicBot]:
    bot = await CivicBot.create(sqlite_settings(tmp_path))
    yield bot
    await bot.close()


def record_statements(bot: CivicBot) -> list[str]:
    statements: list[str] = []
    event.listen(bot.engine.sync_engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_rest: statements.append(statement))
    return statements


async def stored(bot: CivicBot, user_hash: str) -> tuple[User, Conversation]:
    async with bot.sessions() as session:
        return tuple((await session.execute(
            select(User, Conversation).join(Conversation, Conversation.user_id == User.id)
            .where(User.user_hash == user_hash))).one())


def user_hash(bot: CivicBot, tester: ChatTester) -> str:
    return bot.pseudonymizer.user_hash(tester.platform, tester.user)


async def test_kept_only_on_sqlite(bot: CivicBot, backend: str) -> None:
    """PostgreSQL deployments may run several processes for the same residents."""
    assert bot.router.states.enabled is (backend == "sqlite")
    reply = await ChatTester(bot, "pat").say("aide")
    assert reply.choices


async def test_next_message_reads_nothing_and_its_state_is_committed(sqlite_bot: CivicBot) -> None:
    alice = ChatTester(sqlite_bot, "alice")
    await alice.say("bonjour")
    statements = record_statements(sqlite_bot)
    reply = await alice.say("aide")
    assert not [sql for sql in statements if "FROM users" in sql or "FROM conversations" in sql]
    _user, conversation = await stored(sqlite_bot, user_hash(sqlite_bot, alice))
    assert conversation.choices == [[choice.label, choice.value] for choice in reply.choices]


async def test_state_of_messages_waiting_together_is_committed_together(
        sqlite_bot: CivicBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """More residents at once than the pool has connections, each message reading the database
    (their contributions): none holds a connection while its state waits for the writer."""
    residents = [ChatTester(sqlite_bot, f"resident-{number}") for number in range(20)]
    for resident in residents:
        await resident.say("bonjour")
    batches: list[int] = []
    commit = StateWriter._commit

    async def counted(writer: StateWriter, driver, batch: list) -> None:
        batches.append(len(batch))
        await commit(writer, driver, batch)

    monkeypatch.setattr(StateWriter, "_commit", counted)
    replies = await asyncio.wait_for(
        asyncio.gather(*(resident.say("/contributions") for resident in residents)), timeout=10)
    assert sum(batches) == len(residents) and len(batches) < len(residents)
    for resident, reply in zip(residents, replies, strict=True):
        _user, conversation = await stored(sqlite_bot, user_hash(sqlite_bot, resident))
        assert conversation.choices == [[choice.label, choice.value] for choice in reply.choices]


async def test_a_flow_written_in_groups_survives_a_restart(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    bot = await CivicBot.create(settings)
    install_echo_flow(bot)
    alice = ChatTester(bot, "alice")
    await alice.say("bonjour")
    assert (await alice.say("/flowtest")).text == "name?"
    assert (await alice.say("Alice")).text == "colour?"
    await bot.close()

    bot = await CivicBot.create(settings)
    install_echo_flow(bot)
    try:
        assert (await ChatTester(bot, "alice").say("green")).text == "Alice likes green"
    finally:
        await bot.close()


async def test_a_change_committed_elsewhere_in_the_process_is_seen_at_once(
        sqlite_bot: CivicBot) -> None:
    """A delivery found the resident had blocked the bot; they write again: active again."""
    alice = ChatTester(sqlite_bot, "alice")
    await alice.say("bonjour")
    async with sqlite_bot.sessions() as session:
        await session.execute(update(User).values(active=False))
        await session.commit()
    await alice.say("aide")
    user, _conversation = await stored(sqlite_bot, user_hash(sqlite_bot, alice))
    assert user.active


async def test_a_change_made_by_another_process_is_seen_once_the_state_is_old(
        tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, state_cache_seconds=0.3)
    bot = await CivicBot.create(settings)
    other_process = db.create_engine(settings.effective_database_url)
    try:
        alice = ChatTester(bot, "alice")
        await alice.say("bonjour")
        async with other_process.begin() as connection:
            await connection.execute(update(User).values(active=False))
        for _message in range(5):  # a lively conversation: the state is never idle for long
            await asyncio.sleep(0.1)
            await alice.say("aide")
        user, _conversation = await stored(bot, user_hash(bot, alice))
        assert user.active
    finally:
        await other_process.dispose()
        await bot.close()


async def test_a_failed_state_write_is_an_apology_and_loses_nothing(
        sqlite_bot: CivicBot, monkeypatch: pytest.MonkeyPatch) -> None:
    install_echo_flow(sqlite_bot)
    alice = ChatTester(sqlite_bot, "alice")
    await alice.say("/flowtest")
    conversations = sqlite_bot.router.states.writer._conversations
    monkeypatch.setattr(conversations, "sql", conversations.sql.replace("conversations", "nowhere"))
    failed = await alice.say("Alice")
    assert failed.text == sqlite_bot.catalog.get("core.error", "fr")
    monkeypatch.undo()
    # The state is read again from the database: the flow still waits for the name.
    assert (await alice.say("Alice")).text == "colour?"
    assert (await alice.say("green")).text == "Alice likes green"


async def test_an_erased_resident_who_writes_again_starts_afresh(sqlite_bot: CivicBot) -> None:
    alice = ChatTester(sqlite_bot, "alice")
    await alice.say("bonjour")
    first, _conversation = await stored(sqlite_bot, user_hash(sqlite_bot, alice))
    await alice.say("/oublier")
    assert "effacé toutes vos données" in (await alice.say("Oui, tout effacer")).text
    async with sqlite_bot.sessions() as session:
        assert (await session.scalars(select(User.id))).all() == []
    assert (await alice.say("bonjour")).choices
    again, conversation = await stored(sqlite_bot, user_hash(sqlite_bot, alice))
    assert again.created_at > first.created_at and conversation.language == "fr"


async def test_closing_commits_the_state_writes_already_asked_for(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    bot = await CivicBot.create(settings)
    residents = [ChatTester(bot, f"resident-{number}") for number in range(5)]
    for resident in residents:
        await resident.say("bonjour")
    answering = [asyncio.create_task(resident.say("aide")) for resident in residents]
    await asyncio.sleep(0)  # the messages are in flight when the bot closes
    await bot.close()
    replies = await asyncio.gather(*answering)
    bot = await CivicBot.create(settings)
    try:
        for resident, reply in zip(residents, replies, strict=True):
            _user, conversation = await stored(bot, user_hash(bot, resident))
            assert conversation.choices == [[choice.label, choice.value] for choice in reply.choices]
    finally:
        await bot.close()


async def test_residents_writing_at_once_never_wait_for_each_other(sqlite_bot: CivicBot) -> None:
    """Messages that write in their own transaction (a new resident, a flow started before a
    query) and state written in groups, all at once: none waits for another holding the
    database (no "database is locked" after the busy timeout)."""
    texts = ["bonjour", "quels sont les horaires de la mairie ?", "/aide", "hello, what can you do?",
             "je voudrais signaler un nid-de-poule", "qui est l'élu de mon quartier ?"]

    async def converse(resident: ChatTester, first: int) -> list[str]:
        return [(await resident.say(texts[(first + turn) % len(texts)])).text for turn in range(6)]

    residents = [ChatTester(sqlite_bot, f"resident-{number}") for number in range(8)]
    conversations = await asyncio.wait_for(
        asyncio.gather(*(converse(resident, number) for number, resident in enumerate(residents))),
        timeout=25)
    error = sqlite_bot.catalog.get("core.error", "fr")
    assert not [text for texts_ in conversations for text in texts_ if text == error]
