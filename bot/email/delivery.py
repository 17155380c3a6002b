"""The outbox handler of ``email`` rows: compose, wait for a turn at ``email_rate``, send.

A refused address stops receiving (like a blocked chat); a temporary failure is tried again
with the outbox's back-off, without limit while the mail server cannot be reached, at most
``delivery_max_attempts`` times when it answers "try later" (4xx).
"""
from __future__ import annotations

import logging
import re
from email.message import EmailMessage
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.email import compose, smtp, store
from bot.email.links import CONFIRM, SETTINGS, UNSUBSCRIBE, Links
from bot.email.models import ACTIVE, PENDING, EmailAddress
from bot.limits import RateGate
from bot.outbox import BLOCKED, FAILED, OutboxEntry, PermanentFailure, RetryLater
from bot.publications.models import Publication
from bot.redact import hide_in_logs, hide_matches

if TYPE_CHECKING:
    from bot.app import CivicBot

log = logging.getLogger(__name__)
# Whatever logs it (a library, an error message), an address never reaches a log line.
ADDRESS_PATTERN = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


async def setup(bot: CivicBot) -> None:
    """Startup hook: hide addresses and the SMTP password from logs; send e-mail when configured
    (the bot's handler of ``email`` rows, with one mailer for the bot's life)."""
    hide_matches(ADDRESS_PATTERN)
    hide_in_logs(bot.settings.smtp_password)
    if bot.settings.smtp_host:
        bot.outbox_handlers[store.EMAIL_KIND] = partial(deliver, Mailer(bot))


async def queue_publication(bot: CivicBot, session: AsyncSession, publication: Publication) -> int:
    """The e-mail feature's audience: confirmed addresses the publication concerns, when the
    city sends e-mail (an SMTP server is set)."""
    return await store.enqueue_publication(session, publication) if bot.settings.smtp_host else 0


class Mailer:
    """What sending needs, made once: the links' signer and the pace of sending."""

    def __init__(self, bot: CivicBot) -> None:
        self.bot = bot
        self.links = Links(bot.settings)
        self.gate = RateGate(bot.settings.email_rate)

    def footer(self, row: EmailAddress) -> compose.Footer:
        return compose.Footer(self.links.url(UNSUBSCRIBE, row.user_id, row.nonce),
                              self.links.url(SETTINGS, row.user_id, row.nonce),
                              self.links.mailto(compose.sender_address(self.bot.settings), row.user_id, row.nonce))

    async def message(self, entry: OutboxEntry) -> EmailMessage:
        """The e-mail of an outbox row, or PermanentFailure when there is nothing to send."""
        payload = entry.payload if isinstance(entry.payload, dict) else {}
        bot = self.bot
        async with bot.sessions() as session:
            row = await store.address_of(session, entry.user_id) if entry.user_id else None
            if payload.get("message") == store.CONFIRM:
                if row is None or row.status != PENDING or row.nonce != payload.get("nonce"):
                    raise PermanentFailure("the address no longer waits for this confirmation")
                choices = await store.choices_of(session, row.user_id)
                what = ", ".join(store.label(choice) for choice in choices)
                letter = compose.confirmation(bot.catalog, bot.settings, row.language, what,
                                              self.links.url(CONFIRM, row.user_id, row.nonce))
            elif payload.get("message") == store.PUBLICATION:
                publication = await session.get(Publication, payload.get("publication") or 0)
                if publication is None:
                    raise PermanentFailure("the publication does not exist")
                if row is None or row.status != ACTIVE:
                    raise PermanentFailure("the address no longer receives")
                letter = compose.publication_letter(publication, row.language, bot.catalog, bot.settings)
            else:
                raise PermanentFailure(f"unknown e-mail row {payload.get('message')!r}")
        return compose.build(bot.settings, bot.catalog, row.address, letter, self.footer(row))


async def deliver(mailer: Mailer, entry: OutboxEntry) -> None:
    message = await mailer.message(entry)
    try:
        await smtp.send(mailer.bot.settings, message, partial(mailer.gate.held, str(entry.user_id), entry.priority))
    except smtp.Refused as refused:
        async with mailer.bot.sessions() as session:
            assert entry.user_id is not None  # message() found the resident's address
            await store.bounced(session, entry.user_id, str(message["To"]), str(refused))
            await session.commit()
        log.info("an e-mail address was refused for good (%s): it receives nothing more", refused)
        raise PermanentFailure(str(refused), BLOCKED) from None
    except smtp.Temporary as error:
        if error.answered and entry.attempts + 1 >= mailer.bot.settings.delivery_max_attempts:
            raise PermanentFailure(f"gave up after {entry.attempts + 1} attempts: {error}", FAILED) from None
        raise RetryLater(str(error)) from None
