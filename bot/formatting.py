"""Numbers, money, distances and dates written the resident's way, by ``babel``: "1 234 567 €",
"0,4 km" and "10 avril 2015" in French; "€1,234,567", "0.4 km" and "10 April 2015" in English.

Every answer formats through here, so that no reply mixes a French sentence with "4.1 km".
"""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_METRES_SHOWN_BELOW = 1000  # a distance under a kilometre is given in metres


def locale(lang: str) -> str:
    return _LOCALES.get(lang, _LOCALES["fr"])


def number(value: float, lang: str, decimals: int = 2) -> str:
    """A number with the language's grouping and decimal mark, without useless decimals."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale(lang))


def money(value: float, lang: str, currency: str = "EUR") -> str:
    """An amount, with cents only when there are some: "1 234 567 €", "€1,234,567.50"."""
    whole = float(value).is_integer()
    pattern = None
    if whole:
        pattern = "#,##0\u00a0¤" if lang == "fr" else "¤#,##0"
    return format_currency(value, currency, format=pattern, locale=locale(lang),
                           currency_digits=not whole)


def distance(metres: float, lang: str) -> str:
    """Metres under a kilometre ("380 m"), else kilometres with one decimal ("1,9 km")."""
    if metres < _METRES_SHOWN_BELOW:
        return f"{number(round(metres), lang, 0)}\u00a0m"
    return f"{format_decimal(metres / 1000, format='#,##0.0', locale=locale(lang))}\u00a0km"


_SHORT_DATES = {"fr": "dd/MM/y", "en": "d MMM y"}
_DAYS_OF_MONTH = {"fr": "dd/MM", "en": "d MMM"}


def short_date(day: dt.date, lang: str) -> str:
    """A day in an answer: "16/12/2013" in French, "16 Dec 2013" in English (never the ISO form
    or a day/month order an English reader would misread)."""
    return format_date(day, format=_SHORT_DATES.get(lang, _SHORT_DATES["fr"]), locale=locale(lang))


def day_of_month(day: dt.date, lang: str) -> str:
    """A day of the coming weeks: "12/12" in French, "12 Dec" in English."""
    return format_date(day, format=_DAYS_OF_MONTH.get(lang, _DAYS_OF_MONTH["fr"]), locale=locale(lang))


def long_date(day: dt.date, lang: str) -> str:
    """A day in words: "10 avril 2015", "10 April 2015"."""
    return format_date(day, format="d MMMM y", locale=locale(lang))


def month(day: dt.date, lang: str) -> str:
    """A month in words: "avril 2015", "April 2015"."""
    return format_date(day, format="LLLL y", locale=locale(lang))
