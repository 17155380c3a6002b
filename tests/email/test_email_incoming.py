"""Mail that comes back to the sender's address (``civicbot email incoming``): bounces written
as Postfix and Exim write them, unsubscribes sent from the List-Unsubscribe ``mailto:``, and
anything else, which gets a clear exit status and never a trace."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import CivicBot
from bot.config import Settings
from bot.email import incoming
from bot.email.models import ACTIVE, BOUNCED, PENDING
from bot.email.store import EMAIL_KIND
from bot.testing import ChatTester
from tests.support.contributions import drain
from tests.support.email import addresses, confirm, link, publish
from tests.support.smtp import MailServer

ALICE = "alice.martin@exemple.fr"
BOB = "bob.durand@exemple.fr"
SENDER = "civicbot@nantes.example"


@pytest.fixture
def settings(settings: Settings, mail_server: MailServer) -> Settings:
    mail_server.configure(settings)
    return settings


async def subscribed(bot: CivicBot, mail_server: MailServer, resident: str, address: str) -> EmailMessage:
    """The resident subscribes ``address``, confirms it, and receives a council summary: that
    e-mail, as it left."""
    tester = ChatTester(bot, resident)
    await tester.say("je veux recevoir les comptes rendus du conseil par mail")
    await tester.say(address)
    await drain(bot, (EMAIL_KIND,))
    assert await confirm(bot, link(mail_server.messages_to(address)[-1], "/email/confirm")) == "confirmed"
    await publish(bot, "Conseil municipal du 12 décembre", "Ordre du jour : budget.", topics=["conseil municipal"])
    await drain(bot, (EMAIL_KIND,))
    return mail_server.messages_to(address)[-1]


def raw_of(mail_server: MailServer, message: EmailMessage) -> str:
    """The e-mail as the relay received it, byte for byte (a DSN returns it so)."""
    return mail_server.raw[[sent for _, sent in mail_server.received].index(message)].decode()


def headers_of(raw: str) -> str:
    return raw.split("\r\n\r\n", 1)[0].replace("\r\n", "\n") + "\n"


def postfix_dsn(recipient: str, returned: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    """A bounce as Postfix writes it (bounce(8) templates), returning the whole message."""
    if action == "failed":
        subject, said = "Undelivered Mail Returned to Sender", "could not\nbe delivered to one or more recipients"
    else:
        subject, said = "Delayed Mail (still being retried)", "has not yet\nbeen delivered to one or more recipients"
    return f"""Return-Path: <>
Received: by mail.nantes.example (Postfix)
\tid 4A1B2C3D4E; Sun,  6 Dec 2026 20:30:02 +0000 (UTC)
Date: Sun,  6 Dec 2026 20:30:02 +0000 (UTC)
From: MAILER-DAEMON@mail.nantes.example (Mail Delivery System)
Subject: {subject}
To: {SENDER}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4A1B2C3D4E.1796589002/mail.nantes.example"
Content-Transfer-Encoding: 8bit
Message-Id: <20261206203002.5F6A7B8C9D@mail.nantes.example>

This is a MIME-encapsulated message.

--4A1B2C3D4E.1796589002/mail.nantes.example
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mail.nantes.example.

I'm sorry to have to inform you that your message {said}. It's attached below.

<{recipient}>: host mx.exemple.fr[203.0.113.25] said: 550 5.1.1
    <{recipient}>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--4A1B2C3D4E.1796589002/mail.nantes.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.nantes.example
X-Postfix-Queue-ID: 4A1B2C3D4E
X-Postfix-Sender: rfc822; {SENDER}
Arrival-Date: Sun,  6 Dec 2026 20:29:58 +0000 (UTC)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.exemple.fr
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected:
    User unknown in virtual mailbox table

--4A1B2C3D4E.1796589002/mail.nantes.example
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

{returned.replace(chr(13), "")}
--4A1B2C3D4E.1796589002/mail.nantes.example--
""".encode()


def exim_dsn(recipient: str, returned_headers: str, action: str = "failed", status: str = "5.0.0") -> bytes:
    """A bounce as Exim writes it (or its delay warning), returning the headers only
    (``bounce_return_body = false``)."""
    subject = ("Mail delivery failed: returning message to sender" if action == "failed"
               else "Warning: message 1tJx0a-0001Ab-2C delayed 24 hours")
    return f"""Return-path: <>
Envelope-to: {SENDER}
Received: from Debian-exim by mx.nantes.example with local (Exim 4.97)
\tid 1tJx0b-0001Ac-3D
\tfor {SENDER}; Sun, 06 Dec 2026 20:30:02 +0000
X-Failed-Recipients: {recipient}
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mx.nantes.example>
To: {SENDER}
Content-Type: multipart/report; report-type=delivery-status; boundary=1796589002-eximdsn-1804289383
MIME-Version: 1.0
Subject: {subject}
Message-Id: <E1tJx0b-0001Ac-3D@mx.nantes.example>
Date: Sun, 06 Dec 2026 20:30:02 +0000

--1796589002-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    host mx.exemple.fr [203.0.113.25]
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    550 5.1.1 User unknown

--1796589002-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; mx.nantes.example

Action: {action}
Final-Recipient: rfc822;{recipient}
Status: {status}
Remote-MTA: dns; mx.exemple.fr
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--1796589002-eximdsn-1804289383
Content-type: text/rfc822-headers

{returned_headers}
--1796589002-eximdsn-1804289383--
""".encode()


def mailto_unsubscribe(message: EmailMessage, sender: str = ALICE) -> bytes:
    """What a mail client sends when the resident picks the List-Unsubscribe ``mailto:``."""
    mailto = [part.strip(" <>") for part in str(message["List-Unsubscribe"]).split(",")][1]
    url = urlsplit(mailto)
    assert url.scheme == "mailto" and url.path == SENDER
    subject = parse_qs(url.query)["subject"][0]
    return (f"From: Alice Martin <{sender}>\r\nTo: {url.path}\r\nSubject: {subject}\r\n"
            f"Date: Sun, 06 Dec 2026 21:02:11 +0100\r\nMessage-ID: <a1b2@exemple.fr>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"This message was automatically generated by Gmail.\r\n").encode()


async def receive(bot: CivicBot, raw: bytes) -> incoming.Outcome:
    return await incoming.receive(bot.sessions, bot.settings, raw)


async def status_of(bot: CivicBot, address: str) -> str | None:
    return next((row.status for row in await addresses(bot) if row.address == address), None)


async def test_a_postfix_bounce_stops_the_address_like_a_refusal_at_rcpt(bot: CivicBot,
                                                                         mail_server: MailServer) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    outcome = await receive(bot, postfix_dsn(ALICE, raw_of(mail_server, sent)))
    assert outcome == incoming.BOUNCED and outcome.exit_status == 0
    [row] = await addresses(bot)
    assert row.status == BOUNCED and row.reason and ALICE not in row.reason and "5.1.1" in row.reason
    assert await publish(bot, "Conseil suivant", "Ordre du jour.", topics=["conseil municipal"]) == 0
    reply = await ChatTester(bot, "alice").say("mon abonnement par mail")
    assert "refusée" in reply.text
    # the same bounce twice (a mail server may hand it over again) changes nothing more
    assert await receive(bot, postfix_dsn(ALICE, raw_of(mail_server, sent))) == incoming.BOUNCED


async def test_an_exim_bounce_with_the_headers_only_stops_the_address(bot: CivicBot, mail_server: MailServer) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    await subscribed(bot, mail_server, "bob", BOB)
    dsn = exim_dsn(ALICE, headers_of(raw_of(mail_server, sent)))
    assert await receive(bot, dsn) == incoming.BOUNCED
    assert await status_of(bot, ALICE) == BOUNCED
    assert await status_of(bot, BOB) == ACTIVE  # nobody else


@pytest.mark.parametrize(("write", "action", "status"), [
    ("postfix", "delayed", "4.4.1"),  # "Delayed Mail (still being retried)"
    ("exim", "delayed", "4.0.0"),  # Exim's delay warning
    ("postfix", "failed", "4.4.7"),  # given up after the queue lifetime: not the address's fault
])
async def test_a_delay_or_a_temporary_failure_changes_nothing(bot: CivicBot, mail_server: MailServer,
                                                              write: str, action: str, status: str) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    raw = raw_of(mail_server, sent)
    dsn = (postfix_dsn(ALICE, raw, action, status) if write == "postfix"
           else exim_dsn(ALICE, headers_of(raw), action, status))
    outcome = await receive(bot, dsn)
    assert outcome == incoming.DELAYED and outcome.exit_status == 0
    assert await status_of(bot, ALICE) == ACTIVE


async def test_a_late_bounce_of_a_replaced_address_leaves_the_new_one_alone(bot: CivicBot,
                                                                            mail_server: MailServer) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    await ChatTester(bot, "alice").say("mon mail est alice.nouvelle@exemple.fr")
    outcome = await receive(bot, postfix_dsn(ALICE, raw_of(mail_server, sent)))
    assert outcome == incoming.UNKNOWN_RECIPIENT and outcome.exit_status == 67
    assert [(row.address, row.status) for row in await addresses(bot)] == [("alice.nouvelle@exemple.fr", PENDING)]


async def test_a_forged_bounce_cannot_stop_someone_else(bot: CivicBot, mail_server: MailServer) -> None:
    """Mallory subscribes herself, then sends a bounce for Bob with her own e-mail's headers,
    or with an altered token: Bob keeps receiving."""
    await subscribed(bot, mail_server, "bob", BOB)
    mallory = await subscribed(bot, mail_server, "mallory", "mallory@exemple.fr")
    raw = raw_of(mail_server, mallory)
    assert await receive(bot, postfix_dsn(BOB, raw)) == incoming.UNKNOWN_RECIPIENT
    altered = raw.replace("?t=", "?t=x", 1).replace("subject=unsubscribe%20", "subject=unsubscribe%20x", 1)
    outcome = await receive(bot, postfix_dsn(BOB, altered))
    assert outcome == incoming.BAD_TOKEN and outcome.exit_status == 77
    without_headers = postfix_dsn(BOB, "From: civicbot@nantes.example\nSubject: Conseil\n\nrien\n")
    assert await receive(bot, without_headers) == incoming.UNKNOWN_RECIPIENT
    assert await status_of(bot, BOB) == ACTIVE and await status_of(bot, "mallory@exemple.fr") == ACTIVE


async def test_the_mailto_unsubscribe_ends_the_subscription_its_token_names(bot: CivicBot,
                                                                            mail_server: MailServer) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    await subscribed(bot, mail_server, "bob", BOB)
    outcome = await receive(bot, mailto_unsubscribe(sent))
    assert outcome == incoming.UNSUBSCRIBED and outcome.exit_status == 0
    assert await status_of(bot, ALICE) is None  # erased
    assert await status_of(bot, BOB) == ACTIVE
    assert await receive(bot, mailto_unsubscribe(sent)) == incoming.ALREADY_UNSUBSCRIBED
    assert await publish(bot, "Conseil suivant", "Ordre du jour.", topics=["conseil municipal"]) == 1  # Bob only


async def test_the_from_header_alone_or_a_wrong_token_unsubscribes_no_one(bot: CivicBot,
                                                                          mail_server: MailServer) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    plain = (f"From: {ALICE}\r\nTo: {SENDER}\r\nSubject: unsubscribe\r\n\r\ndesabonnez moi svp\r\n").encode()
    outcome = await receive(bot, plain)
    assert outcome == incoming.NOT_UNDERSTOOD and outcome.exit_status == 65
    genuine = mailto_unsubscribe(sent).decode()
    subject = genuine.split("Subject: ", 1)[1].split("\r\n", 1)[0]
    tampered = genuine.replace(subject, subject[:-3] + ("AAA" if not subject.endswith("AAA") else "BBB"))
    outcome = await receive(bot, tampered.encode())
    assert outcome == incoming.BAD_TOKEN and outcome.exit_status == 77
    await ChatTester(bot, "alice").say("mon mail est alice.nouvelle@exemple.fr")  # the old links stop
    assert await receive(bot, genuine.encode()) == incoming.BAD_TOKEN
    assert await status_of(bot, "alice.nouvelle@exemple.fr") == PENDING


SPAM = (b"From: \"Lucky Winner\" <promo@spam.example>\r\nTo: civicbot@nantes.example\r\n"
        b"Subject: =?utf-8?b?Vm91cyBhdmV6IGdhZ27DqSAh?=\r\nContent-Type: text/html\r\n\r\n<a href=x>clic</a>\r\n")


@pytest.mark.parametrize(("raw", "expected"), [
    (b"", incoming.EMPTY),
    (b"\r\n \n", incoming.EMPTY),
    (SPAM, incoming.NOT_UNDERSTOOD),
    (bytes(range(256)) * 40, incoming.NOT_UNDERSTOOD),
    (b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n"
     b"Content-Type: message/delivery-status\r\n\r\n\x00\xff::\r\n--x", incoming.NOT_UNDERSTOOD),
    (b"Content-Type: multipart/report; report-type=delivery-status\r\n\r\nno boundary at all", incoming.NOT_UNDERSTOOD),
    (b"Subject: " + b"=?utf-8?q?" + b"=FF" * 5000 + b"?=\r\n\r\n", incoming.NOT_UNDERSTOOD),
    (b"X" * (incoming.MAX_BYTES + 1), incoming.TOO_LARGE),
])
async def test_anything_else_gets_a_clear_status_and_no_trace(bot: CivicBot, raw: bytes, expected: incoming.Outcome,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        outcome = await receive(bot, raw)
    assert outcome == expected and outcome.exit_status == 65
    assert f"email incoming: {expected.name}" in caplog.text and "Traceback" not in caplog.text


async def test_no_address_reaches_the_logs(bot: CivicBot, mail_server: MailServer,
                                           caplog: pytest.LogCaptureFixture) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    with caplog.at_level(logging.DEBUG):
        await receive(bot, exim_dsn(ALICE, headers_of(raw_of(mail_server, sent)), "delayed", "4.0.0"))
        await receive(bot, mailto_unsubscribe(sent))
        await receive(bot, postfix_dsn(BOB, raw_of(mail_server, sent)))
    assert caplog.text and "@exemple.fr" not in caplog.text and "alice" not in caplog.text.lower()


@pytest.mark.subprocess
async def test_the_command_reads_the_pipe_as_postfix_hands_it_over(bot: CivicBot, settings: Settings,
                                                                   mail_server: MailServer) -> None:
    sent = await subscribed(bot, mail_server, "alice", ALICE)
    environ = {**os.environ, "CIVICBOT_DATA_DIR": str(settings.data_dir), "CIVICBOT_SECRET": settings.secret,
               "CIVICBOT_DATABASE_URL": settings.effective_database_url}

    async def pipe(raw: bytes) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "email", "incoming", env=environ, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(process.communicate(raw), 120)
        assert process.returncode is not None
        return process.returncode, err.decode()

    code, err = await pipe(b"")
    assert code == 65 and "email incoming: empty" in err and "Traceback" not in err
    code, err = await pipe(b"X" * (3 * incoming.MAX_BYTES))  # read to its end, then refused
    assert code == 65 and "too_large" in err
    code, err = await pipe(postfix_dsn(ALICE, raw_of(mail_server, sent)))
    assert code == 0 and "email incoming: bounced" in err and "@" not in err, err
    assert await status_of(bot, ALICE) == BOUNCED
    environ["CIVICBOT_DATABASE_URL"] = "postgresql+asyncpg://nobody@127.0.0.1:9/none"
    code, err = await pipe(mailto_unsubscribe(sent))
    assert code == 75 and "database cannot be reached" in err and "Traceback" not in err, err
