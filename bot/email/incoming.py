"""Mail that arrives at the sender's address, handed over by the city's mail server through a
pipe (``civicbot email incoming``, see docs/operate/email.md):

- a delivery status notification (RFC 3464, ``multipart/report; report-type=delivery-status``)
  that says the address failed for good (``Action: failed``, status 5.x.x): the address is
  refused, as when its server refuses it during the SMTP dialogue. A delay or a temporary
  failure (4.x.x) changes nothing. The resident is found by the signed token in the
  List-Unsubscribe header of the returned message, and only if the failed address is still
  theirs: a forged bounce cannot stop someone else's e-mails;
- an unsubscribe sent from the ``mailto:`` of List-Unsubscribe: its subject carries the signed
  token of the unsubscribe link, and that token (never the From header, which anyone can
  write) says whose address is unsubscribed.

Anything else gets its own exit status (sysexits.h: a mail server retries on 75 and returns
the mail on the others) and a log line that names no one.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.email import store
from bot.email.links import TOKEN_PATTERN, UNSUBSCRIBE, BadLink, Links, LinkTarget
from bot.email.models import STOPPED

Sessions = async_sessionmaker[AsyncSession]

log = logging.getLogger(__name__)

MAX_BYTES = 1_000_000  # a bounce returns our e-mail (a few kB) or its headers only
EX_OK, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL, EX_NOPERM = 0, 65, 67, 75, 77
_PERMANENT = re.compile(r"5\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True)
class Outcome:
    name: str
    exit_status: int


UNSUBSCRIBED = Outcome("unsubscribed", EX_OK)
ALREADY_UNSUBSCRIBED = Outcome("already_unsubscribed", EX_OK)
BOUNCED = Outcome("bounced", EX_OK)
DELAYED = Outcome("delayed", EX_OK)  # a delay or a temporary failure: nothing to do
EMPTY = Outcome("empty", EX_DATAERR)
TOO_LARGE = Outcome("too_large", EX_DATAERR)
NOT_UNDERSTOOD = Outcome("not_understood", EX_DATAERR)  # neither a bounce nor an unsubscribe
BAD_TOKEN = Outcome("bad_token", EX_NOPERM)  # forged, expired, or of an address since replaced
UNKNOWN_RECIPIENT = Outcome("unknown_recipient", EX_NOUSER)  # a bounce for no address we keep
DATABASE_AWAY = Outcome("database_away", EX_TEMPFAIL)


@dataclass(frozen=True)
class Failure:
    """One recipient block of a DSN."""

    recipient: str  # casefolded
    status: str  # "5.1.1"
    permanent: bool


@dataclass(frozen=True)
class Report:
    """A DSN: its recipients' blocks and the tokens of the message it returns."""

    failures: list[Failure]
    tokens: list[str]


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage objects
    return message


def _recipient(value: object) -> str:
    """"rfc822; Alice@Example.org" -> "alice@example.org"."""
    return str(value or "").rpartition(";")[2].strip().strip("<>").casefold()


def _failure(block: Message) -> Failure | None:
    recipient = _recipient(block.get("Final-Recipient") or block.get("Original-Recipient"))
    if not recipient:
        return None
    status = (str(block.get("Status", "")).split() or [""])[0]
    action = str(block.get("Action", "")).strip().casefold()
    return Failure(recipient, status, action == "failed" and _PERMANENT.fullmatch(status) is not None)


def _returned_headers(part: Message) -> Message | None:
    """The headers of the returned message: a message/rfc822 part, or text/rfc822-headers."""
    if part.get_content_type() == "message/rfc822":
        returned = part.get_payload(0)
        return returned if isinstance(returned, Message) else None
    if part.get_content_type() == "text/rfc822-headers":
        text = part.get_payload(decode=True)
        if isinstance(text, bytes):
            return HeaderParser(policy=policy.default).parsestr(text.decode("utf-8", "replace"))
    return None


def report_of(message: EmailMessage) -> Report | None:
    """The DSN's failures and tokens, or None when the message is not a DSN."""
    if (message.get_content_type() != "multipart/report"
            or str(message.get_param("report-type", "")).casefold() != "delivery-status"):
        return None
    failures: list[Failure] = []
    tokens: list[str] = []
    for part in message.iter_parts():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            # the first block is about the message, the others about one recipient each
            blocks = blocks[1:] if isinstance(blocks, list) else []
            found = (_failure(block) for block in blocks if isinstance(block, Message))
            failures += [failure for failure in found if failure is not None]
        headers = _returned_headers(part)
        if headers is not None:
            tokens += TOKEN_PATTERN.findall(str(headers.get("List-Unsubscribe", "")))
    return Report(failures, tokens)


def unsubscribe_tokens(message: EmailMessage) -> list[str]:
    """The tokens in the subject of a mail sent from the List-Unsubscribe ``mailto:``."""
    return TOKEN_PATTERN.findall(str(message.get("Subject", "")))


def _target(links: Links, tokens: list[str]) -> LinkTarget | None:
    """Whom the first valid token names; None when none is valid."""
    for token in tokens:
        try:
            return links.read(UNSUBSCRIBE, token)
        except BadLink:
            continue
    return None


async def _bounce(sessions: Sessions, links: Links, report: Report) -> Outcome:
    permanent = {failure.recipient: failure.status for failure in report.failures if failure.permanent}
    if not permanent:
        return DELAYED if report.failures else NOT_UNDERSTOOD
    target = _target(links, report.tokens)
    if target is None:
        return BAD_TOKEN if report.tokens else UNKNOWN_RECIPIENT
    async with sessions() as session:
        row = await store.address_for(session, target)
        status = permanent.get(row.address.casefold()) if row is not None and row.status != STOPPED else None
        if row is None or status is None:
            return UNKNOWN_RECIPIENT
        await store.bounced(session, row.user_id, row.address, f"DSN {status} (a bounce by mail)")
        await session.commit()
    return BOUNCED


async def _unsubscribe(sessions: Sessions, links: Links, tokens: list[str]) -> Outcome:
    target = _target(links, tokens)
    if target is None:
        return BAD_TOKEN
    async with sessions() as session:
        outcome = await store.unsubscribe(session, target)
        await session.commit()
    return {"unsubscribed": UNSUBSCRIBED, "already_unsubscribed": ALREADY_UNSUBSCRIBED}.get(outcome or "", BAD_TOKEN)


async def receive(sessions: Sessions, settings: Settings, raw: bytes) -> Outcome:
    """Act on one mail (the whole message as it came, headers and body) and say what it was.
    The database is opened only for a bounce or an unsubscribe."""
    if not raw.strip():
        outcome = EMPTY
    elif len(raw) > MAX_BYTES:
        outcome = TOO_LARGE
    else:
        try:
            message = parse(raw)
            report, tokens = report_of(message), unsubscribe_tokens(message)
        except Exception as error:  # noqa: BLE001 - whatever a hostile message breaks in the parser
            log.warning("email incoming: unreadable message (%s)", type(error).__name__)
            report, tokens = None, []
        if report is not None:
            outcome = await _bounce(sessions, Links(settings), report)
        elif tokens:
            outcome = await _unsubscribe(sessions, Links(settings), tokens)
        else:
            outcome = NOT_UNDERSTOOD
    log.log(logging.INFO if outcome.exit_status == EX_OK else logging.WARNING,
            "email incoming: %s (exit status %d)", outcome.name, outcome.exit_status)
    return outcome
