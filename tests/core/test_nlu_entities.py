"""Date and topic extraction, and the extractor hooks the NLU runs."""
from __future__ import annotations

from datetime import date

import pytest

from bot.app import load_topic_synonyms
from bot.config import Settings
from bot.entities import EntityExtractors, extract_date, topic_extractor
from bot.text import normalize

TODAY = date(2026, 11, 22)  # a Sunday


def dates(text: str) -> dict:
    return extract_date(text, normalize(text), TODAY)


@pytest.mark.parametrize(("text", "expected"), [
    ("le conseil du 2024-03-12", {"date": "2024-03-12"}),
    ("seance du 12/03/2024", {"date": "2024-03-12"}),
    ("seance du 12.03.24", {"date": "2024-03-12"}),
    ("le 12/03", {"date": "2026-03-12"}),
    ("conseil du 12 mars 2024", {"date": "2024-03-12"}),
    ("le 1er mai", {"date": "2026-05-01"}),
    ("le 3 décembre", {"date": "2026-12-03"}),
    ("March 12th, 2024", {"date": "2024-03-12"}),
    ("on 5 june", {"date": "2026-06-05"}),
    ("budget de mars 2024", {"month": "2024-03"}),
    ("aujourd'hui", {"date": "2026-11-22"}),
    ("ce soir", {"date": "2026-11-22"}),
    ("demain matin", {"date": "2026-11-23"}),
    ("après-demain", {"date": "2026-11-24"}),
    ("yesterday", {"date": "2026-11-21"}),
    ("avant-hier", {"date": "2026-11-20"}),
    ("la piscine est ouverte lundi ?", {"date": "2026-11-23", "weekday": "lundi"}),
    ("open on sunday?", {"date": "2026-11-22", "weekday": "sunday"}),
    ("budget 2023", {"year": 2023}),
])
def test_dates(text: str, expected: dict) -> None:
    assert dates(text) == expected


@pytest.mark.parametrize("text", ["31/02/2024", "le 45 mars", "je peux venir", "rue 12", "3000 euros"])
def test_impossible_or_absent_dates_give_nothing(text: str) -> None:
    assert dates(text) == {}


@pytest.fixture(scope="module")
def topics():
    return topic_extractor(Settings().topics, load_topic_synonyms())


@pytest.mark.parametrize(("text", "topic"), [
    ("horaires des piscines", "sport"),
    ("les bibliothèques du quartier", "culture"),
    ("pistes cyclables", "transports"),
    ("prochains conseils municipaux", "conseil municipal"),
    ("subscribe me to bike news", "transports"),
    ("les déchets", "proprete"),
])
def test_topics_whatever_the_inflection(topics, text: str, topic: str) -> None:
    assert topics(text, normalize(text)) == {"topic": topic}


def test_no_topic(topics) -> None:
    assert topics("bonjour", "bonjour") == {}


def test_extractors_run_in_order_and_the_first_value_wins() -> None:
    extractors = EntityExtractors([lambda t, n: {"a": 1}])
    extractors.add(lambda t, n: {"a": 2, "b": n})
    assert extractors.extract("X Y", "x y") == {"a": 1, "b": "x y"}
