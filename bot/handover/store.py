"""What happens to tickets: opened by a resident, fed by their messages, answered and closed by
agents, closed by the resident when they leave the flow, and forgotten after the retention limit.

Every function works in the caller's transaction; the caller commits (and calls
:func:`bot.outbox.notify` after a reply or a close, so that it goes out at once).
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import affected_rows, utcnow
from bot.delivery.compose import MESSAGE
from bot.handover.models import (
    AGENT,
    CLOSED,
    CLOSED_BY_AGENT,
    CLOSED_BY_RESIDENT,
    OPEN,
    OPENED,
    RESIDENT,
    SYSTEM,
    Ticket,
    TicketMessage,
)
from bot.i18n import Catalog
from bot.messages import PRIORITY_REPLY, IncomingMessage
from bot.models import User
from bot.outbox import PENDING, OutboxEntry, enqueue

if TYPE_CHECKING:
    from bot.app import CivicBot

log = logging.getLogger(__name__)

BATCH_PREFIX = "handover:"  # outbox rows of a ticket, so the retention limit finds them


def _open_query(user_id: int):
    return select(Ticket).where(Ticket.user_id == user_id, Ticket.status == OPEN)


async def open_ticket_of(session: AsyncSession, user_id: int) -> Ticket | None:
    return (await session.execute(_open_query(user_id))).scalar_one_or_none()


def _follow(ticket: Ticket, message: IncomingMessage, lang: str) -> None:
    """Replies go where the resident last wrote from, in the language they last used."""
    ticket.platform, ticket.chat_id, ticket.language = message.platform, message.chat_id, lang
    ticket.updated_at = utcnow()


async def open_ticket(session: AsyncSession, user: User, message: IncomingMessage,
                      lang: str) -> tuple[Ticket, bool]:
    """The resident's open ticket, opened now if they have none; and whether it is new."""
    ticket = await open_ticket_of(session, user.id)
    if ticket is not None:
        _follow(ticket, message, lang)
        return ticket, False
    ticket = Ticket(user_id=user.id)
    _follow(ticket, message, lang)
    try:
        async with session.begin_nested():
            session.add(ticket)
    except IntegrityError:  # a concurrent request of the same resident opened one first
        ticket = (await session.execute(_open_query(user.id))).scalar_one()
        _follow(ticket, message, lang)
        return ticket, False
    session.add(TicketMessage(ticket_id=ticket.id, user_id=user.id, author=SYSTEM, event=OPENED))
    return ticket, True


def relay(session: AsyncSession, ticket: Ticket, message: IncomingMessage, text: str,
          lang: str) -> TicketMessage | None:
    """Add the resident's message (text, location, attachment) to the ticket; None when the
    message holds nothing to pass on."""
    if not (text or message.location or message.attachment):
        return None
    row = TicketMessage(ticket_id=ticket.id, user_id=ticket.user_id, author=RESIDENT, text=text or None)
    if message.location:
        row.latitude, row.longitude = message.location.latitude, message.location.longitude
    if message.attachment:
        row.attachment_kind = message.attachment.kind[:16]
        row.attachment_reference = message.attachment.reference[:1024]
    _follow(ticket, message, lang)
    ticket.waiting_since = ticket.waiting_since or ticket.updated_at
    session.add(row)
    return row


def _send(session: AsyncSession, ticket: Ticket, text: str) -> None:
    enqueue(session, MESSAGE, {"text": text, "language": ticket.language}, priority=PRIORITY_REPLY,
            platform=ticket.platform, chat_id=ticket.chat_id, user_id=ticket.user_id,
            batch=f"{BATCH_PREFIX}{ticket.id}")


def answer(session: AsyncSession, catalog: Catalog, ticket: Ticket, text: str, agent: str) -> TicketMessage:
    """An agent's reply: kept in the conversation and sent to the resident's chat."""
    row = TicketMessage(ticket_id=ticket.id, user_id=ticket.user_id, author=AGENT, text=text)
    session.add(row)
    _send(session, ticket, catalog.get("talk_to_human.agent_reply", ticket.language,
                                       ticket=ticket.id, text=text))
    ticket.agent = ticket.agent or agent[:100]
    ticket.waiting_since = None
    ticket.updated_at = utcnow()
    return row


def _close(ticket: Ticket, why: str) -> TicketMessage:
    """Close the ticket and forget where the resident is; the event to add to its conversation."""
    ticket.status, ticket.closed_at = CLOSED, utcnow()
    ticket.closed_by = AGENT if why == CLOSED_BY_AGENT else RESIDENT
    ticket.platform = ticket.chat_id = ticket.waiting_since = None
    ticket.updated_at = ticket.closed_at
    return TicketMessage(ticket_id=ticket.id, user_id=ticket.user_id, author=SYSTEM, event=why)


def close_by_agent(session: AsyncSession, catalog: Catalog, ticket: Ticket) -> None:
    """The resident is told, and their next message goes to the bot again (see the intent)."""
    _send(session, ticket, catalog.get("talk_to_human.closed_by_agent", ticket.language, ticket=ticket.id))
    session.add(_close(ticket, CLOSED_BY_AGENT))


async def close_by_resident(session: AsyncSession, user_id: int) -> None:
    """The resident left the hand-over flow: their open ticket, if any, is closed."""
    ticket = await open_ticket_of(session, user_id)
    if ticket is not None:
        session.add(_close(ticket, CLOSED_BY_RESIDENT))


async def forget_old_handover_messages(bot: CivicBot) -> int:
    """Delete the conversations of tickets closed more than ``handover_retention_days`` ago,
    and the sent copies of their replies in the outbox; how many messages were deleted. The
    daily pass of ``civicbot serve`` and ``civicbot maintenance``.

    The ticket itself stays (number, dates, who closed it) until the resident is erased.
    """
    cutoff = utcnow() - timedelta(days=bot.settings.handover_retention_days)
    expired = select(Ticket.id).where(Ticket.status == CLOSED, Ticket.closed_at < cutoff)
    async with bot.sessions() as session:
        result = await session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(expired)))
        await session.execute(delete(OutboxEntry).where(
            OutboxEntry.batch.startswith(BATCH_PREFIX, autoescape=True), OutboxEntry.status != PENDING,
            OutboxEntry.created_at < cutoff))
        await session.commit()
    deleted = affected_rows(result)
    if deleted:
        log.info("retention: %d hand-over messages of closed tickets deleted", deleted)
    return deleted
