"""Date and topic extraction, and the extractor hooks the NLU runs."""
from __future__ import annotations

from datetime import date

import pytest

from bot.app import load_topic_synonyms
from bot.config import Settings
from bot.dates import Period, extract_period
from bot.entities import EntityExtractors, topic_extractor
from bot.text import normalize

TODAY = date(2026, 11, 22)  # a Sunday


def dates(text: str) -> dict:
    """The day, month or year entity of a message (the ``period`` entity aside)."""
    return {key: value for key, value in extract_period(text, TODAY).items() if key != "period"}


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
    ("la piscine est ouverte lundi ?", {"date": "2026-11-23"}),
    ("open on sunday?", {"date": "2026-11-22"}),
    ("budget 2023", {"year": 2023}),
    ("le conseil du 10 avril 2015", {"date": "2015-04-10"}),
    ("le conseil du 25/11/2013", {"date": "2013-11-25"}),
    ("conseil du 25/11/13", {"date": "2013-11-25"}),
    ("cinéma en 2013", {"year": 2013}),
    ("cinema en 2013", {"year": 2013}),
    ("le conseil d'avril 2015 il s'est passé quoi", {"month": "2015-04"}),
    ("délibérations de juin 2015", {"month": "2015-06"}),
    ("deliberations de juin", {"month": "2026-06"}),
    ("what was decided at the council meeting on 26 June 2015?", {"date": "2015-06-26"}),
    ("council minutes of april 2015", {"month": "2015-04"}),
    ("c ouvert ajourd'hui ?", {}),
    ("c ouvert aujourdhui ?", {"date": "2026-11-22"}),
    ("mardi prochain", {"date": "2026-11-24"}),
    ("dimanche prochain", {"date": "2026-11-29"}),
    ("is it open tomorrow", {"date": "2026-11-23"}),
])
def test_dates(text: str, expected: dict) -> None:
    assert dates(text) == expected


@pytest.mark.parametrize(("text", "impossible"), [("le conseil du 31/02/2024", "31/02/2024"),
                                                 ("seance du 30 fevrier 2015", "30 fevrier 2015"),
                                                 ("le 45 mars", "45 mars")])
def test_a_day_that_does_not_exist_is_named_as_such(text: str, impossible: str) -> None:
    assert extract_period(text, TODAY) == {"impossible_date": impossible}


@pytest.mark.parametrize("text", ["je peux venir", "rue 12", "3000 euros",
                                  "can we meet", "1 234 567 €", "j'habite au 12 rue de la paix",
                                  "may I ask", "0,4 km"])
def test_absent_dates_give_nothing(text: str) -> None:
    assert dates(text) == {}


@pytest.mark.parametrize(("text", "start", "end", "grain"), [
    ("ce week-end", "2026-11-21", "2026-11-22", "weekend"),  # on a Sunday: this one
    ("mediatek ouverte ce we ?", "2026-11-21", "2026-11-22", "weekend"),
    ("this weekend", "2026-11-21", "2026-11-22", "weekend"),
    ("la semaine prochaine", "2026-11-23", "2026-11-29", "week"),
    ("en 2013", "2013-01-01", "2013-12-31", "year"),
    ("les délibs de fevrier 2016", "2016-02-01", "2016-02-29", "month"),
    ("ouvert maintenant ?", "2026-11-22", "2026-11-22", "now"),
    ("is the town hall open right now?", "2026-11-22", "2026-11-22", "now"),
])
def test_periods(text: str, start: str, end: str, grain: str) -> None:
    period = Period.of(extract_period(text, TODAY))
    assert period is not None
    assert (period.start.isoformat(), period.end.isoformat(), period.grain) == (start, end, grain)


def test_the_date_words_are_given_for_the_topic() -> None:
    period = Period.of(extract_period("Cinéma en 2013 ?", TODAY))
    assert period is not None and period.words == "2013"
    period = Period.of(extract_period("le conseil du 10 Avril 2015 svp", TODAY))
    assert period is not None and period.words == "10 avril 2015"


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


@pytest.mark.parametrize("text", ["plus de news du quartier doulon stp", "a plus", "je veux plus de messages"])
def test_plus_is_not_the_town_plan(topics, text: str) -> None:
    """An acronym ("PLU", the town plan) is named as written, not through a stem ("plus" -> "plu")."""
    assert topics(text, normalize(text)) == {}


@pytest.mark.parametrize(("text", "topic"), [("le PLU de Nantes", "urbanisme"), ("l'ESS", "social")])
def test_an_acronym_as_written(topics, text: str, topic: str) -> None:
    assert topics(text, normalize(text)) == {"topic": topic}


def test_extractors_run_in_order_and_the_first_value_wins() -> None:
    extractors = EntityExtractors([lambda t, n: {"a": 1}])
    extractors.add(lambda t, n: {"a": 2, "b": n})
    assert extractors.extract("X Y", "x y") == {"a": 1, "b": "x y"}
