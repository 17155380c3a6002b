"""Bad input always gets a clear reply: never a crash, a stack trace or lost state."""
from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.messages import IncomingMessage
from bot.testing import ChatTester


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n", "\x00\x01\x02", "\u200b\ufeff"])
async def test_empty_messages_get_a_prompt(alice: ChatTester, text: str) -> None:
    reply = await alice.say(text)
    assert "texte" in reply.text and reply.choices


async def test_a_100_kb_message_is_truncated_with_a_notice(alice: ChatTester) -> None:
    reply = await alice.say("bonjour " * 12_800)
    assert "premiers caractères" in reply.text
    assert "2000" in reply.text and reply.text.strip()


@pytest.mark.parametrize("text", ["\ud800 bonjour \udfff", "bon\x00jour\x1b[31m", "👋", "😀😀🎉",
                                  "hello bonjour je veux help", "¿qué?", "مرحبا", "1", "99", "/",
                                  "//aide", "/ aide", "@#$%^&*", "' OR 1=1 --", "<script>x</script>"])
async def test_odd_messages_get_a_reply(alice: ChatTester, text: str) -> None:
    reply = await alice.say(text)
    assert reply.text.strip()
    assert "Traceback" not in reply.text
    assert "mal passé" not in reply.text


async def test_emoji_only_message_is_answered_as_empty(alice: ChatTester) -> None:
    reply = await alice.say("👍🙂")
    assert "texte" in reply.text


async def test_lone_surrogates_in_the_user_id_do_not_crash(bot: CivicBot) -> None:
    reply = await bot.handle(IncomingMessage("test", "\ud800", "\ud800x", "bonjour"))
    assert reply.text.startswith("Bonjour")


@pytest.mark.fuzz
def test_thousands_of_random_messages_all_get_a_non_empty_reply(settings: Settings) -> None:
    """Property: whatever the text, the router answers with a non-empty reply."""
    loop = asyncio.new_event_loop()
    bot = loop.run_until_complete(create_bot(settings))
    users = st.sampled_from(["u1", "u2", "u3"])
    texts = st.one_of(st.text(max_size=300), st.text(alphabet="abcdefghij /123", max_size=40),
                      st.sampled_from(["annuler", "cancel", "/aide", "1", "2", "/langue en", "stop"]))

    @hypothesis_settings(max_examples=2000, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(user=users, text=texts)
    def check(user: str, text: str) -> None:
        reply = loop.run_until_complete(bot.handle(IncomingMessage("test", user, user, text)))
        assert reply.text.strip()
        assert reply.language in ("fr", "en")
        assert reply.text != bot.catalog.get("core.error", reply.language)  # no handler failed

    try:
        check()
    finally:
        loop.run_until_complete(bot.close())
        loop.close()


@pytest.mark.parametrize(("latitude", "longitude"), [
    (float("nan"), -1.5536), (47.2184, float("nan")), (float("inf"), -1.5536),
    (47.2184, float("-inf")), (float("-inf"), float("inf")), (91.0, -1.5536), (47.2184, 180.5)])
async def test_a_position_off_the_earth_is_refused_and_the_conversation_goes_on(
        bot: CivicBot, alice: ChatTester, latitude: float, longitude: float) -> None:
    """NaN or infinite coordinates once poisoned the conversation (SQLite) or failed every later
    message (PostgreSQL): they get a clear answer and nothing is stored."""
    reply = await alice.share_location(latitude, longitude)
    assert reply.text == bot.catalog.get("core.location_invalid", "fr")
    assert "Terre" in reply.text
    reply = await alice.say("bjr")
    assert reply.text.startswith("Bonjour")
    reply = await alice.share_location(47.2184, -1.5536)  # the place Royale, Nantes
    assert reply.text == bot.catalog.get("core.location_received", "fr")


async def test_a_position_off_the_earth_is_refused_in_english(bot: CivicBot) -> None:
    bob = ChatTester(bot, user="bob", language="en")
    reply = await bob.share_location(float("nan"), float("nan"), text="here is where I am")
    assert "not a point on Earth" in reply.text
