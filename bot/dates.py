"""Dates in residents' messages, French and English: one period entity for every intent.

A message is first scanned for a date-like phrase (a cheap regular expression: digits, month
names, weekdays, relative words); only that phrase goes to ``dateparser``, whose answers are
cached, so messages without a date cost a regular-expression search and no parsing. The period
found is a day, a week-end, a week, a month or a year (``start`` … ``end``, both included), plus
the words that said it, so that callers can take them out of the topic ("cinéma en 2013" is
about "cinéma", in 2013).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

from bot.text import fold

_MONTHS = (r"janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
           r"|january|february|march|april|june|july|august|september|october|november|december"
           r"|janv|fevr?|avr|juil|sept|oct|nov|dec|jan|feb|apr|jun|jul|aug|sep")
_WEEKDAYS = r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche" \
            r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_RELATIVE = (r"apres[ -]demain|avant[ -]hier|aujourd ?hui|aujourdhui|auj|demain|dmain|hier|ce soir"
             r"|day after tomorrow|day before yesterday|today|tonight|tomorrow|tmrw|yesterday")
_WEEKEND = r"(?:(?:ce|le|this|the) )?week[ -]?end\b|(?:ce|le) we\b"  # not "we" alone (English)
_WEEK = r"(?:cette semaine|this week|la semaine prochaine|semaine prochaine|next week)"
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_MONTH_LEAD = r"en|in|d|de|du mois de|le mois de|of|month of"
_NOW = r"maintenant|en ce moment|actuellement|right now|now"

# The first alternative that matches, in this order, is the date phrase.
_PHRASE = re.compile("|".join((
    rf"(?P<iso>\b{_YEAR}-\d\d-\d\d\b)",
    r"(?P<numeric>\b\d{1,2}[/.]\d{1,2}(?:[/.](?:\d{4}|\d{2}))?\b)",
    rf"(?P<day_month>\b\d{{1,2}}(?:er|st|nd|rd|th)? (?:{_MONTHS})\b\.?(?:,? {_YEAR}\b)?)",
    rf"(?P<month_day>\b(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?\b(?:,? {_YEAR}\b)?)",
    rf"(?P<month>\b(?:(?:{_MONTH_LEAD}) )?(?:{_MONTHS})\.? {_YEAR}\b"
    rf"|\b(?:{_MONTH_LEAD}) (?:{_MONTHS}|may)\b(?! \d))",  # "of april 10": a day, further on
    rf"(?P<now>\b(?:{_NOW})\b)",
    rf"(?P<relative>\b(?:{_RELATIVE})\b)",
    rf"(?P<weekend>\b{_WEEKEND})",
    rf"(?P<week>\b{_WEEK}\b)",
    rf"(?P<weekday>\b(?:{_WEEKDAYS})\b(?: (?:prochain|next))?)",
    rf"(?P<year>\b{_YEAR}\b)",
)))
_LEAD = re.compile(rf"^(?:{_MONTH_LEAD}) ")
_NEXT = re.compile(r" (?:prochain|next)$")
# Relative words as dateparser knows them
_CANONICAL = {"aujourd hui": "aujourd'hui", "aujourdhui": "aujourd'hui", "auj": "aujourd'hui",
              "ce soir": "aujourd'hui", "tonight": "today", "apres demain": "après-demain",
              "avant hier": "avant-hier", "dmain": "demain", "tmrw": "tomorrow"}
_DAY_KINDS = ("iso", "numeric", "day_month", "month_day")
_TWO_DIGIT_YEAR = re.compile(r"^(\d{1,2}[/.]\d{1,2}[/.])(\d{2})$")
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Period:
    """What a message says about when: the days from ``start`` to ``end`` (both included)."""

    start: dt.date
    end: dt.date
    grain: str  # now, day, weekend, week, month or year
    words: str  # the phrase that said it, folded (to take out of the topic)

    def entities(self) -> dict[str, Any]:
        """The period as NLU entities (JSON values): ``period`` always, and ``date`` (a day),
        ``month`` (``"2015-04"``) or ``year`` by grain."""
        found: dict[str, Any] = {"period": {"start": self.start.isoformat(), "end": self.end.isoformat(),
                                            "grain": self.grain, "words": self.words}}
        if self.grain in ("day", "now"):
            found["date"] = self.start.isoformat()
        elif self.grain == "month":
            found["month"] = self.start.isoformat()[:7]
        elif self.grain == "year":
            found["year"] = self.start.year
        return found

    @classmethod
    def of(cls, entities: dict[str, Any]) -> Period | None:
        """The period of NLU entities made by :meth:`entities`, if any."""
        value = entities.get("period")
        if not value:
            return None
        return cls(dt.date.fromisoformat(value["start"]), dt.date.fromisoformat(value["end"]),
                   value["grain"], value["words"])


@functools.lru_cache(maxsize=2)  # today's (and, around midnight, yesterday's)
def _parser(today: dt.date) -> DateDataParser:
    return DateDataParser(languages=["fr", "en"], settings={
        "DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "PREFER_DATES_FROM": "current_period",
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12))})


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse(phrase: str, today: dt.date) -> tuple[dt.date, str] | None:
    """The date ``dateparser`` reads in a phrase, and its grain (day, month, year)."""
    data = _parser(today).get_date_data(phrase)
    if data.date_obj is None:
        return None
    return data.date_obj.date(), data.period or "day"


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _upcoming(today: dt.date, weekday: int) -> dt.date:
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def _period(kind: str, phrase: str, today: dt.date) -> Period | None:
    if kind == "weekend":
        saturday = today if today.weekday() == 6 else _upcoming(today, 5)
        start = saturday if today.weekday() != 6 else today - dt.timedelta(days=1)
        return Period(start, start + dt.timedelta(days=1), "weekend", phrase)
    if kind == "week":
        monday = today - dt.timedelta(days=today.weekday())
        if "prochaine" in phrase or "next" in phrase:
            monday += dt.timedelta(days=7)
        return Period(monday, monday + dt.timedelta(days=6), "week", phrase)
    if kind == "now":
        return Period(today, today, "now", phrase)
    text = _NEXT.sub("", _LEAD.sub("", phrase))
    if kind == "numeric":
        text = _TWO_DIGIT_YEAR.sub(r"\g<1>20\2", phrase)  # "25/11/13": 2013 in a question
    text = _CANONICAL.get(text, text)
    parsed = _parse(text, today)
    if parsed is None:
        return None
    day, grain = parsed
    if kind in _DAY_KINDS and grain != "day":
        return None  # "le 45 mars" is not March 2045
    if kind == "weekday":
        day = _upcoming(today, day.weekday())
        if phrase.endswith((" prochain", " next")) and day == today:
            day += dt.timedelta(days=7)
    if grain == "year":
        return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), "year", phrase)
    if grain == "month":
        start = day.replace(day=1)
        return Period(start, _month_end(start), "month", phrase)
    return Period(day, day, "day", phrase)


def _phrase(text: str) -> re.Match[str] | None:
    folded = re.sub(r"['’`´,?!;:()]+", " ", fold(text))
    return _PHRASE.search(re.sub(r"\s+", " ", folded).strip())


def find_period(text: str, today: dt.date) -> Period | None:
    """The first date phrase of a message as a period, or ``None`` (no phrase, or an
    impossible date such as 31/02/2015)."""
    match = _phrase(text)
    if match is None or match.lastgroup is None:
        return None
    return _period(match.lastgroup, match.group(0).strip(), today)


def extract_period(text: str, today: dt.date) -> dict[str, Any]:
    """The NLU entities of the period a message names (none if it names none); a day that
    does not exist ("31/02/2015") is ``impossible_date``, so that nobody searches it as words."""
    period = find_period(text, today)
    if period is not None:
        return period.entities()
    match = _phrase(text)
    if match is not None and match.lastgroup in _DAY_KINDS:
        return {"impossible_date": match.group(0).strip()}
    return {}


def date_extractor(timezone: str) -> Callable[[str, str], dict[str, Any]]:
    """An NLU extractor of the period a message names, on the city's calendar."""
    zone = ZoneInfo(timezone)
    _parse("10 avril 2015", dt.date.today())  # dateparser loads its languages on first use

    def extract(text: str, _normalized: str) -> dict[str, Any]:
        return extract_period(text, dt.datetime.now(zone).date())

    return extract
