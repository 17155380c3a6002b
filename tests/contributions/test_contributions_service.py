"""The background service of civicbot serve, an English conversation, and fuzzed free text."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import CivicBot
from bot.contributions import maintenance
from bot.contributions.models import Contribution, Opinion, Poll
from bot.contributions.polls import create_poll
from bot.db import utcnow
from bot.features import FEATURES
from bot.testing import ChatTester
from tests.support.contributions import outbox_rows


async def test_serve_runs_the_service_which_publishes_results_and_stops(bot: CivicBot) -> None:
    assert maintenance.run in [service for feature in FEATURES for service in feature.leader_services]
    async with bot.sessions() as session:
        poll = await create_poll(session, question={"fr": "Q ?"}, options=[{"fr": "A"}, {"fr": "B"}],
                                 opens_at=utcnow() - timedelta(hours=2), closes_at=utcnow() + timedelta(hours=1))
        await session.commit()
    voter = ChatTester(bot, "alice")
    await voter.say("/voter")
    await voter.say("A")
    await voter.say("passer")
    await voter.say("follow")
    async with bot.sessions() as session:
        (await session.get(Poll, poll.id)).closes_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    stop = asyncio.Event()
    task = asyncio.create_task(maintenance.run(bot, stop))
    for _ in range(600):  # up to 30 s on a loaded machine; a few rounds usually
        if await outbox_rows(bot, "message"):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert "A : 1 (100 %)" in (await outbox_rows(bot, "message"))[0].payload["text"]


async def test_a_report_in_english(bot: CivicBot) -> None:
    bob = ChatTester(bot, "bob", language="en")
    reply = await bob.say("there is a pothole in my street")
    # the pothole names the kind: the description is asked, and "pothole" again is not one
    assert "Damaged road or pavement" in reply.text and "describe the problem" in reply.text.lower()
    assert "describe the problem" in (await bob.say("pothole")).text.lower()
    assert "few words" in (await bob.say("...")).text
    await bob.say("A deep hole near the tram stop")
    assert "photo" in (await bob.say("Quai de la Fosse")).text
    await bob.say("skip")
    assert "anonymous" in (await bob.say("I am not sure")).text.lower()
    summary = await bob.say("silent")
    assert "Shall I send it?" in summary.text and "Quai de la Fosse" in summary.text
    receipt = await bob.say("send")
    assert "reference S-" in receipt.text
    listing = await bob.say("/contributions")
    assert "received, waiting for the city" in listing.text


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=2500)


@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(title=_text, description=_text, area=_text, opinion=_text)
async def test_free_text_of_ideas_and_opinions_never_breaks_a_flow(bot: CivicBot, title: str, description: str,
                                                                  area: str, opinion: str) -> None:
    tester = ChatTester(bot, "fuzzer")
    await tester.say("/idee")
    for text in (title, description, "environnement", area, "anonymous", "envoyer"):
        reply = await tester.say(text)
        assert reply.text.strip() and "mal passé" not in reply.text
    await tester.say("annuler")
    async with bot.sessions() as session:
        if not (await session.execute(select(Poll))).first():
            await create_poll(session, question={"fr": "Q ?"}, options=[{"fr": "A"}, {"fr": "B"}],
                              opens_at=utcnow() - timedelta(hours=1), closes_at=utcnow() + timedelta(days=1))
            await session.commit()
    await tester.say("/voter")
    await tester.say("A")
    for text in (opinion, "silent"):
        reply = await tester.say(text)
        assert reply.text.strip() and "mal passé" not in reply.text
    await tester.say("annuler")
    async with bot.sessions() as session:
        for stored in (await session.execute(select(Contribution))).scalars():
            assert stored.title and len(stored.title) <= 200 and stored.description.strip()
        for stored in (await session.execute(select(Opinion))).scalars():
            assert stored.text.strip() and len(stored.text) <= 2000
