"""The delivery engine: every recipient once, errors handled as the platform means them."""
from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot import metrics, outbox
from bot.app import CivicBot
from bot.db import utcnow
from bot.delivery.engine import DeliveryEngine
from bot.delivery.retention import purge_delivered
from bot.messages import PRIORITY_FORWARD, Reply
from bot.models import User
from bot.outbox import OutboxEntry
from bot.publications import service
from bot.publications.models import Publication
from bot.subscriptions.models import Subscriber
from connectors.base import ChatMoved, RateLimited, RecipientGone, TemporaryError
from tests.support.delivery import (
    RecordingConnector,
    add_subscribers,
    all_sent,
    publish,
    running,
    statuses,
    wait_until,
)


async def test_every_subscriber_gets_the_publication_once(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, [str(1000 + n) for n in range(60)])
        await add_subscribers(session, ["2000"], topic="culture")  # not concerned
        await add_subscribers(session, ["3000"], language="en")
    connector = RecordingConnector()
    publication = await publish(bot)
    assert publication.targeted == 61
    async with running(bot, {"telegram": connector}, telegram_rate_global=0, telegram_rate_per_chat=0):
        await connector.wait_for(61)
        await wait_until(lambda: all_sent(bot, 61))
    per_chat = connector.per_chat()
    assert set(per_chat.values()) == {1} and "2000" not in per_chat and len(per_chat) == 61
    texts = {chat: text for chat, text, _ in connector.sent}
    assert texts["1000"].startswith("Travaux rue de Strasbourg") and texts["1000"].endswith("« stop ».")
    assert texts["3000"].startswith("Roadworks") and texts["3000"].endswith("“stop”.")
    async with bot.sessions() as session:
        progress = await service.find(session, publication.id)
    assert progress.status == "done" and progress.progress.sent == 61 and progress.progress.pending == 0


async def test_a_recipient_gone_is_marked_and_never_retried(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        gone_id, ok_id = await add_subscribers(session, ["-100", "101"])
    connector = RecordingConnector()
    connector.failures["-100"] = [RecipientGone("blocked")]
    publication = await publish(bot)
    async with running(bot, {"telegram": connector}):
        await connector.wait_for(1)
        await wait_until(lambda: _counts(bot, publication.id, blocked=1, sent=1))
    assert connector.gone == ["-100"] and connector.per_chat() == {"101": 1}
    async with bot.sessions() as session:
        assert (await session.get(User, gone_id)).active is False
        assert (await session.get(User, ok_id)).active is True
    again = await publish(bot)
    assert again.targeted == 1  # an inactive resident is not targeted any more


async def _counts(bot: CivicBot, publication_id: int, **expected: int) -> bool:
    async with bot.sessions() as session:
        progress = (await service.find(session, publication_id)).progress
    return all(getattr(progress, name) == value for name, value in expected.items())


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, {"platform": "telegram", **labels}) or 0.0


async def test_rate_limited_pauses_the_platform_then_delivers(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["1", "2", "3"])
    connector = RecordingConnector()
    connector.failures["1"] = [RateLimited(0.6)]
    await publish(bot)
    sent = sample("civicbot_deliveries_total", outcome="sent")
    started = time.monotonic()
    async with running(bot, {"telegram": connector}, delivery_concurrency=1):
        await connector.wait_for(3)
    assert connector.per_chat() == {"1": 1, "2": 1, "3": 1}
    assert sample("civicbot_deliveries_total", outcome="sent") - sent == 3  # what /metrics shows the city
    assert connector.sent[0][2] - started >= 0.6  # nothing went out during the pause
    async with bot.sessions() as session:
        assert set((await session.execute(select(OutboxEntry.attempts))).scalars()) == {1}


async def test_transient_errors_retry_with_backoff_then_give_up(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["7"])
    connector = RecordingConnector()
    connector.failures["7"] = [TemporaryError("502")] * 3
    await publish(bot)
    async with running(bot, {"telegram": connector}, delivery_max_attempts=3):
        await wait_until(lambda: _row_attempts(bot, 1))
        async with bot.sessions() as session:
            row = (await session.execute(select(OutboxEntry))).scalar_one()
        assert row.status == "pending" and "502" in row.last_error
        for attempts in (2, 3):  # skip the backoff waits
            async with bot.sessions() as session:
                await session.execute(update(OutboxEntry).values(not_before=utcnow()))
                await session.commit()
            outbox.notify()
            await wait_until(lambda attempts=attempts: _row_attempts(bot, attempts))
    async with bot.sessions() as session:
        row = (await session.execute(select(OutboxEntry))).scalar_one()
    assert row.status == "failed" and "gave up after 3 attempts" in row.last_error
    assert connector.sent == []


async def _row_attempts(bot: CivicBot, attempts: int) -> bool:
    async with bot.sessions() as session:
        return (await session.execute(select(OutboxEntry.attempts))).scalar_one() == attempts


async def test_a_moved_chat_gets_the_message_and_keeps_its_new_address(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        (user_id,) = await add_subscribers(session, ["-5"])
    connector = RecordingConnector()
    connector.failures["-5"] = [ChatMoved("-1005")]
    await publish(bot)
    async with running(bot, {"telegram": connector}):
        await connector.wait_for(1)
        await wait_until(lambda: all_sent(bot, 1))
    assert connector.per_chat() == {"-1005": 1}
    async with bot.sessions() as session:
        assert (await session.get(Subscriber, user_id)).chat_id == "-1005"


async def test_replies_go_before_a_broadcast_that_is_under_way(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, [str(n) for n in range(40)])
    connector = RecordingConnector()
    await publish(bot)
    async with running(bot, {"telegram": connector}, telegram_rate_global=20.0, delivery_concurrency=4):
        await connector.wait_for(5)
        await connector.deliver_reply("resident", Reply("Voici la réponse"))
        await connector.wait_for(41)
    position = [chat for chat, _, _ in connector.sent].index("resident")
    assert position < 12  # about one turn after it was asked, not behind 35 queued broadcasts


async def test_quiet_hours_hold_a_message_until_they_end(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["8"], quiet_hours="00:00-23:59")
    connector = RecordingConnector()
    publication = await publish(bot)
    async with running(bot, {"telegram": connector}):
        await asyncio.sleep(0.5)
    assert connector.sent == []
    async with bot.sessions() as session:
        row = (await session.execute(select(OutboxEntry))).scalar_one()
        progress = (await service.find(session, publication.id)).progress
    assert row.status == "pending" and row.not_before.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    assert progress.pending == 1


async def test_a_digest_brings_the_due_publications_together(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["9"], frequency="daily")
        await add_subscribers(session, ["10"])
    for title in ("Premier", "Deuxième", "Troisième"):
        await publish(bot, title={"fr": title})
    async with bot.sessions() as session:  # the digest time has come
        await session.execute(update(OutboxEntry).where(OutboxEntry.kind == "digest")
                              .values(not_before=utcnow() - timedelta(seconds=1)))
        await session.commit()
    connector = RecordingConnector()
    async with running(bot, {"telegram": connector}):
        await connector.wait_for(4)
        await wait_until(lambda: all_sent(bot, 6))
        await asyncio.sleep(0.2)
    assert connector.per_chat() == {"9": 1, "10": 3}
    digest = next(text for chat, text, _ in connector.sent if chat == "9")
    assert digest.startswith("Votre résumé du jour")
    assert digest.index("Premier") < digest.index("Deuxième") < digest.index("Troisième")
    assert digest.endswith("« stop ».")


async def test_two_workers_share_a_broadcast_without_sending_twice(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, [str(n) for n in range(400)])
    connector = RecordingConnector(latency=0.002)
    await publish(bot)
    limits = {"telegram_rate_global": 0, "telegram_rate_per_chat": 0, "delivery_batch_size": 20}
    async with running(bot, {"telegram": connector}, **limits) as first, \
            running(bot, {"telegram": connector}, **limits) as second:
        await connector.wait_for(400)
        await wait_until(lambda: all_sent(bot, 400))
    assert set(connector.per_chat().values()) == {1} and len(connector.per_chat()) == 400
    async with bot.sessions() as session:
        assert (await session.execute(select(func.count()).where(OutboxEntry.claimed_by.is_not(None)))).scalar() == 0
    assert first.worker != second.worker


async def test_rows_claimed_by_a_dead_worker_are_delivered_after_their_lease(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["11", "12"])
    await publish(bot)
    async with bot.sessions() as session:
        claimed = await outbox.claim(session, 10, lease_seconds=1.0, worker="dead")
    assert len(claimed) == 2
    connector = RecordingConnector()
    async with running(bot, {"telegram": connector}):
        await connector.wait_for(2, timeout=15)
    assert connector.per_chat() == {"11": 1, "12": 1}


async def test_registered_handlers_run_with_their_outcomes(bot: CivicBot) -> None:
    seen: list[int] = []

    async def forward(entry: OutboxEntry) -> None:
        seen.append(entry.payload["n"])
        if entry.payload["n"] == 2:
            raise outbox.RetryLater("city back end busy", delay=3600)
        if entry.payload["n"] == 3:
            raise outbox.PermanentFailure("rejected")

    outbox.register_handler("test_forward", forward)
    try:
        async with bot.sessions() as session:
            for n in (1, 2, 3):
                outbox.enqueue(session, "test_forward", {"n": n}, priority=PRIORITY_FORWARD)
            await session.commit()
        async with running(bot, {}):
            await wait_until(lambda: _statuses_are(bot, {"sent": 1, "pending": 1, "failed": 1}))
    finally:
        outbox.HANDLERS.pop("test_forward")
    assert sorted(seen) == [1, 2, 3]


async def _statuses_are(bot: CivicBot, expected: dict[str, int]) -> bool:
    return await statuses(bot) == expected


async def test_a_stop_gives_back_what_was_not_sent(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, [str(n) for n in range(50)])
    connector = RecordingConnector()
    await publish(bot)
    async with running(bot, {"telegram": connector}, telegram_rate_global=10.0):
        await connector.wait_for(3)
    async with bot.sessions() as session:
        counts = await statuses(bot)
        claimed = (await session.execute(select(func.count()).where(OutboxEntry.claimed_by.is_not(None)))).scalar()
    assert counts["sent"] == len(connector.sent) and counts["pending"] == 50 - len(connector.sent)
    assert claimed == 0


async def test_delivered_messages_are_purged_after_their_retention_but_counts_stay(bot: CivicBot) -> None:
    async with bot.sessions() as session:
        await add_subscribers(session, ["21", "22"])
    connector = RecordingConnector()
    publication = await publish(bot)
    async with running(bot, {"telegram": connector}):
        await wait_until(lambda: all_sent(bot, 2))
    waiting = await publish(bot)  # not delivered: stays whatever its age
    long_ago = utcnow() - timedelta(days=31)
    async with bot.sessions() as session:
        outbox.enqueue(session, "message", {"text": "old news"}, platform="telegram", chat_id="21")
        await session.flush()
        await session.execute(update(OutboxEntry).where(OutboxEntry.kind == "message").values(status="sent"))
        await session.execute(update(OutboxEntry).values(created_at=long_ago))
        await session.execute(update(Publication).values(created_at=long_ago))
        assert await purge_delivered(session, 30) == 3
        await session.commit()
        assert (await session.execute(select(func.count()).select_from(OutboxEntry))).scalar() == 2
        kept = await service.find(session, publication.id)
        assert kept.progress.sent == 2 and kept.progress.cancelled == 0 and kept.status == "done"
        assert (await service.find(session, waiting.id)).progress.pending == 2
        assert await purge_delivered(session, 30) == 0


async def test_on_sqlite_a_second_worker_stands_by_then_takes_over(bot: CivicBot, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("on PostgreSQL workers share the work (test above)")
    async with bot.sessions() as session:
        await add_subscribers(session, [str(n) for n in range(30)])
    await publish(bot)
    first, second = RecordingConnector(), RecordingConnector()
    first_stop, second_stop = asyncio.Event(), asyncio.Event()
    settings = dataclasses.replace(bot.settings, telegram_rate_global=20.0, delivery_poll_seconds=0.1)
    first_task = asyncio.create_task(
        DeliveryEngine(bot.sessions, settings, bot.catalog, {"telegram": first}).run(first_stop))
    await first.wait_for(2)
    second_task = asyncio.create_task(
        DeliveryEngine(bot.sessions, settings, bot.catalog, {"telegram": second}).run(second_stop))
    await first.wait_for(8)
    assert second.sent == []  # standing by while the other delivers
    first_stop.set()
    await first_task
    await wait_until(lambda: all_sent(bot, 30))
    second_stop.set()
    await second_task
    assert len(first.sent) + len(second.sent) == 30 and second.sent
    assert set((first.per_chat() + second.per_chat()).values()) == {1}
