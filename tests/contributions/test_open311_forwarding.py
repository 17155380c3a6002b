"""Reports reach the city's Open311 back end through the outbox: in order, once, whatever the
back end does (errors, slowness, an outage and a restart), and its statuses come back."""
from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from bot import metrics
from bot.app import CivicBot
from bot.contributions import categories, forwarding
from bot.contributions.followup import poll_open311
from bot.contributions.models import Contribution, ContributionEvent
from bot.contributions.store import FORWARD_KIND
from bot.outbox import OutboxEntry
from bot.testing import ChatTester
from tests.support.contributions import contribution, drain, let_time_pass, outbox_rows, report
from tests.support.servers.open311 import API_KEY, Open311Server

HERE = (47.2184, -1.5536)


@pytest.fixture
def server(open311_server: Open311Server) -> Open311Server:
    return open311_server


@pytest.fixture
def city(bot: CivicBot, server: Open311Server) -> CivicBot:
    """The bot configured for the loopback back end."""
    categories.clear_cache()
    bot.settings.open311_url, bot.settings.open311_api_key = server.url, API_KEY
    bot.settings.open311_jurisdiction_id = "nantes.fr"
    return bot


async def deliver_everything(bot: CivicBot, rounds: int = 20) -> None:
    for _ in range(rounds):
        await drain(bot)
        if not [row for row in await outbox_rows(bot, FORWARD_KIND) if row.status == "pending"]:
            return
        await let_time_pass(bot)
    raise AssertionError("forwards still pending")


async def test_categories_come_from_the_back_end_and_survive_its_outage(city: CivicBot,
                                                                         server: Open311Server) -> None:
    reply = await ChatTester(city, "alice").say("/signaler")
    assert [c.label for c in reply.choices] == [s["service_name"] for s in server.services]
    calls = len(server.calls)
    await ChatTester(city, "bob").say("/signaler")
    assert len(server.calls) == calls  # cached
    await server.stop()
    categories.clear_cache()  # as after a restart: the copy kept in the database is used
    reply = await ChatTester(city, "carol").say("/signaler")
    assert "Dépôt sauvage" in [c.label for c in reply.choices]


async def test_a_report_is_posted_with_its_point_photo_and_attributes(city: CivicBot,
                                                                       server: Open311Server) -> None:
    alice = ChatTester(city, "alice")
    await alice.say("/signaler")
    question = await alice.say("Éclairage public en panne")
    assert "Le lampadaire est-il" in question.text and [c.label for c in question.choices] == [
        "Éteint", "Clignotant"]
    optional = await alice.say("Clignotant")
    assert "Numéro" in optional.text and optional.choices[-1].value == "passer"
    await alice.say("N-1234")
    await alice.say("Le lampadaire clignote toute la nuit")
    await alice.share_location(*HERE)
    await alice.attach("https://photos.example/p/1.jpg")
    await alice.say("follow")
    summary = alice.last
    assert "Clignotant" in summary.text and "N-1234" in summary.text
    receipt = await alice.say("envoyer")
    reference = receipt.text.split("référence ")[1].split()[0]
    assert server.posts == []  # committed and acknowledged first; sent by the outbox
    await deliver_everything(city)
    form = server.posts[0]
    assert form["service_code"] == "eclairage" and form["attribute[etat]"] == "clignote"
    assert form["attribute[numero]"] == "N-1234" and form["jurisdiction_id"] == "nantes.fr"
    assert (float(form["lat"]), float(form["long"])) == HERE
    assert form["media_url"] == "https://photos.example/p/1.jpg"
    stored = await contribution(city, reference)
    assert stored.status == "open" and stored.remote_id in server.requests and stored.forwarded_at


async def test_an_outage_loses_nothing_and_keeps_the_order(city: CivicBot, server: Open311Server) -> None:
    await server.stop()
    references = []
    for number in range(6):
        tester = ChatTester(city, f"resident-{number}")
        references.append(await report(tester, "Nid de poule", f"Trou numéro {number}",
                                       point=(47.20 + number / 100, -1.55)))
    for _hour in range(12):  # an hour of retries against a dead back end
        await drain(city)
        await let_time_pass(city, 300)
    rows = await outbox_rows(city, FORWARD_KIND)
    assert len(rows) == 6 and all(row.status == "pending" for row in rows)
    assert rows[0].attempts >= 10
    await server.start()
    await let_time_pass(city)
    await deliver_everything(city)
    assert [form["description"] for form in server.posts] == [
        f"Trou numéro {n}\n\n[civicbot {reference}]" for n, reference in enumerate(references)]
    assert all(row.status == "sent" for row in await outbox_rows(city, FORWARD_KIND))
    for reference in references:
        assert (await contribution(city, reference)).remote_id


async def test_server_errors_and_slow_answers_are_retried(city: CivicBot, server: Open311Server,
                                                          monkeypatch) -> None:
    patient = forwarding.TIMEOUT_SECONDS
    monkeypatch.setattr(forwarding, "TIMEOUT_SECONDS", 0.3)  # the slow answer below takes 1 s
    reference = await report(ChatTester(city, "alice"), "Nid de poule", "Trou")
    server.failing = 500
    await drain(city)
    server.failing, server.delay = None, 1.0
    await let_time_pass(city)
    await drain(city)
    assert (await contribution(city, reference)).remote_id is None
    server.delay = 0
    monkeypatch.setattr(forwarding, "TIMEOUT_SECONDS", patient)  # however loaded the machine
    await let_time_pass(city)
    await deliver_everything(city)
    assert (await contribution(city, reference)).remote_id
    row = (await outbox_rows(city, FORWARD_KIND))[0]
    assert row.attempts == 3 and row.status == "sent"
    assert len(server.posts) == 1  # the slow post was stored: found by its reference, not posted again


async def test_a_back_end_that_stores_then_answers_too_late_gets_the_report_once(
        city: CivicBot, server: Open311Server, monkeypatch) -> None:
    """The audit saw 4 duplicates in 100 s: each retry after the timeout posted the report again."""
    monkeypatch.setattr(forwarding, "TIMEOUT_SECONDS", 0.3)
    reference = await report(ChatTester(city, "alice"), "Nid de poule",
                             "Gros trou devant le 12 rue de la Marne, dangereux pour les vélos")
    server.answer_delay = 1.0  # stores the report, answers after civicbot gave up waiting
    for _ in range(4):
        await drain(city)
        await asyncio.sleep(1.0)  # the back end finishes storing it
        await let_time_pass(city)
    stored = [form for form in server.posts if reference in form["description"]]
    assert len(stored) == 1
    server.answer_delay = 0
    await deliver_everything(city)
    assert len(server.posts) == 1
    assert (await contribution(city, reference)).remote_id == next(iter(server.requests))


async def test_a_crash_between_the_post_and_the_commit_does_not_post_twice(
        city: CivicBot, server: Open311Server) -> None:
    reference = await report(ChatTester(city, "bob"), "Nid de poule", "nid de poule rue crebillon")
    await deliver_everything(city)
    async with city.sessions() as session:  # as if the answer had never been written down
        await session.execute(update(OutboxEntry).values(status="pending"))
        await session.execute(update(Contribution).values(remote_id=None, forwarded_at=None))
        await session.commit()
    await deliver_everything(city)
    assert len(server.posts) == 1
    assert (await contribution(city, reference)).remote_id == next(iter(server.requests))


async def test_a_back_end_that_cannot_search_gets_the_report_again_with_a_warning(
        city: CivicBot, server: Open311Server, monkeypatch, caplog) -> None:
    """What the guarantee does not cover, as documented: no search, no way to know."""
    monkeypatch.setattr(forwarding, "TIMEOUT_SECONDS", 0.3)
    server.search_refused = 400
    await report(ChatTester(city, "carol"), "Nid de poule", "Trou")
    server.answer_delay = 1.0
    await drain(city)
    await asyncio.sleep(1.0)
    server.answer_delay = 0
    await let_time_pass(city)
    await deliver_everything(city)
    assert len(server.posts) == 2
    assert "cannot search its requests" in caplog.text


async def test_a_slow_answer_that_succeeded_is_not_posted_twice(city: CivicBot, server: Open311Server) -> None:
    reference = await report(ChatTester(city, "alice"), "Nid de poule", "Trou")
    await deliver_everything(city)
    async with city.sessions() as session:  # a crash after the post: the row is run again
        await session.execute(update(OutboxEntry).values(status="pending"))
        await session.commit()
    await deliver_everything(city)
    assert len(server.posts) == 1 and (await contribution(city, reference)).remote_id


def forwards(outcome: str) -> float:
    return metrics.REGISTRY.get_sample_value("civicbot_forwarding_attempts_total",
                                             {"target": "open311", "outcome": outcome}) or 0.0


async def test_a_refusal_fails_that_report_only_and_tells_its_author(city: CivicBot,
                                                                     server: Open311Server) -> None:
    first = await report(ChatTester(city, "alice"), "Dépôt sauvage", "Encombrants")
    second = await report(ChatTester(city, "bob"), "Nid de poule", "Autre trou", point=(47.238, -1.53))
    server.services = [s for s in server.services if s["service_code"] != "depot"]  # withdrawn: 404
    refused, accepted = forwards("refused"), forwards("accepted")
    await deliver_everything(city)
    assert (forwards("refused") - refused, forwards("accepted") - accepted) == (1, 1)  # as /metrics shows
    failed, sent = await contribution(city, first), await contribution(city, second)
    assert failed.status == "failed" and failed.remote_id is None
    assert sent.status == "open" and [p["description"] for p in server.posts] == [f"Autre trou\n\n[civicbot {second}]"]
    news = await outbox_rows(city, "message")
    assert [row.chat_id for row in news] == ["alice"] and first in news[0].payload["text"]


async def test_a_local_category_goes_to_the_closest_service(city: CivicBot, server: Open311Server) -> None:
    await server.stop()  # the back end never answered: the local list is offered
    reference = await report(ChatTester(city, "alice"), "dépôt sauvage", "Canapé sur le trottoir")
    assert (await contribution(city, reference)).category == "local:proprete"
    await server.start()
    await let_time_pass(city)
    await deliver_everything(city)
    assert server.posts[0]["service_code"] == "depot"


async def test_statuses_and_batch_tokens_come_back_to_author_and_followers(city: CivicBot,
                                                                           server: Open311Server) -> None:
    server.batch_ready = False
    author, follower, silent = ChatTester(city, "alice"), ChatTester(city, "bob"), ChatTester(city, "carol")
    reference = await report(author, "Dépôt sauvage", "Encombrants")
    for tester, link in ((follower, "follow"), (silent, "silent")):
        await tester.say("/signaler")
        await tester.say("Dépôt sauvage")
        await tester.say("Encombrants")
        await tester.share_location(*HERE)
        await tester.say(f"+1 {reference}")
        await tester.say(link)
        await tester.say("confirm")
    await deliver_everything(city)
    stored = await contribution(city, reference)
    assert stored.remote_token and stored.remote_id is None
    await poll_open311(city)
    assert (await contribution(city, reference)).remote_id is None  # not ready yet
    server.batch_ready = True
    assert await poll_open311(city) == 0
    stored = await contribution(city, reference)
    assert stored.remote_id
    server.set_status(stored.remote_id, "closed", "Enlevé ce matin")
    assert await poll_open311(city) == 1
    assert await poll_open311(city) == 0  # once
    stored = await contribution(city, reference)
    assert (stored.status, stored.status_notes) == ("closed", "Enlevé ce matin")
    news = {row.chat_id: row.payload["text"] for row in await outbox_rows(city, "message")}
    assert set(news) == {"alice", "bob"} and "Enlevé ce matin" in news["bob"]
    async with city.sessions() as session:
        events = (await session.execute(select(ContributionEvent.status, ContributionEvent.source)
                                        .order_by(ContributionEvent.id))).all()
    assert events == [("received", "bot"), ("open", "bot"), ("closed", "city")]
    listing = await author.say("/contributions")
    assert "Enlevé ce matin" in listing.text


async def test_no_resident_words_in_the_logs(city: CivicBot, server: Open311Server, caplog) -> None:
    caplog.set_level(logging.INFO)  # the default level; civicbot's own modules at DEBUG
    for name in ("bot", "connectors", "intents"):
        caplog.set_level(logging.DEBUG, logger=name)
    secret_words = "Mon voisin Jean Dupont jette ses ordures"
    city.settings.open311_api_key = "wrong"
    await report(ChatTester(city, "alice"), "Dépôt sauvage", secret_words)
    await deliver_everything(city)
    assert secret_words not in caplog.text and "Jean Dupont" not in caplog.text
    assert "refused" in caplog.text


_free_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=3000) \
    | st.lists(st.sampled_from(["<b>", "</b>", "<script>", "é", "\n", "Trou", "&amp;", "<", ">", " "]),
               min_size=1, max_size=200).map("".join)


@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(description=_free_text, address=_free_text)
async def test_free_text_is_never_a_crash_and_reaches_the_back_end_clean(city: CivicBot,
                                                                          server: Open311Server,
                                                                          description: str,
                                                                          address: str) -> None:
    tester = ChatTester(city, "fuzzer")
    await tester.say("/signaler")
    await tester.say("Nid de poule")
    for text in (description, address, "passer", "anonymous", "envoyer"):
        reply = await tester.say(text)
        assert reply.text.strip()
        if "mal passé" in reply.text:
            raise AssertionError(reply.text)
    await deliver_everything(city)
    for form in server.posts:
        assert len(form["description"]) <= 4000 and "<b>" not in form["description"]
    server.posts.clear()
    await tester.say("annuler")


async def test_many_services_are_offered_by_group(city: CivicBot, server: Open311Server) -> None:
    server.services = [{"service_code": f"s{n}", "service_name": f"Service {n}", "metadata": False,
                        "group": "Voirie" if n % 2 else "Propreté"} for n in range(14)]
    alice = ChatTester(city, "alice")
    groups = await alice.say("/signaler")
    assert [c.label for c in groups.choices] == ["Propreté", "Voirie"]
    services = await alice.say("Voirie")
    assert [c.label for c in services.choices] == [f"Service {n}" for n in range(1, 14, 2)]
    assert "décrivez le problème" in (await alice.choose(2)).text.lower()
