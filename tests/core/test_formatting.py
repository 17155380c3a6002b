"""Numbers, money, distances and dates written the French or the English way (babel)."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.formatting import distance, long_date, money, month, number

NNBSP, NBSP = "\u202f", "\u00a0"  # French group separator, and the space before a unit


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (290000, "fr", f"290{NNBSP}000"),
    (290000, "en", "290,000"),
    (1234.5, "fr", f"1{NNBSP}234,5"),
    (1234.5, "en", "1,234.5"),
    (80, "fr", "80"),
    (0.25, "fr", "0,25"),
])
def test_numbers(value: float, lang: str, expected: str) -> None:
    assert number(value, lang) == expected


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (1234567, "fr", f"1{NNBSP}234{NNBSP}567{NBSP}€"),
    (1234567, "en", "€1,234,567"),
    (1234567.5, "fr", f"1{NNBSP}234{NNBSP}567,50{NBSP}€"),
    (1234567.5, "en", "€1,234,567.50"),
])
def test_money(value: float, lang: str, expected: str) -> None:
    assert money(value, lang) == expected


@pytest.mark.parametrize(("metres", "lang", "expected"), [
    (382.4, "fr", f"382{NBSP}m"),
    (382.4, "en", f"382{NBSP}m"),
    (400, "fr", f"400{NBSP}m"),
    (1949, "fr", f"1,9{NBSP}km"),
    (1949, "en", f"1.9{NBSP}km"),
    (4100, "fr", f"4,1{NBSP}km"),
    (12345, "en", f"12.3{NBSP}km"),
])
def test_distances_never_print_0_0_km(metres: float, lang: str, expected: str) -> None:
    assert distance(metres, lang) == expected


def test_dates_in_words() -> None:
    day = dt.date(2015, 4, 10)
    assert (long_date(day, "fr"), long_date(day, "en")) == ("10 avril 2015", "10 April 2015")
    assert (month(day, "fr"), month(day, "en")) == ("avril 2015", "April 2015")
