"""Budget questions on Montpellier's real budget (budget primitif 2014, spending by function,
../shared/realdata) beside its real deliberations: figures first, the years the figures exist for
when another is asked, and never an unrelated document. Expected figures are read from the file."""
from __future__ import annotations

import csv
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.testing import ChatTester
from knowledge.importers import Origin
from knowledge.importers.plain import import_plain
from knowledge.importers.scdl import import_deliberations
from tests.support.data import real_data
from tests.support.knowledge import run_import

BUDGET = "derived/montpellier-bp2014-depenses-par-fonction.csv"
DELIBERATIONS = "derived/montpellier-delibs-scdl-mapped.csv"
ORIGIN = Origin(source="Dérivé du budget primitif 2014 de Montpellier (fichier de test, pas une publication)")


def budget_line(function: str) -> tuple[str, int, str]:
    """The label, the amount in whole euros and the year of a function's line of the file."""
    with real_data(BUDGET).open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if row["label"].endswith(f" - {function}"):
                euros = float(re.sub(r"\s", "", row["value"]).replace(",", "."))
                return row["label"], round(euros), row["period"]
    raise AssertionError(f"no line {function!r} in {BUDGET}")


def digits(text: str) -> str:
    """The reply without any kind of space, so that "1 000 000 €" reads "1000000€"."""
    return re.sub(r"[\s\u00a0\u202f]", "", text)


@pytest.fixture
async def montpellier(tmp_path: Path, database_url: str) -> AsyncIterator[CivicBot]:
    budget, deliberations = real_data(BUDGET), real_data(DELIBERATIONS)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                        demo_data=False, city_name="Montpellier")
    bot = await create_bot(settings)
    await run_import(bot.engine, lambda w: import_plain(w, "fact", budget, ORIGIN, encoding="latin-1"))
    await run_import(bot.engine, lambda w: import_deliberations(w, deliberations, ORIGIN))
    yield bot
    await bot.close()


@pytest.mark.parametrize(("question", "function"), [
    ("combien la ville dépense pour les musées ?", "Musees"),
    ("le budget des musées", "Musees"),
    ("combien pour les musees", "Musees"),
    ("budget des musées svp", "Musees"),
    ("combien coute l'eclairage public ?", "Eclairage public"),
    ("c combien le budget de la propreté urbaine", "Proprete urbaine"),
    ("combien la ville depense pour les ecoles primaires en 2014", "Ecoles primaires"),
])
async def test_spending_questions_get_the_figure(montpellier: CivicBot, question: str, function: str) -> None:
    label, euros, year = budget_line(function)
    reply = await ChatTester(montpellier, user="contribuable").say(question)
    assert label in reply.text and year in reply.text
    assert f"{euros:,}".replace(",", "") + "€" in digits(reply.text)
    assert "délibération" not in reply.text.lower() and "/2013)" not in reply.text


async def test_spending_in_english_is_written_the_english_way(montpellier: CivicBot) -> None:
    label, euros, _year = budget_line("Musees")
    reply = await ChatTester(montpellier, user="resident", language="en").say(
        "how much does the city spend on museums?")
    assert label in reply.text and f"€{euros:,}" in reply.text


@pytest.mark.parametrize("question", ["budget culture 2015", "le budget des musées en 2016",
                                      "combien pour les musees en 2012 ?"])
async def test_another_year_says_which_years_exist(montpellier: CivicBot, question: str) -> None:
    asked = re.search(r"20\d\d", question)
    assert asked is not None
    _label, _euros, year = budget_line("Musees")
    reply = await ChatTester(montpellier, user="curieuse").say(question)
    assert f"pour {asked.group(0)}" in reply.text and f"pour : {year}" in reply.text


@pytest.mark.parametrize("question", ["combien la ville dépense pour les piscines ?",
                                      "le budget des jardins familiaux"])
async def test_spending_without_a_figure_names_no_unrelated_document(montpellier: CivicBot,
                                                                     question: str) -> None:
    reply = await ChatTester(montpellier, user="prudent").say(question)
    assert "•" not in reply.text and "€" not in reply.text
