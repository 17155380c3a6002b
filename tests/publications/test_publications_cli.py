"""``civicbot publish FILE``: checked like the API, then a progress bar until delivered."""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.features import create_bot
from bot.publications.models import Publication
from tests.support.delivery import RecordingConnector, add_subscribers, running

pytestmark = pytest.mark.subprocess


async def civicbot(data_dir: Path, *args: str) -> tuple[int, str, str]:
    environ = {**os.environ, "CIVICBOT_DATA_DIR": str(data_dir)}
    environ.pop("CIVICBOT_DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_publish_follows_the_delivery_to_its_end(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bot = await create_bot(Settings(data_dir=data_dir))
    try:
        async with bot.sessions() as session:
            await add_subscribers(session, ["1", "2", "3"], topic="culture")
        notice = tmp_path / "notice.txt"
        notice.write_text("Nuit des musées\n\nLes musées ouvrent gratuitement samedi soir.\n", encoding="utf-8")
        english = tmp_path / "notice.en.txt"
        english.write_text("Museum night\nFree entry on Saturday evening.", encoding="utf-8")
        connector = RecordingConnector()
        async with running(bot, {"telegram": connector}, delivery_poll_seconds=0.2):
            code, out, err = await civicbot(data_dir, "publish", str(notice), "--topic", "culture",
                                            "--english", str(english), "--kind", "news")
        assert code == 0, err
        assert "publication 1: 3 recipients" in out and "sent 3, failed 0, blocked 0" in out
        assert "3/3" in err  # the progress bar reached its end
        assert sorted(connector.per_chat()) == ["1", "2", "3"]
        assert connector.sent[0][1].startswith("Nuit des musées\n\nLes musées ouvrent")
        async with bot.sessions() as session:
            publication = (await session.execute(select(Publication))).scalar_one()
        assert publication.title_en == "Museum night" and publication.published_by == "cli"
    finally:
        await bot.close()


async def test_a_wrong_field_is_named_and_nothing_is_published(tmp_path: Path) -> None:
    notice = tmp_path / "notice.txt"
    notice.write_text("Titre\nTexte", encoding="utf-8")
    code, _, err = await civicbot(tmp_path / "data", "publish", str(notice), "--topic", "astrologie")
    assert code == 2 and "topics[0]: unknown topic 'astrologie'" in err and "Traceback" not in err
    code, _, err = await civicbot(tmp_path / "data", "publish", str(notice))
    assert code == 2 and "topics: give at least one topic" in err
    bad_json = tmp_path / "notice.json"
    bad_json.write_text("{not json", encoding="utf-8")
    code, _, err = await civicbot(tmp_path / "data", "publish", str(bad_json), "--topic", "culture")
    assert code == 2 and "not valid JSON" in err
    fields = tmp_path / "fields.json"
    fields.write_text(json.dumps({"title": {"fr": "T"}, "text": {"fr": "x"}, "kind": "works",
                                  "topics": ["travaux"], "link": "ftp://example.org"}), encoding="utf-8")
    code, _, err = await civicbot(tmp_path / "data", "publish", str(fields))
    assert code == 2 and "link: must be an http:// or https:// address" in err
    bot = await create_bot(Settings(data_dir=tmp_path / "data"))
    try:
        async with bot.sessions() as session:
            assert (await session.execute(select(func.count()).select_from(Publication))).scalar() == 0
    finally:
        await bot.close()


async def test_no_wait_and_a_scheduled_publication_return_at_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bot = await create_bot(Settings(data_dir=data_dir))
    try:
        async with bot.sessions() as session:
            await add_subscribers(session, ["1"], topic="travaux")
    finally:
        await bot.close()
    notice = tmp_path / "notice.txt"
    notice.write_text("Travaux\nRue fermée", encoding="utf-8")
    code, out, _ = await civicbot(data_dir, "publish", str(notice), "--topic", "travaux", "--no-wait")
    assert code == 0 and "publication 1: 1 recipient\n" in out
    code, out, _ = await civicbot(data_dir, "publish", str(notice), "--topic", "travaux", "--at", "2199-01-01T09:00")
    assert code == 0 and "scheduled for 2199-01-01 09:00" in out
