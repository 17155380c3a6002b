"""Helpers for the hand-over tests: an agent's token, the tickets and messages as stored."""
from __future__ import annotations

from sqlalchemy import select

from bot.api.tokens import create_token
from bot.app import CivicBot
from bot.handover.models import Ticket, TicketMessage
from bot.outbox import OutboxEntry


async def agent_token(bot: CivicBot, *scopes: str, name: str = "Camille, accueil") -> str:
    async with bot.sessions() as session:
        _, secret = await create_token(session, name, scopes or ("agent",))
        await session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def tickets(bot: CivicBot) -> list[Ticket]:
    async with bot.sessions() as session:
        return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def conversation(bot: CivicBot, ticket_id: int) -> list[TicketMessage]:
    async with bot.sessions() as session:
        return list((await session.execute(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                                           .order_by(TicketMessage.id))).scalars())


async def handover_rows(bot: CivicBot) -> list[OutboxEntry]:
    """The outbox rows of hand-over tickets (replies and closing notices), oldest first."""
    async with bot.sessions() as session:
        return list((await session.execute(select(OutboxEntry).where(OutboxEntry.batch.startswith("handover:"))
                                           .order_by(OutboxEntry.id))).scalars())
