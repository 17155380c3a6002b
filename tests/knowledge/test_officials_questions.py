"""Reading residents' questions about officials, and functions as sources word them."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.testing import ChatTester
from knowledge import store
from knowledge.officials import name_keys
from knowledge.roles import (
    COUNCIL,
    COUNCILLOR,
    DELEGATE,
    DELEGATE_MAYOR,
    DEPUTY,
    MAYOR,
    Function,
    function_of,
    read_question,
)


@pytest.mark.parametrize("label, function", [
    ("Maire", Function(MAYOR)), ("Maire délégué", Function(DELEGATE_MAYOR)),
    ("1er adjoint au Maire", Function(DEPUTY, 1)), ("12ème adjoint au Maire", Function(DEPUTY, 12)),
    ("Adjointe au maire", Function(DEPUTY)), ("Conseillère municipale déléguée", Function(DELEGATE)),
    ("", Function(COUNCILLOR)), ("Élu municipal", Function(COUNCILLOR)),
])
def test_functions_as_sources_word_them(label: str, function: Function) -> None:
    assert function_of(label) == function


@pytest.mark.parametrize("text, function, rank, place, topic", [
    ("qui est le maire de Paris ?", MAYOR, None, ("paris",), ()),
    ("maire d'Angers", MAYOR, None, ("angers",), ()),
    ("le maire du Pellerin", MAYOR, None, ("le", "pellerin"), ()),
    ("la 4ème adjointe", DEPUTY, 4, (), ()),
    ("le 4 eme adjoint de reze", DEPUTY, 4, ("reze",), ()),
    ("qui est le premier adjoint au maire ?", DEPUTY, 1, (), ()),
    ("the second deputy mayor of Nantes", DEPUTY, 2, ("nantes",), ()),
    ("l'adjointe à la culture de Rezé", DEPUTY, None, ("reze",), ("culture",)),
    ("deputy mayor for culture", DEPUTY, None, (), ("culture",)),
    ("les élus de La Chapelle-sur-Erdre", COUNCIL, None, ("la", "chapelle", "sur", "erdre"), ()),
    ("conseillers municipaux de grandchamps des fontaines", COUNCILLOR, None,
     ("grandchamps", "des", "fontaines"), ()),
    ("le maire délégué", DELEGATE_MAYOR, None, (), ()),
])
def test_questions_are_read_into_function_rank_place_and_topic(
        text: str, function: str, rank: int | None, place: tuple, topic: tuple) -> None:
    question = read_question(text, frozenset({"qui", "est", "who"}))
    assert (question.function, question.rank, question.place, question.topic) == (
        function, rank, place, topic)


def test_the_city_itself_is_not_a_place() -> None:
    question = read_question("qui est le maire de ma ville", frozenset())
    assert question.this_city and question.place == ()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret="test-secret",
                    demo_data=False)


async def test_homonym_communes_are_both_named_with_their_codes(bot: CivicBot) -> None:
    rows = [{"key": f"o-{code}", "first_name": first, "last_name": last, **name_keys(first, last),
             "role": "Maire", "delegations": [], "areas": [], "commune_code": code,
             "commune": "Saint-Denis", "email": "", "phone": "", "url": "",
             "mandate_start": None, "mandate_end": None, "function_start": None,
             "source": "test", "source_url": "", "licence": "", "source_date": None, "demo": False}
            for code, first, last in (("93066", "Anne", "Une"), ("97411", "Paul", "Deux"))]
    async with bot.sessions() as session:
        await store.save(session, "official", rows)
        await session.commit()
    reply = await ChatTester(bot).say("qui est le maire de Saint-Denis ?")
    assert "Saint-Denis (93066)" in reply.text and "Saint-Denis (97411)" in reply.text
    assert "Anne Une" in reply.text and "Paul Deux" in reply.text
