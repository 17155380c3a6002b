"""The city's side of contributions, over HTTP with bearer tokens.

- ``POST /api/v1/polls`` (scope ``polls``): open a poll or consultation; 400 names the wrong field.
- ``GET /api/v1/polls`` and ``GET /api/v1/polls/{id}`` (scope ``polls``): with votes per option
  and the opinions (never who voted).
- ``GET /api/v1/contributions[?kind=&status=&limit=&before=]`` and
  ``GET /api/v1/contributions/{reference}`` (scope ``contributions``): reports and ideas, for back
  ends that receive them by webhook or not at all.
- ``PATCH /api/v1/contributions/{reference}`` (scope ``contributions``): a new status and/or a
  note for the resident; the author and followers are told.
"""
from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy import select

from bot.api.auth import require_scope
from bot.api.errors import json_error
from bot.api.requests import RequestError, Strict, VisibleText, bad_request, read_model, whole_number
from bot.app import CivicBot
from bot.contributions.documents import contribution_json
from bot.contributions.followup import record_status
from bot.contributions.models import Contribution, Poll
from bot.contributions.polls import create_poll, poll_json
from bot.contributions.store import CLOSED, FAILED, OPEN, RECEIVED, REFERENCE_PREFIX
from bot.db import utcnow
from bot.http import BOT_KEY

BASE = "/api/v1"
MAX_ID = 2 ** 31 - 1
PAGE_SIZE, MAX_PAGE_SIZE = 50, 500
KINDS = tuple(REFERENCE_PREFIX)
STATUSES = (RECEIVED, OPEN, CLOSED, FAILED)


class Localized(Strict):
    fr: Annotated[str, VisibleText(500)]
    en: Annotated[str, VisibleText(500)] | None = None


class PollIn(Strict):
    """A poll: French required, English optional; from 2 to 20 options."""

    question: Localized
    options: list[Localized] = Field(min_length=2, max_length=20)
    closes_at: AwareDatetime
    opens_at: AwareDatetime | None = Field(default=None, description="absent: now")
    kind: Literal["poll", "consultation"] = "poll"
    areas: list[Annotated[str, VisibleText(128)]] = Field(default_factory=list, max_length=50,
                                    description="quartiers concerned; empty: the whole city")
    allow_opinion: bool = True

    @model_validator(mode="after")
    def _dates(self) -> PollIn:
        if self.closes_at <= (self.opens_at or utcnow()):
            raise ValueError("closes_at must come after opens_at (and after now)")
        return self


class StatusIn(Strict):
    status: Literal["open", "closed"] | None = None
    notes: Annotated[str, VisibleText(2000)] | None = None

    @model_validator(mode="after")
    def _something(self) -> StatusIn:
        if self.status is None and self.notes is None:
            raise ValueError("give a status, notes or both")
        return self


def setup_routes(app: web.Application, bot: CivicBot) -> None:
    app.router.add_post(f"{BASE}/polls", create)
    app.router.add_get(f"{BASE}/polls", list_polls)
    app.router.add_get(f"{BASE}/polls/{{id}}", show_poll)
    app.router.add_get(f"{BASE}/contributions", list_contributions)
    app.router.add_get(f"{BASE}/contributions/{{reference}}", show_contribution)
    app.router.add_patch(f"{BASE}/contributions/{{reference}}", set_status)


@require_scope("polls")
async def create(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    try:
        poll_in = await read_model(request, PollIn)
    except RequestError as error:
        return bad_request(error)
    async with bot.sessions() as session:
        poll = await create_poll(
            session, question=poll_in.question.model_dump(exclude_none=True),
            options=[option.model_dump(exclude_none=True) for option in poll_in.options],
            opens_at=poll_in.opens_at or utcnow(), closes_at=poll_in.closes_at, kind=poll_in.kind,
            areas=poll_in.areas, allow_opinion=poll_in.allow_opinion)
        await session.commit()
        document = await poll_json(session, poll)
    return web.json_response(document, status=201, headers={"Location": f"{BASE}/polls/{poll.id}"})


@require_scope("polls")
async def list_polls(request: web.Request) -> web.Response:
    async with request.app[BOT_KEY].sessions() as session:
        polls = (await session.execute(select(Poll).order_by(Poll.id.desc()).limit(MAX_PAGE_SIZE))).scalars()
        return web.json_response({"polls": [await poll_json(session, poll, with_results=False)
                                            for poll in polls]})


@require_scope("polls")
async def show_poll(request: web.Request) -> web.Response:
    try:
        poll_id = whole_number("id", request.match_info["id"], None, 1, MAX_ID)
    except RequestError as error:
        return bad_request(error)
    async with request.app[BOT_KEY].sessions() as session:
        poll = await session.get(Poll, poll_id)
        if poll is None:
            return json_error(404, "not_found", f"no poll {poll_id}", "id")
        return web.json_response(await poll_json(session, poll))


@require_scope("contributions")
async def list_contributions(request: web.Request) -> web.Response:
    query = select(Contribution).order_by(Contribution.id.desc())
    try:
        limit = whole_number("limit", request.query.get("limit"), PAGE_SIZE, 1, MAX_PAGE_SIZE)
        before = whole_number("before", request.query.get("before"), None, 1, MAX_ID)
    except RequestError as error:
        return bad_request(error)
    for name, known in (("kind", KINDS), ("status", STATUSES)):
        if name in request.query:  # given empty, it is no filter but a mistake
            if request.query[name] not in known:
                return json_error(400, "invalid", f"one of {', '.join(known)}", name)
            query = query.where(getattr(Contribution, name) == request.query[name])
    if before:
        query = query.where(Contribution.id < before)
    async with request.app[BOT_KEY].sessions() as session:
        found = (await session.execute(query.limit(limit + 1))).scalars().all()
    page = found[:limit]
    return web.json_response({"contributions": [contribution_json(item) for item in page],
                              "next_before": page[-1].id if len(found) > limit else None})


async def _by_reference(session, request: web.Request) -> Contribution | None:
    return await session.scalar(select(Contribution).where(
        Contribution.reference == request.match_info["reference"].upper()))


@require_scope("contributions")
async def show_contribution(request: web.Request) -> web.Response:
    async with request.app[BOT_KEY].sessions() as session:
        contribution = await _by_reference(session, request)
    if contribution is None:
        return json_error(404, "not_found", "no such contribution", "reference")
    return web.json_response(contribution_json(contribution))


@require_scope("contributions")
async def set_status(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    try:
        change = await read_model(request, StatusIn)
    except RequestError as error:
        return bad_request(error)
    async with bot.sessions() as session:
        contribution = await _by_reference(session, request)
        if contribution is None:
            return json_error(404, "not_found", "no such contribution", "reference")
        status = change.status or (contribution.status if contribution.status in (OPEN, CLOSED) else OPEN)
        await record_status(bot, session, contribution, status, change.notes)
        await session.commit()
        return web.json_response(contribution_json(contribution))
