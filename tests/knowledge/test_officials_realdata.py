"""Officials on the real Répertoire national des élus of two départements (Gers, Loire-Atlantique).

The file is read from ``../shared/realdata`` (never copied into the repository); the tests skip
when it is absent. Every expected name is read from the CSV here, never from the bot's output.
Residents ask in their own words, French and English, with typos; an unknown commune, or a
delegation the source does not give, must be said unknown — never answered with another name.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.testing import ChatTester
from bot.text import normalize
from knowledge.importers import Writer
from knowledge.importers.rne import ORIGIN, import_rne

RNE = (Path(__file__).parents[2] / ".." / "shared" / "realdata" / "derived"
       / "rne-elus-cm-gers-loire-atlantique.csv").resolve()
pytestmark = pytest.mark.skipif(not RNE.exists(), reason=f"real data absent: {RNE}")

NANTES, REZE, AUCH = "44109", "44143", "32013"
FIRST, LAST = "Prénom de l'élu", "Nom de l'élu"


def _all_rows() -> list[dict[str, str]]:
    with RNE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _person(row: dict[str, str]) -> tuple[str, ...]:
    return (row["Code de la commune"], row[LAST], row[FIRST], row["Date de naissance"])


def _began(row: dict[str, str]) -> dt.date:
    return dt.datetime.strptime(row["Date de début de la fonction"] or "01/01/1900", "%d/%m/%Y").date()


@cache
def _split() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The file's function rows held now, and those a later row of the same person (same
    commune, names and birth date) replaced — an adjoint who became maire is no longer adjoint."""
    rows = _all_rows()
    latest: dict[tuple[str, ...], dt.date] = {}
    for row in rows:
        latest[_person(row)] = max(latest.get(_person(row), _began(row)), _began(row))
    return ([row for row in rows if _began(row) == latest[_person(row)]],
            [row for row in rows if _began(row) < latest[_person(row)]])


def _rows() -> list[dict[str, str]]:
    return _split()[0]


def superseded() -> list[dict[str, str]]:
    return _split()[1]


def _name(row: dict[str, str]) -> str:
    return normalize(f"{row[FIRST]} {row[LAST]}")


def _with(code: str, function: Callable[[str], bool] = lambda label: True) -> set[str]:
    """The folded names of the commune's officials whose function label passes the test."""
    return {_name(row) for row in _rows()
            if row["Code de la commune"] == code and function(row["Libellé de la fonction"])}


def _commune_code(name: str) -> str:
    return next(row["Code de la commune"] for row in _rows() if row["Libellé de la commune"] == name)


def mayor(code: str) -> set[str]:
    return _with(code, lambda label: label == "Maire")


def deputy(code: str, rank: int) -> set[str]:
    return _with(code, lambda label: label.split(" ")[0] in (f"{rank}er", f"{rank}ème")
                 and "adjoint" in label)


def deputies(code: str) -> set[str]:
    return _with(code, lambda label: "adjoint" in label)


def councillors(code: str) -> set[str]:
    return _with(code, lambda label: label == "")


def _superseded_as(commune: str, function: str) -> set[str]:
    """The people who held this function in the commune before a later function replaced it."""
    found = {_name(row) for row in superseded()
             if row["Libellé de la commune"] == commune and row["Libellé de la fonction"] == function}
    assert found, f"the file no longer has a superseded {function} in {commune}"
    return found


def every_mayor() -> set[str]:
    return {_name(row) for row in _rows() if row["Libellé de la fonction"] == "Maire"}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                    demo_data=False)


@pytest.fixture
async def resident(bot: CivicBot) -> AsyncIterator[ChatTester]:
    async with bot.sessions() as session:
        writer = Writer(session)
        await import_rne(writer, RNE, set(), replace(ORIGIN, source_date=None))
        await writer.finish()
        await session.commit()
    yield ChatTester(bot, user="resident")


def names_in(text: str, names: set[str]) -> set[str]:
    folded = f" {normalize(text)} "
    return {name for name in names if f" {name} " in folded}


def says_all(names: set[str], not_these: set[str] = frozenset()) -> Callable[[str], bool]:  # type: ignore[assignment]
    assert names, "the expectation is empty: the test could not fail"
    return lambda text: names_in(text, names) == names and not names_in(text, set(not_these))


def unknown(place: str) -> Callable[[str], bool]:
    """Said unknown: the place named back, and no mayor of any commune."""
    return lambda text: normalize(place) in normalize(text) and not names_in(text, every_mayor())


def no_official() -> Callable[[str], bool]:
    return lambda text: "Source" not in text and not names_in(text, every_mayor() | deputies(NANTES))


# Real surnames of the file that are everyday words of residents' requests.
WORDLIKE = {"velo", "jardin", "maison", "charge", "mayor", "place", "salle", "paris"}


def no_wordlike_surname() -> Callable[[str], bool]:
    people = {_name(row) for row in _rows() if normalize(row[LAST]) in WORDLIKE}
    assert len({name.split()[-1] for name in people}) >= 5, "the file no longer has them"
    return lambda text: not names_in(text, people)


QUESTIONS: list[tuple[str, Callable[[], Callable[[str], bool]]]] = [
    ("qui est le maire de Paris ?", lambda: unknown("Paris")),
    ("Who is the mayor of Paris?", lambda: unknown("Paris")),
    ("qui est le maire de Marseille", lambda: unknown("Marseille")),
    ("maire d'Angers ?", lambda: unknown("Angers")),
    ("le maire de Rezé", lambda: says_all(mayor(REZE), mayor(NANTES))),
    ("maire de reze", lambda: says_all(mayor(REZE), mayor(NANTES))),
    ("c ki le mair de rezé", lambda: says_all(mayor(REZE), mayor(NANTES))),
    ("who is the mayor of Reze?", lambda: says_all(mayor(REZE), mayor(NANTES))),
    ("qui est le maire ?", lambda: says_all(mayor(NANTES), mayor(REZE))),
    ("le maire de nantes", lambda: says_all(mayor(NANTES))),
    ("le 1er adjoint", lambda: says_all(deputy(NANTES, 1), mayor(NANTES))),
    ("qui est le premier adjoint au maire ?", lambda: says_all(deputy(NANTES, 1), mayor(NANTES))),
    ("who is the first deputy mayor", lambda: says_all(deputy(NANTES, 1))),
    ("la 4ème adjointe", lambda: says_all(deputy(NANTES, 4), deputy(NANTES, 1) | mayor(NANTES))),
    ("la 4e adjointe de nantes", lambda: says_all(deputy(NANTES, 4), deputy(NANTES, 1))),
    ("le 4 eme adjoint", lambda: says_all(deputy(NANTES, 4), deputy(NANTES, 1))),
    ("who is the 2nd deputy mayor", lambda: says_all(deputy(NANTES, 2), deputy(NANTES, 1))),
    ("la deuxième adjointe de Rezé", lambda: says_all(deputy(REZE, 2), deputy(NANTES, 2))),
    ("qui sont les adjoints ?", lambda: says_all(deputies(NANTES), deputies(REZE) | mayor(NANTES))),
    ("les adjoints de Rezé", lambda: says_all(deputies(REZE), deputies(NANTES))),
    ("the deputy mayors of Reze", lambda: says_all(deputies(REZE), deputies(NANTES))),
    ("les élus de Rezé", lambda: says_all(mayor(REZE) | deputies(REZE) | councillors(REZE),
                                          mayor(NANTES))),
    ("elus de reze stp", lambda: says_all(mayor(REZE) | deputies(REZE), mayor(NANTES))),
    ("conseillers municipaux de Rezé", lambda: says_all(councillors(REZE), mayor(REZE))),
    ("le maire du Pellerin", lambda: says_all(mayor(_commune_code("Le Pellerin")))),
    ("qui est le maire d'Auch", lambda: says_all(mayor(AUCH), mayor(NANTES))),
    ("maire de la chapelle sur erdre", lambda: says_all(mayor(_commune_code("La Chapelle-Sur-Erdre")))),
    ("le 3eme adjoint de Saint-Herblain",
     lambda: says_all(deputy(_commune_code("Saint-Herblain"), 3), deputy(NANTES, 3))),
    # two function rows for one person: the later one is the current function
    ("4e adjoint de grandchamps des fontaines",
     lambda: says_all(deputy(_commune_code("Grandchamps-Des-Fontaines"), 4),
                      _superseded_as("Grandchamps-Des-Fontaines", "4ème adjoint au Maire"))),
    ("4ème adjoint de Saffré",
     lambda: says_all(deputy(_commune_code("Saffré"), 4), _superseded_as("Saffré", "4ème adjoint au Maire"))),
    ("le 7eme adjoint de Vieillevigne",
     lambda: says_all(deputy(_commune_code("Vieillevigne"), 7),
                      _superseded_as("Vieillevigne", "7ème adjoint au Maire"))),
    ("2ème adjoint de Gazax-et-Baccarisse",
     lambda: says_all(deputy(_commune_code("Gazax-Et-Baccarisse"), 2),
                      _superseded_as("Gazax-Et-Baccarisse", "2ème adjoint au Maire"))),
    ("le maire de Gazax-et-Baccarisse", lambda: says_all(mayor(_commune_code("Gazax-Et-Baccarisse")))),
    ("qui est Stéphane Liviero ?", lambda: lambda text: "2ème adjoint" not in text and "Maire" in text),
    ("maire de st sebastien sur loire", lambda: says_all(mayor(_commune_code("Saint-Sébastien-Sur-Loire")))),
    ("le maire de St-Herblain", lambda: says_all(mayor(_commune_code("Saint-Herblain")))),
    ("qui est Johanna Rolland", lambda: says_all(mayor(NANTES))),
    ("c qui bassem aseh l elu", lambda: says_all(deputy(NANTES, 1))),
    # the RNE gives no delegation: said unknown, never a surname that looks like the topic
    ("l'adjointe à la culture", lambda: no_official()),
    ("adjoint a la culture de reze", lambda: no_official()),
    ("adjointe culture", lambda: no_official()),
    ("the deputy mayor for culture", lambda: no_official()),
    # everyday words that are also surnames in the file: never taken for a name
    ("qui s'occupe du vélo ?", lambda: no_wordlike_surname()),
    ("l'adjoint au velo", lambda: no_wordlike_surname()),
    ("elu en charge des jardins", lambda: no_wordlike_surname()),
    ("who is the mayor", lambda: no_wordlike_surname()),
    ("qui gère la salle des fêtes", lambda: no_wordlike_surname()),
    ("adjoint maison de quartier", lambda: no_wordlike_surname()),
]


async def test_residents_questions_on_the_rne_of_two_departements(resident: ChatTester) -> None:
    wrong = []
    for question, expectation in QUESTIONS:
        reply = await resident.say(question)
        if not expectation()(reply.text):
            wrong.append(f"{question!r} -> {reply.text[:300]!r}")
    assert not wrong, "\n".join(wrong)
    assert len(QUESTIONS) >= 30



# Follow-ups after an official of a commune other than the city's: the commune stays.
FOLLOW_UPS: list[tuple[list[str], Callable[[], Callable[[str], bool]]]] = [
    (["qui est le maire de rezé ?", "et son adjoint ?"],
     lambda: says_all(deputies(REZE), deputies(NANTES))),
    (["le maire de reze", "et ses adjoints"], lambda: says_all(deputies(REZE), deputies(NANTES))),
    (["qui est le maire de rezé ?", "et le 3e adjoint ?"],
     lambda: says_all(deputy(REZE, 3), deputies(NANTES) | deputies(REZE) - deputy(REZE, 3))),
    (["c'est qui le maire d'auch", "et le premier adjoint ?"],
     lambda: says_all(deputy(AUCH, 1), deputies(NANTES))),
    (["who is the mayor of Rezé?", "and the deputies?"], lambda: says_all(deputies(REZE), deputies(NANTES))),
    (["les adjoints de Rezé", "et le maire ?"], lambda: says_all(mayor(REZE), mayor(NANTES))),
    # how to reach them, asked after: the RNE publishes no contact details, and the answer says so
    (["qui est le maire de rezé ?", "son mail ?"], lambda: _without_contact(mayor(REZE))),
    (["qui est le maire de rezé ?", "elle a un tel ?"], lambda: _without_contact(mayor(REZE))),
    (["who is the mayor of Rezé?", "how can i reach her?"], lambda: _without_contact(mayor(REZE))),
    # no commune named first: the city's, as before
    (["qui est le maire ?", "et ses adjoints ?"], lambda: says_all(deputies(NANTES))),
]


def _without_contact(names: set[str]) -> Callable[[str], bool]:
    """These officials, said to come without contact details."""
    named = says_all(names)
    return lambda text: named(text) and ("coordonnées" in text or "no contact details" in text)


async def test_a_follow_up_about_another_function_keeps_the_commune(resident: ChatTester) -> None:
    """"et son adjoint ?" after the mayor of Rezé named Nantes's 26 deputies, with the RNE as
    source: a wrong fact. The expected officials are read from the file."""
    wrong = []
    for number, (turns, expectation) in enumerate(FOLLOW_UPS):
        asker = ChatTester(resident.bot, user=f"follow-up-{number}")
        for text in turns:
            reply = await asker.say(text)
        if not expectation()(reply.text):
            wrong.append(f"{turns!r} -> {reply.text[:300]!r}")
    assert not wrong, "\n".join(wrong)
