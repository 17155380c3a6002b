"""The last exact position a resident shared is forgotten after ``location_retention_hours``,
as the privacy statement says: at their next message, or by the maintenance if they went quiet."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from bot.app import CivicBot
from bot.contributions.maintenance import run_maintenance
from bot.db import utcnow
from bot.models import Conversation, User
from bot.positions import forget_old_positions
from bot.testing import ChatTester

PLACE_ROYALE = (47.2155, -1.5580)


async def _data(bot: CivicBot, user: str) -> dict:
    user_hash = bot.pseudonymizer.user_hash("test", user)
    async with bot.sessions() as session:
        return (await session.execute(select(Conversation.data).join(User, User.id == Conversation.user_id)
                                      .where(User.user_hash == user_hash))).scalar_one()


async def test_the_position_is_forgotten_at_the_next_message_after_a_day(bot: CivicBot) -> None:
    alice = ChatTester(bot, "alice")
    await alice.share_location(*PLACE_ROYALE)
    assert (await _data(bot, "alice"))["location"] == list(PLACE_ROYALE)
    with time_machine.travel(utcnow() + timedelta(hours=23), tick=True):
        await alice.say("slt")
        assert (await _data(bot, "alice"))["location"] == list(PLACE_ROYALE)  # still within the day
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=True):
        await alice.say("bonjour")
        assert "location" not in await _data(bot, "alice")


async def test_maintenance_forgets_the_positions_of_quiet_residents(bot: CivicBot) -> None:
    bob, carol = ChatTester(bot, "bob"), ChatTester(bot, "carol")
    await bob.share_location(*PLACE_ROYALE)
    with time_machine.travel(utcnow() + timedelta(hours=20), tick=True):
        await carol.share_location(47.2064, -1.5645)  # Île de Nantes, 20 hours later
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=True):
        assert await forget_old_positions(bot) == 1
        assert "location" not in await _data(bot, "bob")
        assert (await _data(bot, "carol"))["location"] == [47.2064, -1.5645]
    with time_machine.travel(utcnow() + timedelta(hours=45), tick=True):
        assert (await run_maintenance(bot))["positions_forgotten"] == 1
        assert "location" not in await _data(bot, "carol")


async def test_a_position_stored_without_its_moment_is_forgotten(bot: CivicBot) -> None:
    """Conversations saved before positions had a date keep no position of unknown age."""
    await ChatTester(bot, "dave").say("bonjour")
    async with bot.sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
        conversation.data = {"location": list(PLACE_ROYALE)}
        await session.commit()
    assert await forget_old_positions(bot) == 1
    assert await _data(bot, "dave") == {}
