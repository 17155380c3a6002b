"""What the operations team watches: /metrics for Prometheus, /healthz and /readyz, JSON logs."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text

from bot import db, logs, outbox
from bot.app import CivicBot
from bot.config import ConfigError, Settings, load_settings
from bot.db import utcnow
from bot.handover.models import Ticket
from bot.http import READINESS_KEY, create_app
from bot.models import User
from bot.testing import ChatTester
from tests.support.network import free_port


@pytest.fixture
async def client(bot: CivicBot) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(bot))) as client:
        yield client


async def scrape(client: TestClient) -> tuple[str, dict[tuple[str, tuple], float]]:
    """The /metrics page and its samples, keyed by (name, sorted labels)."""
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    page = await response.text()
    samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
               for family in text_string_to_metric_families(page) for sample in family.samples}
    return page, samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_messages_and_replies_are_counted_by_platform_and_intent(bot: CivicBot, client: TestClient) -> None:
    _, before = await scrape(client)
    resident = ChatTester(bot, user="zoe-4217-secret")
    await resident.say("bonjour")
    await resident.say("bonjour !")
    await resident.say("je veux signaler un trou dans la chaussée rue Zorglubienne")
    page, after = await scrape(client)
    platform = resident.platform
    received = "civicbot_messages_received_total"
    assert value(after, received, platform=platform) - value(before, received, platform=platform) == 3
    replies = "civicbot_replies_sent_total"
    assert value(after, replies, platform=platform, intent="greet") - \
        value(before, replies, platform=platform, intent="greet") == 2
    latency = "civicbot_reply_seconds_count"
    assert value(after, latency, platform=platform) - value(before, latency, platform=platform) == 3
    # Never a resident's id, pseudonym or words in a label.
    user_hash = bot.pseudonymizer.user_hash(platform, "zoe-4217-secret")
    for private in ("zoe-4217-secret", user_hash, "Zorglub", "zorglub", "chaussée"):
        assert private not in page


async def test_the_database_gauges_are_read_when_scraped(bot: CivicBot, client: TestClient,
                                                         alice: ChatTester) -> None:
    await alice.say("je veux signaler un problème")
    async with bot.sessions() as session:
        user = (await session.scalars(select(User))).one()
        session.add(Ticket(user_id=user.id))
        for _ in range(3):
            entry = outbox.enqueue(session, "handover.reply", {"text": "x"}, platform="telegram", chat_id="1")
            entry.created_at = utcnow() - timedelta(minutes=10)
        await session.commit()
    _, samples = await scrape(client)
    assert value(samples, "civicbot_outbox_pending", kind="handover.reply") == 3
    assert 590 < value(samples, "civicbot_outbox_oldest_seconds", kind="handover.reply") < 3600
    assert value(samples, "civicbot_open_tickets") == 1
    async with bot.sessions() as session:
        flows = await session.scalars(text("SELECT flow FROM conversations WHERE flow IS NOT NULL"))
        (flow,) = flows.all()
    assert value(samples, "civicbot_active_flows", flow=flow) == 1

    await alice.say("annuler")
    async with bot.sessions() as session:
        await session.execute(text("UPDATE outbox SET status = 'sent'"))
        await session.commit()
    _, samples = await scrape(client)
    assert value(samples, "civicbot_active_flows", flow=flow) == 0
    assert value(samples, "civicbot_outbox_pending", kind="handover.reply") == 0


async def test_healthz_says_alive(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_readyz_needs_the_database_the_migrations_and_the_connectors(bot: CivicBot, client: TestClient) -> None:
    response = await client.get("/readyz")
    assert response.status == 503  # the connectors have not started: serve has not said so
    assert (await response.json())["checks"] == {"database": True, "migrations": True, "connectors": False}

    client.app[READINESS_KEY].serving = True
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["status"] == "ready"

    async with bot.engine.begin() as connection:  # as if a newer version's migration were missing
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001_core' "
                                      "WHERE version_num = (SELECT MIN(version_num) FROM alembic_version)"))
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["migrations"] is False


async def test_readyz_says_when_the_database_is_gone(bot: CivicBot, client: TestClient) -> None:
    client.app[READINESS_KEY].serving = True
    working = bot.engine
    bot.engine = db.create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gone")
    try:
        response = await client.get("/readyz")
    finally:
        await bot.engine.dispose()
        bot.engine = working
    assert response.status == 503
    assert (await response.json())["checks"]["database"] is False


def test_json_logs_are_one_object_per_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter(Settings(log_format="json")))
    logger = logging.getLogger("civicbot.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("the back end answered %s", 503)
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("forwarding failed")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "WARNING" and first["logger"] == "civicbot.test.json"
    assert first["message"] == "the back end answered 503"
    assert first["time"].endswith("+00:00")
    assert "RuntimeError: boom" in second["exception"]


def test_a_log_format_that_does_not_exist_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("CIVICBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CIVICBOT_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="log_format"):
        load_settings()


@pytest.mark.subprocess
def test_a_command_logs_json_lines_when_asked(tmp_path) -> None:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CIVICBOT_")}
    environment.update(CIVICBOT_DATA_DIR=str(tmp_path), CIVICBOT_LOG_FORMAT="json", CIVICBOT_SECRET="s")
    done = subprocess.run([sys.executable, "-m", "bot", "nlu", "bonjour"], env=environment,
                          capture_output=True, text=True, timeout=300, check=True)
    lines = done.stderr.splitlines()
    assert lines, "the start-up logs at least that the demonstration pack was loaded"
    entries = [json.loads(line) for line in lines]
    assert any("demonstration pack" in entry["message"] for entry in entries)
    assert json.loads(done.stdout)["intent"] == "greet"  # replies stay on standard output
