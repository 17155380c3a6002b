"""Montpellier's real deliberations (councils of 25/11/2013 and 16/12/2013, ../shared/realdata):
asked by date, by month, by year and subject, in pages; imports that refuse two-digit years and
report repeated ids. Expected answers are read from the files."""
from __future__ import annotations

import csv
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.messages import Reply
from bot.testing import ChatTester
from intents._pages import PAGE_CHARS
from knowledge.importers import ImportFailed, Origin, clean_text
from knowledge.importers.scdl import import_deliberations
from knowledge.models import Document
from tests.support.data import real_data
from tests.support.knowledge import count, run_import

MAPPED = "derived/montpellier-delibs-scdl-mapped.csv"
ORIGIN = Origin(source="Dérivé des délibérations de Montpellier (fichier de test, pas une publication)")
TELEGRAM_LIMIT = 4096  # characters in one message


def rows(name: str = MAPPED) -> list[dict[str, str]]:
    with real_data(name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def titles_of(day: str) -> list[str]:
    """The cleaned titles of a council, in the file's order."""
    return [clean_text(row["DELIB_OBJET"]) for row in rows() if row["DELIB_DATE"] == day]


@pytest.fixture
async def montpellier(tmp_path: Path, database_url: str) -> AsyncIterator[CivicBot]:
    path = real_data(MAPPED)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                        demo_data=False, city_name="Montpellier")
    bot = await create_bot(settings)
    await run_import(bot.engine, lambda writer: import_deliberations(writer, path, ORIGIN))
    yield bot
    await bot.close()


async def every_page(resident: ChatTester, first: Reply) -> list[Reply]:
    """The first reply and every page after it, following the "voir la suite" choice."""
    pages = [first]
    while more := next((choice for choice in pages[-1].choices
                        if re.search(r"suite|more", choice.label, re.IGNORECASE)), None):
        pages.append(await resident.say(more.value))
        assert len(pages) < 30, "the pages never end"
    return pages


async def test_the_council_of_a_day_comes_in_pages_of_readable_size(montpellier: CivicBot) -> None:
    resident = ChatTester(montpellier, user="habitante")
    expected = titles_of("25/11/2013")
    pages = await every_page(resident, await resident.say("le conseil du 25/11/2013 ?"))
    assert "25 novembre 2013" in pages[0].text
    assert len(pages) > 1 and all(len(page.text) <= min(PAGE_CHARS + 800, TELEGRAM_LIMIT) for page in pages)
    shown = "\n".join(page.text for page in pages)
    assert all(title in shown for title in expected)
    assert shown.count("• ") == len(expected)
    assert not any(title in shown for title in titles_of("16/12/2013") if title not in expected)
    assert "_x0001_" not in shown and "_x0" not in shown


@pytest.mark.parametrize("question", [
    "les délibérations de décembre 2013",
    "conseil municipal du 16 decembre 2013",
    "c quoi le conseil du 16/12/2013",
    "deliberations de decembre 2013 svp",
])
async def test_a_month_or_a_day_in_french(montpellier: CivicBot, question: str) -> None:
    resident = ChatTester(montpellier, user="habitant")
    expected = titles_of("16/12/2013")
    pages = await every_page(resident, await resident.say(question))
    shown = "\n".join(page.text for page in pages)
    assert shown.count("• ") == len(expected) and expected[0] in shown
    assert titles_of("25/11/2013")[0] not in shown


async def test_a_day_in_english(montpellier: CivicBot) -> None:
    resident = ChatTester(montpellier, user="resident", language="en")
    reply = await resident.say("what did the council decide on 16 December 2013?")
    assert reply.language == "en" and "16 December 2013" in reply.text
    assert titles_of("16/12/2013")[0] in reply.text


@pytest.mark.parametrize("question", [
    "les délibérations sur le cinéma en 2013",
    "deliberations cinema en 2013",
    "le conseil a voté quoi sur le cinema en novembre 2013 ?",
    "/conseil cinéma en 2013",
    "/data cinema en 2013",
])
async def test_a_subject_in_a_year_or_a_month(montpellier: CivicBot, question: str) -> None:
    resident = ChatTester(montpellier, user="cinephile")
    expected = [clean_text(row["DELIB_OBJET"]) for row in rows()
                if re.search("cin[ée]ma", row["DELIB_OBJET"], re.IGNORECASE)]
    reply = await resident.say(question)
    assert "cinema" in reply.text.lower().replace("é", "e")
    assert reply.text.count("• ") == len(expected) and all(title in reply.text for title in expected)


@pytest.mark.parametrize("question", ["le conseil du 10 avril 2015", "délibérations en 2015",
                                      "le cinema en 2015"])
async def test_a_date_without_council_says_so_and_names_the_known_ones(montpellier: CivicBot,
                                                                        question: str) -> None:
    resident = ChatTester(montpellier, user="curieux")
    reply = await resident.say(question)
    assert "2015" in reply.text and "•" not in reply.text
    assert re.search("aucune?", reply.text)


async def test_a_two_digit_year_stops_the_import_with_the_line(database_url: str, tmp_path: Path) -> None:
    path = real_data("derived/montpellier-delibs-scdl-2digit-year.csv")
    first = next(csv.DictReader(path.open(encoding="utf-8-sig"), delimiter=";"))["DELIB_DATE"]
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, secret="s", demo_data=False)
    bot = await create_bot(settings)
    try:
        with pytest.raises(ImportFailed, match=rf"line 2: DELIB_DATE '{re.escape(first)}' has a two-digit year"):
            await run_import(bot.engine, lambda writer: import_deliberations(writer, path, ORIGIN))
        assert await count(bot.engine, Document) == 0
    finally:
        await bot.close()


async def test_repeated_ids_are_reported_with_their_lines_and_kept(database_url: str, tmp_path: Path) -> None:
    path = real_data("derived/montpellier-delibs-scdl-projectno.csv")
    records = rows("derived/montpellier-delibs-scdl-projectno.csv")
    lines: dict[str, list[int]] = {}
    for line, record in enumerate(records, start=2):
        lines.setdefault(record["DELIB_ID"], []).append(line)
    repeated = {identifier: found for identifier, found in lines.items() if len(found) > 1}
    councils = {record["DELIB_DATE"] for record in records}
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, secret="s", demo_data=False)
    bot = await create_bot(settings)
    try:
        writer = await run_import(bot.engine, lambda w: import_deliberations(w, path, ORIGIN))
        first_id, first_lines = next(iter(repeated.items()))
        assert len(writer.warnings) == 1
        assert f"{len(repeated)} DELIB_ID(s) used on several dates" in writer.warnings[0]
        assert f"'{first_id}' (lines {', '.join(map(str, first_lines))})" in writer.warnings[0]
        assert writer.counts["document"] == len(records) + len(councils)
        assert await count(bot.engine, Document, Document.kind == "deliberation") == len(records)
        assert await count(bot.engine, Document, Document.kind == "meeting") == len(councils)
    finally:
        await bot.close()
