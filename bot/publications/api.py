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
from bot.api.openapi import openapi_document
from bot.api.requests import RequestError, bad_request, json_model, only_parameters, read_model, whole_number
from bot.app import CivicBot
from bot.http import BOT_KEY
from bot.publications import service
from bot.publications.schema import PublicationIn, PublicationList

BASE = "/api/v1"
MAX_ID = 2 ** 31 - 1
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100


def setup_routes(app: web.Application, bot: CivicBot) -> None:
    app.router.add_post(f"{BASE}/publications", create)
    app.router.add_get(f"{BASE}/publications", list_publications)
    app.router.add_get(f"{BASE}/publications/{{id}}", show)
    app.router.add_get(f"{BASE}/openapi.json", openapi)


@require_scope("publish")
async def create(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    try:
        only_parameters(request)
        publication_request = await read_model(request, PublicationIn)
        async with bot.sessions() as session:
            publication = await service.publish(session, publication_request, bot,
                                                request[TOKEN_KEY].name)
            await session.commit()
            described = await service.find(session, publication.id)
    except RequestError as error:
        return bad_request(error)
    assert described is not None  # just published
    outbox.notify()
    return json_model(described, 201, Location=f"{BASE}/publications/{publication.id}")


@require_scope("publish", "read")
async def list_publications(request: web.Request) -> web.Response:
    try:
        only_parameters(request, "limit", "before")
        limit = whole_number("limit", request.query.get("limit"), PAGE_SIZE, 1, MAX_PAGE_SIZE)
        before = whole_number("before", request.query.get("before"), None, 1, MAX_ID)
    except RequestError as error:
        return bad_request(error)
    async with request.app[BOT_KEY].sessions() as session:
        publications, next_before = await service.recent(session, limit, before)
    return json_model(PublicationList(publications=publications, next_before=next_before))


@require_scope("publish", "read")
async def show(request: web.Request) -> web.Response:
    try:
        only_parameters(request)
        publication_id = whole_number("id", request.match_info["id"], None, 1, MAX_ID)
    except RequestError as error:
        return bad_request(error)
    async with request.app[BOT_KEY].sessions() as session:
        described = await service.find(session, publication_id)
    if described is None:
        return json_error(404, "not_found", f"no publication {publication_id}", "id")
    return json_model(described)


async def openapi(request: web.Request) -> web.Response:
    """The one document of the whole HTTP API."""
    bot = request.app[BOT_KEY]
    return web.json_response(openapi_document(bot.settings, bot.features))
