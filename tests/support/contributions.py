"""Helpers for the contributions tests: run the outbox, make time pass, go through a report."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.app import CivicBot
from bot.contributions.models import Contribution
from bot.contributions.store import FORWARD_KIND
from bot.outbox import OutboxEntry, claim, record, run_handler
from bot.testing import ChatTester


async def drain(bot: CivicBot, kinds: tuple[str, ...] = (FORWARD_KIND,), rounds: int = 100) -> int:
    """Process the due outbox rows of these kinds one by one, as a worker does (each outcome
    committed before the next row runs); how many were processed."""
    processed = 0
    for _ in range(rounds):
        async with bot.sessions() as session:
            entries = await claim(session, 50, kinds=kinds)
        for entry in entries:
            outcome = await run_handler(entry, bot.outbox_handlers)
            async with bot.sessions() as session:
                await record(session, [outcome])
                await session.commit()
        if not entries:
            break
        processed += len(entries)
    return processed


async def let_time_pass(bot: CivicBot, seconds: float = 3600.0) -> None:
    """Every pending row's wait is ``seconds`` shorter, as if that time had passed."""
    async with bot.sessions() as session:
        pending = (await session.execute(select(OutboxEntry).where(OutboxEntry.status == "pending"))).scalars()
        for entry in pending:
            entry.not_before = entry.not_before - timedelta(seconds=seconds)
            entry.claimed_until = None
        await session.commit()


async def outbox_rows(bot: CivicBot, kind: str | None = None) -> list[OutboxEntry]:
    async with bot.sessions() as session:
        query = select(OutboxEntry).order_by(OutboxEntry.id)
        if kind:
            query = query.where(OutboxEntry.kind == kind)
        return list((await session.execute(query)).scalars())


async def contribution(bot: CivicBot, reference: str) -> Contribution:
    async with bot.sessions() as session:
        return (await session.execute(select(Contribution).where(
            Contribution.reference == reference))).scalar_one()


async def report(tester: ChatTester, category: str, description: str, *,
                 point: tuple[float, float] | None = (47.2184, -1.5536), address: str = "",
                 photo: str | None = None, link: str = "follow") -> str:
    """Go through the whole report flow; the reference of the receipt."""
    await tester.say("/signaler")
    reply = await tester.say(category)
    while "service demande" in reply.text:  # the service's questions: first choice each time
        reply = await tester.say(reply.choices[0].value)
    assert "décrivez le problème" in reply.text.lower(), reply.text
    await tester.say(description)
    reply = await (tester.share_location(*point) if point else tester.say(address))
    if "+1" in reply.text or any(c.value == "nouveau" for c in reply.choices):
        reply = await tester.say("nouveau")
    assert "photo" in reply.text, reply.text
    await (tester.attach(photo) if photo else tester.say("passer"))
    await tester.say(link)
    receipt = await tester.say("confirm")
    return reference_in(receipt.text)


def reference_in(text: str) -> str:
    found = re.search(r"\b[SI]-[A-Z0-9]{6}\b", text)
    assert found, text
    return found.group(0)
