"""Storage: migrations on start, pseudonymous residents, no message text in logs."""
from __future__ import annotations

import logging
import os
import stat

from sqlalchemy import inspect, select, text

from bot import db
from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.models import Conversation, User
from bot.pseudonym import SECRET_FILE, Pseudonymizer, load_or_create_secret
from bot.testing import ChatTester


async def test_migrations_create_the_tables_and_can_run_again(engine) -> None:
    await db.migrate(engine)  # a second start changes nothing
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    assert {"users", "conversations", "connector_state", "outbox"} <= tables
    assert "0001_core" not in versions and versions  # upgraded past the first revision, to every head


async def test_residents_are_stored_only_as_keyed_hashes(bot: CivicBot) -> None:
    await ChatTester(bot, user="123456789", platform="telegram").say("bonjour")
    async with bot.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        conversation = await session.get(Conversation, user.id)
    assert user.platform == "telegram"
    assert "123456789" not in user.user_hash and len(user.user_hash) == 64
    assert user.user_hash == bot.pseudonymizer.user_hash("telegram", "123456789")
    assert "123456789" not in repr(conversation.data)


def test_hash_depends_on_the_secret_and_the_platform() -> None:
    first, second = Pseudonymizer(b"one"), Pseudonymizer(b"two")
    assert first.user_hash("telegram", "42") != second.user_hash("telegram", "42")
    assert first.user_hash("telegram", "42") != first.user_hash("matrix", "42")
    assert first.user_hash("telegram", "42") == Pseudonymizer(b"one").user_hash("telegram", "42")


def test_secret_is_generated_once_and_kept_private(tmp_path) -> None:
    secret = load_or_create_secret(tmp_path)
    assert len(secret) == 64
    assert load_or_create_secret(tmp_path) == secret
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert load_or_create_secret(tmp_path, configured="given") == b"given"


async def test_the_same_resident_is_recognised_after_a_restart(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)  # no configured secret: the generated one is kept
    first = await create_bot(settings)
    await ChatTester(first, user="alice").say("/langue en")
    await first.close()
    second = await create_bot(settings)
    try:
        assert (await ChatTester(second, user="alice").say("bonjour")).language == "en"
    finally:
        await second.close()


async def test_the_data_directory_and_the_database_are_private(tmp_path) -> None:
    """They hold chat addresses and residents' words: no other local user may read them, even
    under the usual umask 022 (which left them 0755 / 0644)."""
    data_dir = tmp_path / "nested" / "civicbot"
    previous = os.umask(0o022)
    try:
        bot = await create_bot(Settings(data_dir=data_dir))
        try:
            await ChatTester(bot, user="alice").say("bonjour, je veux signaler un nid de poule")
        finally:
            await bot.close()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.iterdir():  # civicbot.db, its -wal and -shm files, secret.key
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


async def test_no_message_text_nor_user_id_in_logs(bot: CivicBot, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    secret_words = "mon voisin Jean-Michel Secretname habite au 12 rue des Lilas"
    await ChatTester(bot, user="987654321").say(secret_words)
    await ChatTester(bot, user="987654321").say("bonjour")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Secretname" not in logged and "987654321" not in logged
    assert "nlu" in logged  # the router did log, just not the words


async def test_message_text_is_logged_only_when_configured(settings: Settings, caplog) -> None:
    settings.log_message_text = True
    bot = await create_bot(settings)
    try:
        caplog.set_level(logging.INFO)
        await ChatTester(bot).say("Secretname debug session")
        assert "Secretname" in caplog.text
    finally:
        await bot.close()
