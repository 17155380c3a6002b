"""Publications by e-mail through a real SMTP server (aiosmtpd on loopback): what arrives is
parsed back and checked, links are followed against the running app, and a server that refuses,
asks to wait or is down gets the handling a blocked or unreachable chat gets."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.app import CivicBot
from bot.config import Settings
from bot.db import utcnow
from bot.delivery.engine import DeliveryEngine
from bot.delivery.retention import purge_delivered
from bot.email import smtp
from bot.email.models import ACTIVE, BOUNCED, PENDING, STOPPED
from bot.email.store import EMAIL_KIND
from bot.http import create_app
from bot.outbox import BLOCKED, SENT, OutboxEntry
from bot.publications.models import Publication
from bot.testing import ChatTester
from tests.support.contributions import drain, let_time_pass, outbox_rows
from tests.support.email import addresses, body, confirm, council_session, link, publish
from tests.support.network import free_port
from tests.support.smtp import MailServer

ALICE = "alice.martin@exemple.fr"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, mail_server: MailServer, port: int) -> Settings:
    mail_server.configure(settings, public_url=f"http://127.0.0.1:{port}")
    return settings


@pytest.fixture
async def site(bot: CivicBot, port: int):
    """The app civicbot serve runs, on the port the e-mails' links name."""
    runner = web.AppRunner(create_app(bot))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield
    await runner.cleanup()


async def subscribe(bot: CivicBot, resident: str, address: str,
                    words: str = "je veux recevoir les comptes rendus du conseil par mail") -> None:
    tester = ChatTester(bot, resident)
    await tester.say(words)
    reply = await tester.say(address)
    assert "e-mail" in reply.text


async def deliver(bot: CivicBot) -> int:
    return await drain(bot, (EMAIL_KIND,))


async def test_subscribe_confirm_deliver_and_unsubscribe_in_one_click(bot: CivicBot, mail_server: MailServer,
                                                                      site: None) -> None:
    await subscribe(bot, "alice", ALICE)
    assert await publish(bot, "Avant confirmation", "Rien ne part avant le clic.",
                         topics=["conseil municipal"]) == 0  # nothing before the click
    assert await deliver(bot) == 1
    [confirmation] = mail_server.messages_to(ALICE)
    assert "conseil municipal" in body(confirmation, "plain")
    async with aiohttp.ClientSession() as http:
        async with http.post(link(confirmation, "/email/confirm")) as response:
            assert response.status == 200
            assert "confirmé" in await response.text()
        assert [row.status for row in await addresses(bot)] == [ACTIVE]

        council = council_session()
        title = f"Conseil municipal du {council['date']}"
        source = "https://www.montpellier.fr/deliberations"
        assert await publish(bot, title, council["titles"], topics=["conseil municipal"], link=source) == 1
        assert await deliver(bot) == 1
        summary = mail_server.messages_to(ALICE)[-1]
        assert summary["Subject"] == title
        assert parseaddr(summary["From"])[1] == parseaddr(bot.settings.email_from)[1]
        assert summary["To"] == ALICE
        assert parsedate_to_datetime(summary["Date"]).tzinfo is not None
        assert summary["Message-ID"].startswith("<") and summary["Message-ID"] != confirmation["Message-ID"]
        for kind in ("plain", "html"):
            text = body(summary, kind)
            assert council["first"].replace("'", "&#x27;" if kind == "html" else "'") in text
            assert source in text and "Source : Nantes" in text
        unsubscribe_url, mailto = [part.strip(" <>") for part in summary["List-Unsubscribe"].split(",")]
        assert unsubscribe_url == link(summary, "/email/unsubscribe")
        assert mailto.startswith("mailto:civicbot@nantes.example")
        assert summary["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/email/settings" in link(summary, "/email/settings")

        # RFC 8058: the mail client posts the one-click body, no page interaction
        async with http.post(unsubscribe_url, data={"List-Unsubscribe": "One-Click"}) as response:
            assert response.status == 200
            assert "désabonn" in (await response.text()).lower() or "effacée" in await response.text()
    [row] = await addresses(bot)
    assert row.status == STOPPED and row.address == ""
    assert await publish(bot, "Après désabonnement", "Plus rien.", topics=["conseil municipal"]) == 0
    assert await deliver(bot) == 0
    assert len(mail_server.messages_to(ALICE)) == 2


async def test_the_delivery_engine_sends_publications_by_email(bot: CivicBot, mail_server: MailServer) -> None:
    """Through the same workers as chat deliveries (civicbot serve's engine), at the configured rate."""
    residents = {f"r{number}": f"habitant{number}@exemple.fr" for number in range(4)}
    for resident, address in residents.items():
        await subscribe(bot, resident, address, "abonne moi par email à Nantes Nord")
    stop = asyncio.Event()
    engine = asyncio.create_task(DeliveryEngine(bot.sessions, bot.settings, bot.catalog, {},
                                                  handlers=bot.outbox_handlers).run(stop))
    try:
        await mail_server.wait_for(len(residents))
        for address in residents.values():
            await confirm(bot, link(mail_server.messages_to(address)[0], "/email/confirm"))
        assert await publish(bot, "Travaux rue de la Bourgeonnière", "Chaussée fermée lundi.",
                             kind="works", areas=["Nantes Nord"]) == len(residents)
        await mail_server.wait_for(2 * len(residents))
    finally:
        stop.set()
        await engine
    for address in residents.values():
        assert mail_server.messages_to(address)[-1]["Subject"] == "Travaux rue de la Bourgeonnière"
    assert {row.status for row in await outbox_rows(bot, EMAIL_KIND)} == {SENT}


@pytest.mark.parametrize(("step", "answer"), [
    ("rcpt_answer", "550 5.1.1 <alice.martin@exemple.fr>: Recipient address rejected"),
    ("data_answer", "554 5.7.1 Message refused for alice.martin@exemple.fr"),
])
async def test_an_address_refused_for_good_stops_receiving_like_a_blocked_chat(
        bot: CivicBot, mail_server: MailServer, step: str, answer: str) -> None:
    await subscribe(bot, "alice", ALICE)
    setattr(mail_server, step, answer)
    assert await deliver(bot) == 1
    [row] = await addresses(bot)
    assert row.status == BOUNCED and row.reason and ALICE not in row.reason
    assert [entry.status for entry in await outbox_rows(bot, EMAIL_KIND)] == [BLOCKED]
    setattr(mail_server, step, None)
    assert await publish(bot, "Conseil", "Ordre du jour.", topics=["conseil municipal"]) == 0
    assert await deliver(bot) == 0 and mail_server.received == []
    reply = await ChatTester(bot, "alice").say("mon abonnement par mail")
    assert "refusée" in reply.text and "a•••@exemple.fr" in reply.text
    settings = await ChatTester(bot, "alice").say("/abonnements")  # the resident's settings
    assert "Par e-mail : a•••@exemple.fr, refusée" in settings.text


async def test_a_refusal_that_comes_after_the_resident_gave_another_address_leaves_the_new_one_alone(
        bot: CivicBot, mail_server: MailServer) -> None:
    """The old address is refused while its e-mail is on the wire; meanwhile the resident typed a
    new one: the new address waits for its own confirmation, it is not marked refused."""
    await subscribe(bot, "alice", ALICE)
    mail_server.rcpt_answer = "550 5.1.1 <alice.martin@exemple.fr>: Recipient address rejected"
    mail_server.hold = threading.Event()
    sending = asyncio.create_task(drain(bot, (EMAIL_KIND,), rounds=1))  # the old address's e-mail only
    await asyncio.to_thread(mail_server.at_rcpt.wait, 30)
    reply = await ChatTester(bot, "alice").say("mon mail est alice.nouvelle@exemple.fr")
    assert "a•••@exemple.fr" in reply.text
    mail_server.hold.set()
    await sending
    assert [(row.address, row.status, row.reason) for row in await addresses(bot)] == [
        ("alice.nouvelle@exemple.fr", PENDING, None)]


async def test_a_busy_server_451_is_tried_again_and_nothing_is_lost(bot: CivicBot, mail_server: MailServer) -> None:
    await subscribe(bot, "alice", ALICE)
    mail_server.rcpt_answer = "451 4.7.1 Greylisted, try again later"
    for _ in range(3):
        await deliver(bot)
        await let_time_pass(bot)
    [entry] = await outbox_rows(bot, EMAIL_KIND)
    assert entry.status == "pending" and entry.attempts == 3 and "451" in (entry.last_error or "")
    assert [row.status for row in await addresses(bot)] == [PENDING]
    mail_server.rcpt_answer = None
    await let_time_pass(bot)
    assert await deliver(bot) == 1
    assert len(mail_server.messages_to(ALICE)) == 1


async def test_a_server_that_is_down_loses_nothing(bot: CivicBot, mail_server: MailServer) -> None:
    await subscribe(bot, "alice", ALICE)
    mail_server.stop()  # connection refused
    for _ in range(15):  # more than delivery_max_attempts: an unreachable server is never given up
        await deliver(bot)
        await let_time_pass(bot)
    [entry] = await outbox_rows(bot, EMAIL_KIND)
    assert entry.status == "pending" and entry.attempts == 15
    mail_server.start()
    await let_time_pass(bot)
    assert await deliver(bot) == 1
    assert len(mail_server.messages_to(ALICE)) == 1


async def test_no_address_reaches_the_logs_of_a_whole_cycle(bot: CivicBot, mail_server: MailServer, site: None,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await subscribe(bot, "alice", ALICE)
    await deliver(bot)
    async with aiohttp.ClientSession() as http:
        async with http.post(link(mail_server.messages_to(ALICE)[0], "/email/confirm")) as response:
            assert response.status == 200
        await publish(bot, "Conseil", "Ordre du jour.", topics=["conseil municipal"])
        await deliver(bot)
        logging.getLogger("civicbot.test").warning("a library quoting %s", ALICE)  # whoever logs it
        async with http.post(link(mail_server.messages_to(ALICE)[-1], "/email/unsubscribe")) as response:
            assert response.status == 200
    assert len(caplog.records) > 5
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert ALICE not in text and "alice.martin" not in text, text


async def test_sent_emails_are_purged_after_the_retention_and_the_counts_kept(bot: CivicBot,
                                                                               mail_server: MailServer) -> None:
    await subscribe(bot, "alice", ALICE)
    await deliver(bot)
    await confirm(bot, link(mail_server.messages_to(ALICE)[0], "/email/confirm"))
    assert await publish(bot, "Conseil", "Ordre du jour.", topics=["conseil municipal"]) == 1
    await deliver(bot)
    days = bot.settings.delivery_retention_days
    async with bot.sessions() as session:
        await session.execute(update(OutboxEntry).values(created_at=utcnow() - timedelta(days=days + 1)))
        await session.execute(update(Publication).values(created_at=utcnow() - timedelta(days=days + 1)))
        assert await purge_delivered(session, days) == 2  # the confirmation and the publication
        await session.commit()
        [publication] = (await session.execute(select(Publication))).scalars()
    assert await outbox_rows(bot, EMAIL_KIND) == []
    assert publication.final_counts is not None and publication.final_counts[SENT] == 1


async def test_the_rate_holds_only_the_exchange_in_which_the_server_takes_the_message(
        bot: CivicBot, mail_server: MailServer) -> None:
    """The server counts a message when it answers DATA: ``email_rate``'s turn holds that one
    exchange. Connecting, the greeting, the envelope and QUIT are round trips of their own: held
    in the turn, they lengthened every window of the rate."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = bot.settings.email_from, ALICE, "Conseil municipal"
    message.set_content("Les délibérations adoptées.")
    seen: list[tuple[str, int]] = []

    @contextlib.asynccontextmanager
    async def turn() -> AsyncIterator[None]:
        seen.append(("turn", len(mail_server.received)))
        yield
        seen.append(("sent", len(mail_server.received)))

    await smtp.send(bot.settings, message, turn)
    assert seen == [("turn", 0), ("sent", 1)]
    assert mail_server.messages_to(ALICE)[0]["Subject"] == "Conseil municipal"
    seen.clear()
    mail_server.rcpt_answer = "550 5.1.1 No such user"
    with pytest.raises(smtp.Refused):
        await smtp.send(bot.settings, message, turn)
    assert seen == []  # a refused address spends no turn
