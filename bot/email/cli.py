"""``civicbot email incoming``: the mail that comes back to the sender's address, handed over
by the city's mail server through a pipe (bounces and unsubscribes, :mod:`bot.email.incoming`)."""
from __future__ import annotations

import asyncio
import logging
import sys
from typing import BinaryIO

import click
from sqlalchemy.exc import SQLAlchemyError

from bot import db
from bot.config import Settings
from bot.email import incoming
from bot.email.delivery import ADDRESS_PATTERN
from bot.redact import hide_matches

log = logging.getLogger(__name__)
CHUNK = 65536


@click.group("email")
def email() -> None:
    """Publications by e-mail."""


@email.command("incoming")
@click.pass_obj
def incoming_mail(settings: Settings) -> None:
    """Read one e-mail (RFC 5322) on standard input, as a mail server's pipe delivers it to the
    sender's address, and act on it: a bounce (DSN) that refuses an address for good stops it;
    an unsubscribe sent from the List-Unsubscribe mailto ends the subscription its signed token
    names. Exit status (sysexits.h): 0 done or nothing to do, 65 not understood (empty,
    too large, neither), 67 a bounce for no address kept, 75 database unreachable (the mail
    server tries again), 77 a forged, expired or replaced token.
    """
    hide_matches(ADDRESS_PATTERN)
    raw = _read(sys.stdin.buffer, incoming.MAX_BYTES + 1)
    try:
        outcome = asyncio.run(_receive(settings, raw))
    except (SQLAlchemyError, OSError) as error:
        log.warning("email incoming: the database cannot be reached (%s); exit status %d",
                    type(error).__name__, incoming.EX_TEMPFAIL)
        outcome = incoming.DATABASE_AWAY
    click.get_current_context().exit(outcome.exit_status)


async def _receive(settings: Settings, raw: bytes) -> incoming.Outcome:
    """Only the database, not the whole bot: a mail server may run this for every mail."""
    engine = db.create_engine(settings.effective_database_url)
    try:
        return await incoming.receive(db.session_factory(engine), settings, raw)
    finally:
        await engine.dispose()


def _read(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit`` bytes; the rest is read and dropped, so that the mail server's pipe
    is never left blocked."""
    chunks, size = [], 0
    while chunk := stream.read(CHUNK):
        if size < limit:
            chunks.append(chunk[:limit - size])
        size += len(chunk)
    return b"".join(chunks)
