"""The agents' side of the hand-over, over HTTP with bearer tokens of scope ``agent``.

- ``GET /api/v1/handover/tickets[?status=open|closed&limit=&before=]``: tickets, newest first;
- ``GET /api/v1/handover/tickets/{id}``: a ticket and its conversation;
- ``POST /api/v1/handover/tickets/{id}/messages`` ``{"text": ...}``: answer the resident (201);
- ``POST /api/v1/handover/tickets/{id}/close``: close it; the resident is told and back with the bot;
- ``GET /api/v1/handover/openapi.json``: the description (no token needed);
- ``GET /agent``: the console page (the token is pasted into it, never part of the page).

A closed ticket cannot be answered or closed again (409). Errors name the field at fault.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.api.auth import TOKEN_KEY, require_scope
from bot.api.errors import json_error
from bot.api.openapi import openapi_document

# The request helpers of the city's other API, so that errors read the same everywhere.
from bot.api.requests import RequestError, bad_request, read_model, whole_number
from bot.app import CivicBot
from bot.handover import store
from bot.handover.models import CLOSED, OPEN, Ticket, TicketMessage
from bot.handover.schema import AnswerIn, MessageOut, TicketDetail, TicketList, TicketOut
from bot.http import BOT_KEY

BASE = "/api/v1/handover"
MAX_ID = 2 ** 31 - 1
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
STATIC = Path(__file__).parent / "static"
ASSETS = ("agent.js", "agent.css")
# The console runs only its own script and talks only to this server.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def setup_routes(app: web.Application, bot: CivicBot) -> None:
    app.router.add_get(f"{BASE}/tickets", list_tickets)
    app.router.add_get(f"{BASE}/tickets/{{id}}", show)
    app.router.add_post(f"{BASE}/tickets/{{id}}/messages", reply)
    app.router.add_post(f"{BASE}/tickets/{{id}}/close", close)
    app.router.add_get(f"{BASE}/openapi.json", openapi)
    app.router.add_get("/agent", console)
    app.router.add_get("/agent/{asset}", asset)


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(text=model.model_dump_json(), status=status)


def _ticket_id(request: web.Request) -> int:
    return whole_number("id", request.match_info["id"], None, 1, MAX_ID)


async def _last_messages(session: AsyncSession, ticket_ids: list[int]) -> dict[int, TicketMessage]:
    """The latest message (not event) of each ticket, in one query."""
    latest = (select(func.max(TicketMessage.id)).where(TicketMessage.ticket_id.in_(ticket_ids),
                                                       TicketMessage.event.is_(None))
              .group_by(TicketMessage.ticket_id))
    rows = (await session.execute(select(TicketMessage).where(TicketMessage.id.in_(latest)))).scalars()
    return {row.ticket_id: row for row in rows}


@require_scope("agent")
async def list_tickets(request: web.Request) -> web.Response:
    try:
        for name in request.query:
            if name not in ("status", "limit", "before"):
                raise RequestError(name, "unknown parameter; known: status, limit, before")
        status = request.query.get("status", OPEN)
        if status not in (OPEN, CLOSED):
            raise RequestError("status", "must be open or closed")
        limit = whole_number("limit", request.query.get("limit"), PAGE_SIZE, 1, MAX_PAGE_SIZE)
        before = whole_number("before", request.query.get("before"), None, 1, MAX_ID)
    except RequestError as error:
        return bad_request(error)
    query = select(Ticket).where(Ticket.status == status).order_by(Ticket.id.desc()).limit(limit + 1)
    if before:
        query = query.where(Ticket.id < before)
    async with request.app[BOT_KEY].sessions() as session:
        found = list((await session.execute(query)).scalars())
        page = found[:limit]
        last = await _last_messages(session, [ticket.id for ticket in page])
    return _json(TicketList(tickets=[TicketOut.of(ticket, last.get(ticket.id)) for ticket in page],
                            next_before=page[-1].id if len(found) > limit else None))


@require_scope("agent")
async def show(request: web.Request) -> web.Response:
    try:
        ticket_id = _ticket_id(request)
    except RequestError as error:
        return bad_request(error)
    async with request.app[BOT_KEY].sessions() as session:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None:
            return json_error(404, "not_found", f"no ticket {ticket_id}", "id")
        rows = list((await session.execute(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                                           .order_by(TicketMessage.id))).scalars())
    last = next((row for row in reversed(rows) if row.event is None), None)
    summary = TicketOut.of(ticket, last)
    return _json(TicketDetail(**dict(summary), messages=[MessageOut.of(row) for row in rows]))


async def _on_open_ticket(request: web.Request,
                          act: Callable[[AsyncSession, Ticket], Awaitable[web.Response]]) -> web.Response:
    """``act`` on the ticket of the path, locked, if it is open (``act`` commits); then the
    outbox workers are woken for what it queued."""
    try:
        ticket_id = _ticket_id(request)
    except RequestError as error:
        return bad_request(error)
    async with request.app[BOT_KEY].sessions() as session:
        ticket = await session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None:
            return json_error(404, "not_found", f"no ticket {ticket_id}", "id")
        if ticket.status != OPEN:
            return json_error(409, "closed", f"ticket {ticket_id} is closed: the resident is back with the bot", "id")
        response = await act(session, ticket)
    outbox.notify()
    return response


@require_scope("agent")
async def reply(request: web.Request) -> web.Response:
    try:
        answer = await read_model(request, AnswerIn)
    except RequestError as error:
        return bad_request(error)

    async def send(session: AsyncSession, ticket: Ticket) -> web.Response:
        row = store.answer(session, request.app[BOT_KEY].catalog, ticket, answer.text, request[TOKEN_KEY].name)
        await session.commit()
        return _json(MessageOut.of(row), 201)

    return await _on_open_ticket(request, send)


@require_scope("agent")
async def close(request: web.Request) -> web.Response:
    async def close_it(session: AsyncSession, ticket: Ticket) -> web.Response:
        store.close_by_agent(session, request.app[BOT_KEY].catalog, ticket)
        await session.commit()
        last = (await _last_messages(session, [ticket.id])).get(ticket.id)
        return _json(TicketOut.of(ticket, last))

    return await _on_open_ticket(request, close_it)


async def openapi(request: web.Request) -> web.Response:
    """The one document of the whole HTTP API (the agents' routes are in it)."""
    bot = request.app[BOT_KEY]
    return web.json_response(openapi_document(bot.settings, bot.features))


async def console(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "agent.html", headers=PAGE_HEADERS)


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["asset"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers=PAGE_HEADERS)
