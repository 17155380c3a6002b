"""Bearer-token authentication for aiohttp routes.

A route asks for a scope with :func:`require_scope`::

    @require_scope("publish")
    async def create(request: web.Request) -> web.Response:
        token = request[TOKEN_KEY]  # the TokenInfo of the caller

No token, an unknown or revoked one gets 401; a token without the scope gets 403. Either way the
handler does not run, so nothing changes. Tokens are made with ``civicbot token create``
(:mod:`bot.api.tokens`).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from bot.api.errors import json_error
from bot.api.tokens import TokenInfo, authenticate, check_scopes
from bot.http import BOT_KEY

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOKEN_KEY = web.RequestKey("api_token", TokenInfo)
_REALM = 'Bearer realm="civicbot"'


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def require_scope(*scopes: str) -> Callable[[Handler], Handler]:
    """Decorate an aiohttp handler: it runs only for a live token holding one of ``scopes``."""
    check_scopes(scopes)

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            secret = _bearer(request)
            if secret is None:
                return json_error(401, "unauthorized", "an 'Authorization: Bearer <token>' header is required",
                                  headers={"WWW-Authenticate": _REALM})
            async with request.app[BOT_KEY].sessions() as session:
                token = await authenticate(session, secret)
            if token is None:
                return json_error(401, "unauthorized", "this token is unknown or was revoked",
                                  headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token"'})
            if token.scopes.isdisjoint(scopes):
                wanted = " or ".join(scopes)
                return json_error(403, "forbidden", f"this token lacks the scope {wanted}",
                                  headers={"WWW-Authenticate":
                                           f'{_REALM}, error="insufficient_scope", scope="{wanted}"'})
            request[TOKEN_KEY] = token
            return await handler(request)

        return guarded

    return decorate
