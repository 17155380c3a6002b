"""Matrix replies as fast as the homeserver allows (a real Synapse): the per-room pace of
publications never holds a reply, and a resident who types fast, or whose answer is slow,
never holds another resident's reply. Assertions on counts and order, not on timings."""
from __future__ import annotations

import asyncio

import pytest

from bot.app import CivicBot
from bot.messages import IncomingMessage, Reply
from tests.connectors.test_matrix import account, residents  # noqa: F401 - fixtures
from tests.support.synapse import BotAccount

pytestmark = pytest.mark.synapse


async def test_a_resident_writing_again_at_once_is_answered_at_once(account: BotAccount,  # noqa: F811
                                                                  residents) -> None:  # noqa: F811
    # publications to a room at most once every 10 minutes: three replies within the wait
    # below can only come if replies do not keep that pace
    await account.start(matrix_rate_per_room=1 / 600)
    zoe = await residents("zoe")
    await zoe.open_chat(account)
    for words in ("bonjour", "bjr, t'es la ?", "hello there, good morning"):
        await zoe.say(words)
    replies = await zoe.replies(account.user_id, count=3, timeout=60)
    assert "Bonjour" in replies[0].body and "Hello" in replies[2].body


async def test_a_resident_whose_answer_is_slow_holds_no_one_else(bot: CivicBot, account: BotAccount,  # noqa: F811
                                                                 residents) -> None:  # noqa: F811
    await account.start()
    slow, quick = await residents("slow"), await residents("quick")
    await slow.open_chat(account)
    await quick.open_chat(account)
    answering, release = asyncio.Event(), asyncio.Event()
    handle = bot.handle

    async def held(message: IncomingMessage) -> Reply:
        if message.chat_id == slow.room_id:  # this resident's answers wait until released
            answering.set()
            await release.wait()
        return await handle(message)

    bot.handle = held  # type: ignore[method-assign]
    try:
        for words in ("bonjour", "aide", "hello there, good morning"):  # typed fast, one after the other
            await slow.say(words)
        await asyncio.wait_for(answering.wait(), 30)
        await quick.say("bonjour !")  # comes in a later sync than the held ones
        [answer] = await quick.replies(account.user_id, timeout=30)
        assert "Bonjour" in answer.body
        release.set()
        answers = await slow.replies(account.user_id, count=3, timeout=60)
    finally:
        release.set()
        bot.handle = handle  # type: ignore[method-assign]
    assert "Bonjour" in answers[0].body and "Hello" in answers[2].body  # in the order written
