"""Addresses and their outbox rows (the caller's transaction commits).

An outbox row of kind ``email`` names the resident (``user_id``), never the address: it is read
when the e-mail is sent, so an address stopped or erased meanwhile receives nothing.
Payloads: ``{"message": "confirm", "nonce"}`` or ``{"message": "publication", "publication"}``.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import JSON, DateTime, Integer, String, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.db import affected_rows, utcnow
from bot.email.links import LinkTarget
from bot.email.models import ACTIVE, BOUNCED, PENDING, STOPPED, ConfirmationSent, EmailAddress, EmailChoice
from bot.messages import PRIORITY_REPLY
from bot.outbox import PRIORITY_BROADCAST, OutboxEntry
from bot.publications.models import Publication
from bot.subscriptions.models import FollowedThing
from bot.subscriptions.targeting import matching

EMAIL_KIND = "email"
CONFIRM, PUBLICATION = "confirm", "publication"
# Confirmation e-mails a day, for one address (whoever asks) and for one resident (whatever
# the addresses): enough for typos and a lost e-mail, too few to flood a mailbox.
CONFIRMATIONS_PER_DAY = 3


class TooManyConfirmations(Exception):
    """The address or the resident had their confirmation e-mails for the day; nothing changed."""


async def address_of(session: AsyncSession, user_id: int) -> EmailAddress | None:
    return await session.get(EmailAddress, user_id)


async def choices_of(session: AsyncSession, user_id: int) -> list[EmailChoice]:
    query = select(EmailChoice).where(EmailChoice.user_id == user_id).order_by(EmailChoice.id)
    return list((await session.execute(query)).scalars())


def label(choice: FollowedThing) -> str:
    """"travaux (Malakoff)", "Malakoff", "Johanna Rolland"."""
    return f"{choice.label} ({choice.area_label})" if choice.area_label else choice.label


async def register(session: AsyncSession, user_id: int, address: str, address_key: str,
                   language: str) -> EmailAddress:
    """Keep ``address`` for the resident; unless it already receives, it waits for its
    confirmation, and the e-mail asking for it is queued (older links stop working).
    ``address_key`` is the address's keyed hash, which counts its confirmations; over
    :data:`CONFIRMATIONS_PER_DAY`, TooManyConfirmations and nothing changes."""
    row = await address_of(session, user_id)
    if row is not None and row.address == address and (row.status == ACTIVE or await _confirmation_waits(session, row)):
        row.language = language
        return row
    await _count_confirmation(session, user_id, address_key)
    if row is None:
        row = EmailAddress(user_id=user_id)
        session.add(row)
    row.address, row.language, row.status, row.nonce = address, language, PENDING, secrets.token_hex(16)
    row.created_at, row.confirmed_at, row.stopped_at, row.reason = utcnow(), None, None, None
    await cancel_pending(session, user_id)
    outbox.enqueue(session, EMAIL_KIND, {"message": CONFIRM, "nonce": row.nonce},
                   priority=PRIORITY_REPLY, user_id=user_id)
    return row


async def _count_confirmation(session: AsyncSession, user_id: int, address_key: str) -> None:
    """Count one more confirmation e-mail, or TooManyConfirmations when the address or the
    resident had theirs in the last day (older counts are deleted on the way)."""
    since = utcnow() - timedelta(days=1)
    await session.execute(delete(ConfirmationSent).where(ConfirmationSent.sent_at < since))
    for column, value in ((ConfirmationSent.address_key, address_key), (ConfirmationSent.user_id, user_id)):
        sent = await session.scalar(select(func.count()).select_from(ConfirmationSent).where(column == value))
        if (sent or 0) >= CONFIRMATIONS_PER_DAY:
            raise TooManyConfirmations()
    session.add(ConfirmationSent(user_id=user_id, address_key=address_key))


async def _confirmation_waits(session: AsyncSession, row: EmailAddress) -> bool:
    """Whether the address waits for its confirmation and the e-mail asking it is still to go."""
    if row.status != PENDING:
        return False
    waiting = await session.execute(
        select(OutboxEntry.id).where(OutboxEntry.user_id == row.user_id, OutboxEntry.kind == EMAIL_KIND,
                                     OutboxEntry.status == outbox.PENDING).limit(1))
    return waiting.first() is not None


async def address_for(session: AsyncSession, target: LinkTarget) -> EmailAddress | None:
    """The address a link is for, if it is still the one kept (same nonce)."""
    row = await address_of(session, target.user_id)
    return row if row is not None and secrets.compare_digest(row.nonce, target.nonce) else None


async def confirm(session: AsyncSession, target: LinkTarget) -> str | None:
    """Confirm the address a link is for: ``confirmed``, ``already_confirmed``, ``not_pending``
    (stopped or refused since), or None when no such address is kept."""
    row = await address_for(session, target)
    if row is None:
        return None
    if row.status == ACTIVE:
        return "already_confirmed"
    if row.status != PENDING:
        return "not_pending"
    row.status, row.confirmed_at = ACTIVE, utcnow()
    return "confirmed"


async def unsubscribe(session: AsyncSession, target: LinkTarget) -> str | None:
    """Stop the address a link is for and erase it: ``unsubscribed``, ``already_unsubscribed``,
    or None when no such address is kept."""
    row = await address_for(session, target)
    if row is None:
        return None
    if row.status == STOPPED:
        return "already_unsubscribed"
    await stop(session, row)
    return "unsubscribed"


async def stop(session: AsyncSession, row: EmailAddress) -> None:
    """Nothing more to the address, which is erased (the row keeps its links answering "already
    unsubscribed"); what the resident chose to receive goes too."""
    row.status, row.address, row.stopped_at, row.reason = STOPPED, "", utcnow(), None
    await cancel_pending(session, row.user_id)
    await session.execute(delete(EmailChoice).where(EmailChoice.user_id == row.user_id))


async def bounced(session: AsyncSession, user_id: int, address: str, reason: str) -> None:
    """``address`` was refused for good: if it is still the resident's, nothing more is sent
    to it and they see why in their settings. A refusal that comes after the resident gave
    another address, or unsubscribed, leaves the new state alone."""
    result = await session.execute(update(EmailAddress).where(EmailAddress.user_id == user_id,
                                                              EmailAddress.address == address)
                                   .values(status=BOUNCED, stopped_at=utcnow(), reason=reason[:200]))
    if not affected_rows(result):
        return
    await session.execute(
        update(OutboxEntry).where(OutboxEntry.user_id == user_id, OutboxEntry.kind == EMAIL_KIND,
                                  OutboxEntry.status == outbox.PENDING, OutboxEntry.claimed_by.is_(None))
        .values(status=outbox.BLOCKED, last_error=reason[:200]))


async def cancel_pending(session: AsyncSession, user_id: int) -> int:
    """Drop the e-mails still waiting for the resident's address."""
    result = await session.execute(
        delete(OutboxEntry).where(OutboxEntry.user_id == user_id, OutboxEntry.kind == EMAIL_KIND,
                                  OutboxEntry.status == outbox.PENDING))
    return affected_rows(result)


async def enqueue_publication(session: AsyncSession, publication: Publication) -> int:
    """One outbox row per confirmed address whose choices the publication matches; how many."""
    condition = await matching(session, publication, EmailChoice)
    if condition is None:
        return 0
    now = utcnow()
    payload = {"message": PUBLICATION, "publication": publication.id}
    rows = select(
        literal(EMAIL_KIND, String), literal(PRIORITY_BROADCAST, Integer), EmailAddress.user_id,
        literal(publication.batch, String), literal(payload, JSON), literal(outbox.PENDING, String),
        literal(0, Integer), literal(publication.scheduled_at or now, DateTime(timezone=True)),
        literal(now, DateTime(timezone=True)),
    ).where(EmailAddress.status == ACTIVE,
            EmailAddress.user_id.in_(select(EmailChoice.user_id).where(condition)))
    columns = ["kind", "priority", "user_id", "batch", "payload", "status", "attempts", "not_before",
               "created_at"]
    return affected_rows(await session.execute(insert(OutboxEntry).from_select(columns, rows)))
