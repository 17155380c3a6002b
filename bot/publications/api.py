"""``/api/v1/publications``: publish to subscribers and follow the delivery (bearer tokens).

- ``POST /api/v1/publications`` (scope ``publish``): 201 with the publication and its progress;
  400 names the wrong field; nothing is stored unless everything is right.
- ``GET /api/v1/publications[?limit=&before=]`` and ``GET /api/v1/publications/{id}``
  (scope ``publish`` or ``read``).
- ``GET /api/v1/openapi.json``: the OpenAPI description (no token needed).
"""
from __future__ import annotations

from aiohttp import web

from bot import outbox
from bot.api.auth import TOKEN_KEY, require_scope
from bot.api.errors import json_error
from bot.app import CivicBot
from bot.http import BOT_KEY
from bot.publications import service
from bot.publications.openapi import openapi_document
from bot.publications.schema import PublicationError, PublicationList, parse_publication

BASE = "/api/v1"
MAX_ID = 2 ** 31 - 1
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100


def setup_routes(app: web.Application, bot: CivicBot) -> None:
    app.router.add_post(f"{BASE}/publications", create)
    app.router.add_get(f"{BASE}/publications", list_publications)
    app.router.add_get(f"{BASE}/publications/{{id}}", show)
    app.router.add_get(f"{BASE}/openapi.json", openapi)


def _bad(error: PublicationError) -> web.Response:
    return json_error(400, "invalid", error.message, error.field)


def _json(model, status: int = 200, **headers: str) -> web.Response:
    return web.json_response(text=model.model_dump_json(), status=status, headers=headers or None)


async def _body(request: web.Request) -> bytes:
    if request.content_type != "application/json":
        raise PublicationError("body", "send JSON with Content-Type: application/json")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PublicationError("body", f"larger than {request.client_max_size} bytes") from None


@require_scope("publish")
async def create(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    try:
        _only_parameters(request)
        publication_request = parse_publication(await _body(request))
        async with bot.sessions() as session:
            publication = await service.publish(session, publication_request, bot.settings,
                                                request[TOKEN_KEY].name)
            await session.commit()
            described = await service.find(session, publication.id)
    except PublicationError as error:
        return _bad(error)
    outbox.notify()
    return _json(described, 201, Location=f"{BASE}/publications/{publication.id}")


def _only_parameters(request: web.Request, *allowed: str) -> None:
    for name in request.query:
        if name not in allowed:
            raise PublicationError(name, "unknown parameter" + (f"; known: {', '.join(allowed)}" if allowed else ""))


def _integer(name: str, value: str | None, default: int | None, low: int, high: int) -> int | None:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise PublicationError(name, f"must be a whole number from {low} to {high}")
    return int(value)


@require_scope("publish", "read")
async def list_publications(request: web.Request) -> web.Response:
    try:
        _only_parameters(request, "limit", "before")
        limit = _integer("limit", request.query.get("limit"), PAGE_SIZE, 1, MAX_PAGE_SIZE)
        before = _integer("before", request.query.get("before"), None, 1, MAX_ID)
    except PublicationError as error:
        return _bad(error)
    async with request.app[BOT_KEY].sessions() as session:
        publications, next_before = await service.recent(session, limit, before)
    return _json(PublicationList(publications=publications, next_before=next_before))


@require_scope("publish", "read")
async def show(request: web.Request) -> web.Response:
    try:
        _only_parameters(request)
        publication_id = _integer("id", request.match_info["id"], None, 1, MAX_ID)
    except PublicationError as error:
        return _bad(error)
    async with request.app[BOT_KEY].sessions() as session:
        described = await service.find(session, publication_id)
    if described is None:
        return json_error(404, "not_found", f"no publication {publication_id}", "id")
    return _json(described)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app[BOT_KEY].settings))
