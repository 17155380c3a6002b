"""A GeoReport v2 server on loopback, for the tests: the city's back end as civicbot sees it.

It keeps its requests across :meth:`Open311Server.restart` (a real back end has a database),
and can be told to fail (``failing = 503``), to answer slowly (``delay``) or to stop.
"""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from tests.support.network import free_port

API_KEY = "test-api-key"
DEFAULT_SERVICES: list[dict[str, Any]] = [
    {"service_code": "voirie", "service_name": "Nid de poule, chaussée abîmée",
     "description": "Trous et dégradations de la chaussée", "metadata": False, "type": "realtime",
     "keywords": "trou,chaussee,route", "group": "Voirie"},
    {"service_code": "eclairage", "service_name": "Éclairage public en panne",
     "description": "Lampadaire éteint ou clignotant", "metadata": True, "type": "realtime",
     "keywords": "lampadaire,lumiere", "group": "Voirie"},
    {"service_code": "depot", "service_name": "Dépôt sauvage",
     "description": "Déchets abandonnés sur la voie publique", "metadata": False, "type": "batch",
     "keywords": "dechets,encombrants", "group": "Propreté"},
]
DEFINITIONS: dict[str, dict[str, Any]] = {
    "eclairage": {"service_code": "eclairage", "attributes": [
        {"variable": True, "code": "etat", "datatype": "singlevaluelist", "required": True,
         "datatype_description": None, "order": 1, "description": "Le lampadaire est-il…",
         "values": [{"key": "eteint", "name": "Éteint"}, {"key": "clignote", "name": "Clignotant"}]},
        {"variable": True, "code": "numero", "datatype": "string", "required": False,
         "order": 2, "description": "Numéro inscrit sur le poteau", "values": []},
    ]},
}



@dataclass
class StoredRequest:
    service_request_id: str
    form: dict[str, Any]
    status: str = "open"
    status_notes: str = ""
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    token: str | None = None
    requested: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, Any]:
        return {"service_request_id": self.service_request_id, "status": self.status,
                "status_notes": self.status_notes or None,
                "service_code": self.form.get("service_code"),
                "description": self.form.get("description"),
                "requested_datetime": self.requested.isoformat(),
                "updated_datetime": self.updated.isoformat()}


class LoopbackServer:
    """An aiohttp application on a fixed loopback port, so it can stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class Open311Server(LoopbackServer):
    def __init__(self, services: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.services = DEFAULT_SERVICES if services is None else services
        self.requests: dict[str, StoredRequest] = {}
        self.tokens: dict[str, StoredRequest] = {}
        self.posts: list[dict[str, Any]] = []  # accepted POST forms, in order of arrival
        self.calls: list[str] = []  # "METHOD path" of every call
        self.failing: int | None = None  # answer every call with this HTTP status
        self.delay = 0.0  # seconds to wait before answering
        self.answer_delay = 0.0  # seconds between storing a posted request and answering
        self.search_refused: int | None = None  # answer GET requests.json without ids with this status
        self.batch_ready = True  # whether a batch token resolves to an id yet
        self._ids = itertools.count(1001)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/open311/v2/"

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._faults])
        app.router.add_get("/open311/v2/services.json", self._services)
        app.router.add_get("/open311/v2/services/{code}.json", self._definition)
        app.router.add_post("/open311/v2/requests.json", self._post)
        app.router.add_get("/open311/v2/requests.json", self._requests)
        app.router.add_get("/open311/v2/tokens/{token}.json", self._token)
        return app

    def set_status(self, service_request_id: str, status: str, notes: str = "") -> None:
        """What a city agent does in the back end."""
        stored = self.requests[service_request_id]
        stored.status, stored.status_notes = status, notes
        stored.updated = datetime.now(UTC)

    @web.middleware
    async def _faults(self, request: web.Request, handler) -> web.StreamResponse:
        self.calls.append(f"{request.method} {request.path}")
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failing:
            return web.Response(status=self.failing, text="back end unavailable")
        return await handler(request)

    @staticmethod
    def _errors(status: int, code: int, description: str) -> web.Response:
        return web.json_response([{"code": code, "description": description}], status=status)

    async def _services(self, request: web.Request) -> web.Response:
        return web.json_response(self.services)

    async def _definition(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if code not in DEFINITIONS:
            return self._errors(404, 404, f"service_code {code} not found")
        return web.json_response(DEFINITIONS[code])

    async def _post(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("api_key") != API_KEY:
            return self._errors(403, 403, "invalid api_key")
        code = form.get("service_code")
        service = next((s for s in self.services if s["service_code"] == code), None)
        if service is None:
            return self._errors(404, 404, f"service_code {code} not found")
        if not form.get("lat") and not form.get("address_string"):
            return self._errors(400, 400, "lat/long or address_string required")
        if len(str(form.get("description", ""))) > 4000:
            return self._errors(400, 400, "description longer than 4000 characters")
        for attribute in DEFINITIONS.get(code, {}).get("attributes", []):
            if attribute["required"] and not form.get(f"attribute[{attribute['code']}]"):
                return self._errors(400, 400, f"attribute {attribute['code']} required")
        fields = {key: (form.getall(key) if key.endswith("[]") else form.get(key)) for key in form}
        stored = StoredRequest(str(next(self._ids)), fields)
        self.posts.append(fields)
        self.requests[stored.service_request_id] = stored
        if self.answer_delay:  # slow, but it has the report: the answer may come too late
            await asyncio.sleep(self.answer_delay)
        if service.get("type") == "batch":
            stored.token = f"tok-{stored.service_request_id}"
            self.tokens[stored.token] = stored
            return web.json_response([{"token": stored.token}], status=201)
        return web.json_response([{"service_request_id": stored.service_request_id,
                                   "service_notice": "Merci"}], status=201)

    async def _requests(self, request: web.Request) -> web.Response:
        """By ids, or (GeoReport's search) by service_code and start_date."""
        ids = [value for value in request.query.get("service_request_id", "").split(",") if value]
        if ids:
            return web.json_response([self.requests[i].as_json() for i in ids if i in self.requests])
        if self.search_refused is not None:
            return self._errors(self.search_refused, self.search_refused, "search not supported")
        code, since = request.query.get("service_code"), request.query.get("start_date")
        start = datetime.fromisoformat(since) if since else datetime.min.replace(tzinfo=UTC)
        return web.json_response([stored.as_json() for stored in self.requests.values()
                                  if (code is None or stored.form.get("service_code") == code)
                                  and stored.requested >= start])

    async def _token(self, request: web.Request) -> web.Response:
        stored = self.tokens.get(request.match_info["token"])
        if stored is None:
            return self._errors(404, 404, "token not found")
        if not self.batch_ready:
            return web.json_response([{"token": stored.token}])
        return web.json_response([{"service_request_id": stored.service_request_id,
                                   "token": stored.token}])


@pytest.fixture
async def open311_server() -> AsyncIterator[Open311Server]:
    """A running back end, stopped after the test (import it into a test module to use it)."""
    server = Open311Server()
    await server.start()
    yield server
    await server.stop()
