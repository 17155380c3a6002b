"""Other wordings of residents' questions, from ``knowledge/equivalents.yaml``."""
from __future__ import annotations

from collections import Counter

from knowledge.equivalents import _groups, variants


def test_each_expression_names_one_thing_only() -> None:
    """An expression in two groups would be searched as two different things."""
    counts = Counter(expression for group in _groups() for expression in group)
    assert [expression for expression, count in counts.items() if count > 1] == []


def test_residents_words_are_searched_as_the_labels_cities_publish() -> None:
    assert "budget restauration scolaire" in [w.text for w in variants("budget de la cantine")]
    assert "how much eclairage public" in [w.text for w in variants("how much for street lighting")]
    assert "donnees purchase card" in [w.text for w in variants("données sur les cartes d'achat")]
    # stop words inside an expression do not hide it
    assert "budget espaces verts" in [w.text for w in variants("budget des parcs et jardins")]


def test_a_question_naming_nothing_of_the_file_has_no_other_wording() -> None:
    assert variants("délibération Taubira") == []
    assert variants("") == []
