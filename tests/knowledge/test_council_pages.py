"""A council with many deliberations answers in pages ("voir la suite"), never in one long
message; "suite" with nothing left says so."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.testing import ChatTester
from intents._pages import PAGE_ITEMS
from knowledge.importers import Origin
from knowledge.importers.scdl import import_deliberations
from tests.support.knowledge import run_import

COUNT = 58  # as many as the last meeting of the issue
HEADER = "COLL_NOM;DELIB_ID;DELIB_DATE;DELIB_OBJET;VOTE_POUR;VOTE_CONTRE;VOTE_ABSTENTION\n"


@pytest.fixture
async def council(tmp_path: Path, database_url: str) -> AsyncIterator[CivicBot]:
    path = tmp_path / "delibs.csv"
    path.write_text(HEADER + "".join(
        f"Ville de Testville;D{n};12/03/2024;\"Délibération numéro {n} &amp; suite_x000D_ fin\";30;2;1\n"
        for n in range(1, COUNT + 1)), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, secret="s",
                        demo_data=False, city_name="Testville")
    bot = await create_bot(settings)
    await run_import(bot.engine, lambda w: import_deliberations(w, path, Origin(source="Test")))
    yield bot
    await bot.close()


async def test_the_last_council_in_pages(council: CivicBot) -> None:
    resident = ChatTester(council, user="lectrice")
    reply = await resident.say("le dernier conseil municipal")
    seen = [reply]
    while any(choice.label == "Voir la suite" for choice in seen[-1].choices):
        more = next(choice for choice in seen[-1].choices if choice.label == "Voir la suite")
        seen.append(await resident.say(more.value))
    text = "\n".join(page.text for page in seen)
    assert len(seen) == -(-COUNT // PAGE_ITEMS) and all(len(page.text) < 4096 for page in seen)
    assert all(f"Délibération numéro {n} & suite — fin" in text for n in range(1, COUNT + 1))
    assert text.count("• ") == COUNT and "&amp;" not in text and "_x000D_" not in text
    assert f"(page {len(seen)} sur {len(seen)})" in seen[-1].text
    done = await resident.say("/conseil suite")
    assert "pas de suite" in done.text


async def test_the_pages_in_english(council: CivicBot) -> None:
    resident = ChatTester(council, user="reader", language="en")
    reply = await resident.say("council meeting of 12 March 2024")
    assert "12 March 2024" in reply.text and "(page 1 of" in reply.text
    more = next(choice for choice in reply.choices if choice.label == "See more")
    assert "Délibération numéro 11 " in (await resident.say(more.value)).text
    assert "Délibération numéro 21 " in (await resident.say("more")).text  # typed, no button


@pytest.mark.parametrize("typed", ["voir la suite", "la suite svp", "suite", "afficher la suite"])
async def test_the_next_page_typed_in_french(council: CivicBot, typed: str) -> None:
    resident = ChatTester(council, user="lecteur")
    await resident.say("le conseil du 12 mars 2024")
    assert "Délibération numéro 11 " in (await resident.say(typed)).text
