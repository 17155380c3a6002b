"""Back ends without Open311 receive signed JSON events on their webhook, in order, retried."""
from __future__ import annotations

import pytest

from bot.app import CivicBot
from bot.contributions import forwarding
from bot.testing import ChatTester
from connectors.city_webhook import CityWebhook, WebhookError, encode_event, sign, verify
from tests.support.contributions import contribution, drain, let_time_pass, outbox_rows, report
from tests.support.servers.city_webhook import SECRET, WebhookReceiver


@pytest.fixture
async def receiver():
    receiver = WebhookReceiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
def city(bot: CivicBot, receiver: WebhookReceiver) -> CivicBot:
    bot.settings.webhook_url, bot.settings.webhook_secret = receiver.url, SECRET
    bot.settings.idea_support_threshold = 1
    return bot


def test_signature_checks_body_secret_and_age() -> None:
    body = encode_event("report.created", "1", {"a": "é"})
    signature = sign(SECRET, "1767225600", body)
    assert verify(SECRET, "1767225600", body, signature, now=1767225600 + 10)
    assert not verify("other", "1767225600", body, signature, now=1767225600)
    assert not verify(SECRET, "1767225600", body + b" ", signature, now=1767225600)
    assert not verify(SECRET, "1767225600", body, signature, now=1767225600 + 3600)
    assert not verify(SECRET, "not-a-time", body, signature)


async def test_reports_and_ideas_arrive_signed_and_in_order(city: CivicBot, receiver: WebhookReceiver) -> None:
    receiver.failing = 503
    first = await report(ChatTester(city, "alice"), "voirie", "Trou", photo="https://p.example/1.jpg")
    second = await report(ChatTester(city, "bob"), "tags", "Tag", point=(47.238, -1.53), link="anonymous")
    for _ in range(5):
        await drain(city)
        await let_time_pass(city)
    assert receiver.events == []
    receiver.failing = None
    for _ in range(5):
        await drain(city)
        await let_time_pass(city)
    assert [event["event"] for event in receiver.events] == ["report.created", "report.created"]
    assert [event["data"]["contribution"]["reference"] for event in receiver.events] == [first, second]
    sent = receiver.events[0]["data"]["contribution"]
    assert sent["media"] == "https://p.example/1.jpg" and sent["description"] == "Trou"
    assert "alice" not in str(receiver.events) and receiver.rejected == 0
    assert (await contribution(city, first)).status == "open"
    deliveries = [event["delivery"] for event in receiver.events]
    assert deliveries == sorted(set(deliveries), key=int)


async def test_a_receiver_slow_to_answer_gets_every_retry_with_the_same_idempotency_key(
        city: CivicBot, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """It keeps the event but answers after civicbot's timeout: each retry says it is the same
    event, so the receiver keeps one report."""
    monkeypatch.setattr(forwarding, "TIMEOUT_SECONDS", 0.3)
    reference = await report(ChatTester(city, "alice"), "voirie", "Trou énorme boulevard Guist'hau")
    receiver.answer_delay = 1.0
    for _ in range(3):
        await drain(city)
        await let_time_pass(city)
    receiver.answer_delay = 0
    for _ in range(3):
        await drain(city)
        await let_time_pass(city)
    assert len(receiver.arrivals) >= 3
    assert len(set(receiver.arrivals)) == 1
    delivery, key = receiver.arrivals[0]
    assert key == f"civicbot-{delivery}"
    assert [event["data"]["contribution"]["reference"] for event in receiver.events] == [reference]
    assert (await contribution(city, reference)).status == "open"


async def test_idea_created_and_threshold_events(city: CivicBot, receiver: WebhookReceiver) -> None:
    author = ChatTester(city, "alice")
    await author.say("/idee")
    await author.say("Plus de bancs")
    await author.say("Sur les quais")
    await author.say("urbanisme")
    await author.say("passer")
    await author.say("follow")
    await author.say("envoyer")
    supporter = ChatTester(city, "bob")
    await supporter.say("/idee")
    await supporter.say("voir")
    await supporter.choose(1)
    await supporter.say("anonymous")
    await supporter.say("envoyer")
    for _ in range(3):
        await drain(city)
        await let_time_pass(city)
    assert [event["event"] for event in receiver.events] == ["idea.created", "idea.threshold_reached"]
    assert receiver.events[1]["data"]["supports"] == 1


async def test_a_wrong_secret_is_refused_by_the_receiver(city: CivicBot, receiver: WebhookReceiver) -> None:
    with pytest.raises(WebhookError) as caught:
        await CityWebhook(receiver.url, "wrong-secret").post("report.created", "1", {})
    assert caught.value.status == 401 and not caught.value.retryable and receiver.rejected == 1
    city.settings.webhook_secret = ""
    await report(ChatTester(city, "alice"), "voirie", "Trou")
    await drain(city)
    row = (await outbox_rows(city, "contribution.forward"))[0]
    assert row.status == "pending" and "webhook_secret" in row.last_error  # waits for the setting


async def test_a_dead_open311_back_end_does_not_hold_the_webhook_queue(city: CivicBot,
                                                                        receiver: WebhookReceiver) -> None:
    city.settings.open311_url = "http://127.0.0.1:9/open311/v2/"  # nothing listens there
    await report(ChatTester(city, "alice"), "voirie", "Trou")
    author = ChatTester(city, "bob")
    for text in ("/idee", "Un potager partagé", "Dans le parc", "environnement", "passer", "silent", "envoyer"):
        await author.say(text)
    await drain(city)
    rows = {row.payload["target"]: row for row in await outbox_rows(city, "contribution.forward")}
    assert rows["open311"].status == "pending" and rows["webhook"].status == "sent"
    assert [event["event"] for event in receiver.events] == ["idea.created"]
