"""Export, erasure and retention: nothing about a resident is left once they asked to be forgotten."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import func, select, update

from bot import outbox
from bot.app import CivicBot
from bot.cli import cli
from bot.contributions.followup import record_status
from bot.contributions.maintenance import retention
from bot.contributions.models import Contribution, Poll, Support, Vote
from bot.contributions.polls import create_poll, publish_due_results
from bot.contributions.privacy import resident_links
from bot.contributions.store import participation_key
from bot.db import Base, utcnow
from bot.features import create_bot
from bot.models import User
from bot.outbox import OutboxEntry
from bot.testing import ChatTester
from tests.support.contributions import contribution, report

CHAT = "chat-7f3a9e"  # the resident's platform id and chat address in these tests


async def _poll(bot: CivicBot, question: str) -> Poll:
    async with bot.sessions() as session:
        poll = await create_poll(session, question={"fr": question}, options=[{"fr": "Oui"}, {"fr": "Non"}],
                                 opens_at=utcnow() - timedelta(hours=1), closes_at=utcnow() + timedelta(days=3))
        await session.commit()
        return poll


async def _vote(tester: ChatTester, poll: Poll, link: str, opinion: str = "passer") -> None:
    await tester.say("/voter")
    if "consultation" in (tester.last.choices[0].value if tester.last.choices else ""):
        await tester.say(f"consultation {poll.id}")
    await tester.say("Oui")
    await tester.say(opinion)
    await tester.say(link)


async def _contribute_everything(bot: CivicBot, resident: ChatTester) -> dict:
    """The resident reports, supports, proposes, votes; another resident too."""
    other = ChatTester(bot, "other-resident")
    followed = await report(resident, "voirie", "Trou devant chez moi au 4 rue Kervégan")
    anonymous = await report(resident, "tags", "Tag", point=(47.21, -1.56), link="anonymous")
    others = await report(other, "eclairage", "Lampadaire", point=(47.23, -1.57))
    await resident.say("/signaler")
    await resident.say("eclairage")
    await resident.say("Toujours éteint")
    await resident.share_location(47.23, -1.57)
    await resident.say(f"+1 {others}")
    await resident.say("anonymous")
    await resident.say("confirm")
    closed_poll, open_poll = await _poll(bot, "Première question ?"), await _poll(bot, "Seconde question ?")
    await _vote(resident, closed_poll, "follow", "Mon avis personnel")
    await _vote(resident, open_poll, "anonymous")
    await _vote(other, open_poll, "follow")
    async with bot.sessions() as session:
        await session.execute(update(Poll).where(Poll.id == closed_poll.id)
                              .values(closes_at=utcnow() - timedelta(minutes=1)))
        await session.commit()
    await publish_due_results(bot)
    async with bot.sessions() as session:  # news of the followed report waits in the outbox
        stored = await session.get(Contribution, (await contribution(bot, followed)).id)
        await record_status(bot, session, stored, "closed", "Réparé")
        await session.commit()
    await resident.say("/abonner travaux")  # covered too once subscriptions are stored
    return {"followed": followed, "anonymous": anonymous, "others": others,
            "polls": (closed_poll, open_poll)}


async def test_export_holds_everything_stored_about_the_resident(bot: CivicBot) -> None:
    resident = ChatTester(bot, CHAT)
    made = await _contribute_everything(bot, resident)
    reply = await resident.say("/mesdonnees")
    assert reply.document is not None and reply.document.filename.endswith(".json")
    document = json.loads(reply.document.content)
    user_hash = bot.pseudonymizer.user_hash("test", CHAT)
    assert document["users"][0]["user_hash"] == user_hash
    assert document["conversations"][0]["user_id"] == document["users"][0]["id"]
    references = {row["reference"] for row in document["contributions"]}
    assert made["followed"] in references and made["anonymous"] not in references
    assert any(row["notes"] == "Réparé" for row in document["contribution_events"])
    assert [row["text"] for row in document["opinions"]] == ["Mon avis personnel"]
    assert len(document["votes"]) == 1  # the anonymous vote is not linked to them
    assert any(row["chat_id"] == CHAT for row in document["outbox"])
    assert "contributions" in reply.text and "365" in reply.text
    other = json.loads((await ChatTester(bot, "other-resident").say("/mydata")).document.content)
    assert user_hash not in json.dumps(other)


async def test_forget_leaves_nothing_about_the_resident_in_any_table(bot: CivicBot) -> None:
    resident = ChatTester(bot, CHAT)
    made = await _contribute_everything(bot, resident)
    user_hash = bot.pseudonymizer.user_hash("test", CHAT)
    async with bot.sessions() as session:
        user = (await session.execute(select(User).where(User.user_hash == user_hash))).scalar_one()
        contribution_ids = (await session.execute(select(Contribution.id))).scalars().all()
        counted_before = (await session.execute(select(Contribution))).scalars().all()
    polls = made["polls"]
    derived = {participation_key(bot, user, f"support:{cid}") for cid in contribution_ids} | {
        participation_key(bot, user, f"poll:{poll.id}") for poll in polls}
    assert "efface" in (await resident.say("/oublier")).text
    assert "effacé toutes vos données" in (await resident.say("Oui, tout effacer")).text

    async with bot.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in (await connection.execute(select(table))).mappings():
                flat = json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False)
                assert user_hash not in flat, table.name
                assert CHAT not in flat, table.name
                assert not any(key in flat for key in derived), table.name
        for table, column in resident_links():
            held = (await connection.execute(select(table).where(column == user.id))).all()
            assert held == [], table.name
    async with bot.sessions() as session:
        assert await session.get(User, user.id) is None
        after = (await session.execute(select(Contribution))).scalars().all()
        votes = (await session.execute(select(Vote))).scalars().all()
        supports = (await session.execute(select(Support))).scalars().all()
    assert len(after) == len(counted_before)  # what the city received stays, unlinked
    assert len(votes) == 2  # the closed poll's vote stays; the open poll keeps only the other's vote
    assert len(supports) == 1 and supports[0].supporter_key is None
    assert (await contribution(bot, made["followed"])).user_id is None
    # the resident can start again as a new resident
    assert "pas encore" in (await resident.say("/contributions")).text


async def test_forget_asks_first_and_keeps_everything_when_refused(bot: CivicBot) -> None:
    resident = ChatTester(bot, CHAT)
    reference = await report(resident, "voirie", "Trou")
    await resident.say("/oublier")
    assert "rien effacé" in (await resident.say("non")).text
    assert (await contribution(bot, reference)).user_id is not None


async def test_maintenance_cuts_old_links_only(bot: CivicBot, settings, monkeypatch) -> None:
    resident = ChatTester(bot, CHAT)
    old = await report(resident, "voirie", "Trou ancien")
    recent = await report(resident, "tags", "Tag récent", point=(47.2025, -1.545))
    async with bot.sessions() as session:
        await session.execute(update(Contribution).where(Contribution.reference == old)
                              .values(created_at=utcnow() - timedelta(days=settings.retention_days + 1)))
        await session.commit()
    await bot.close()
    for name, value in (("DATA_DIR", str(settings.data_dir)), ("DATABASE_URL", settings.database_url),
                        ("SECRET", settings.secret)):
        monkeypatch.setenv(f"CIVICBOT_{name}", value)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["maintenance"])  # it runs its own loop
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["links_cut"] == 1
    restarted = await create_bot(settings)
    try:
        cut, kept = await contribution(restarted, old), await contribution(restarted, recent)
        assert (cut.user_id, cut.chat_id, cut.platform) == (None, None, None)
        assert kept.user_id is not None and kept.chat_id == CHAT
    finally:
        await restarted.close()


async def test_maintenance_purges_delivered_messages_as_documented(
        bot: CivicBot, settings, monkeypatch) -> None:
    """``civicbot maintenance`` purges the delivered messages (they keep a chat address) past
    ``delivery_retention_days``; one still waiting, or recent, stays."""
    long_ago = utcnow() - timedelta(days=settings.delivery_retention_days + 1)
    async with bot.sessions() as session:
        for chat, status in (("chat-old-sent", "sent"), ("chat-old-failed", "failed"),
                             ("chat-old-waiting", "pending"), ("chat-new-sent", "sent")):
            entry = outbox.enqueue(session, "message", {"text": "Les travaux de la rue Crébillon"},
                                   platform="telegram", chat_id=chat)
            entry.status = status
        await session.flush()
        await session.execute(update(OutboxEntry).where(OutboxEntry.chat_id.startswith("chat-old"))
                              .values(created_at=long_ago))
        await session.commit()
    await bot.close()
    for name, value in (("DATA_DIR", str(settings.data_dir)), ("DATABASE_URL", settings.database_url),
                        ("SECRET", settings.secret)):
        monkeypatch.setenv(f"CIVICBOT_{name}", value)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["maintenance"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["delivered_messages_purged"] == 2
    restarted = await create_bot(settings)
    try:
        async with restarted.sessions() as session:
            left = set((await session.execute(select(OutboxEntry.chat_id))).scalars())
        assert left == {"chat-old-waiting", "chat-new-sent"}
    finally:
        await restarted.close()


async def test_a_vote_past_retention_in_an_open_poll_cannot_be_cast_twice(bot: CivicBot, settings) -> None:
    """The retention limit cuts the vote's link to the resident, but the same resident voting
    again in the poll still open changes their vote: it is not counted twice."""
    poll = await _poll(bot, "Faut-il piétonniser la rue de Strasbourg ?")
    resident = ChatTester(bot, CHAT)
    await _vote(resident, poll, "follow")
    async with bot.sessions() as session:
        await session.execute(update(Vote).values(
            created_at=utcnow() - timedelta(days=settings.retention_days + 1)))
        await session.commit()
    assert await retention(bot) == 1
    async with bot.sessions() as session:
        vote = (await session.execute(select(Vote))).scalar_one()
        assert (vote.user_id, vote.chat_id) == (None, None)  # the link is cut
    await _vote(resident, poll, "anonymous")
    async with bot.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Vote))).scalar() == 1
    await let_polls_close(bot, poll)
    async with bot.sessions() as session:
        assert (await session.execute(select(Vote.voter_key))).scalar_one() is None  # cleared at the close


async def let_polls_close(bot: CivicBot, poll: Poll) -> None:
    async with bot.sessions() as session:
        await session.execute(update(Poll).where(Poll.id == poll.id)
                              .values(closes_at=utcnow() - timedelta(minutes=1)))
        await session.commit()
    assert await publish_due_results(bot) == 1
