"""Flood control counts each resident's messages on a clock of its own (injected here)."""
from __future__ import annotations

from bot.app import CivicBot
from bot.flood import Admission, FloodControl


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _control(bot: CivicBot, clock: Clock, limit: int = 3) -> FloodControl:
    return FloodControl(limit, 30.0, bot.catalog, "fr", clock=clock)


async def test_over_the_limit_one_notice_then_silence_then_answers_again(bot: CivicBot) -> None:
    clock = Clock()
    flood = _control(bot, clock)
    seen = [flood.check("telegram", "42") for _ in range(10)]
    assert seen == [Admission.ANSWER] * 3 + [Admission.NOTICE] + [Admission.DROP] * 6
    clock.now += 29.9
    assert flood.check("telegram", "42") is Admission.DROP
    clock.now += 0.2  # the window has room again
    assert flood.check("telegram", "42") is Admission.ANSWER


async def test_a_steady_flooder_gets_at_most_one_notice_per_window(bot: CivicBot) -> None:
    clock = Clock()
    flood = _control(bot, clock)
    admissions = []
    for _ in range(120):  # one message a second for two minutes
        admissions.append(flood.check("matrix", "!room:example.org"))
        clock.now += 1.0
    assert admissions.count(Admission.NOTICE) <= 4
    assert admissions.count(Admission.ANSWER) <= 3 * 4 + 3


async def test_residents_are_counted_apart(bot: CivicBot) -> None:
    flood = _control(bot, Clock(), limit=1)
    assert flood.check("telegram", "1") is Admission.ANSWER
    assert flood.check("telegram", "1") is Admission.NOTICE
    assert flood.check("telegram", "2") is Admission.ANSWER
    assert flood.check("matrix", "1") is Admission.ANSWER


async def test_no_limit_when_set_to_zero(bot: CivicBot) -> None:
    flood = _control(bot, Clock(), limit=0)
    assert {flood.check("telegram", "1") for _ in range(500)} == {Admission.ANSWER}


async def test_the_notice_comes_from_the_catalog_in_both_languages(bot: CivicBot) -> None:
    flood = _control(bot, Clock())
    assert flood.notice("fr").text == bot.catalog.get("core.flood", "fr", seconds=30)
    assert "30 secondes" in flood.notice(None).text
    assert flood.notice("en").text == bot.catalog.get("core.flood", "en", seconds=30)
    assert flood.notice("de").language == "fr"
