"""A city's webhook receiver on loopback: checks each signature as a real receiver would."""
from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from connectors.city_webhook import (
    DELIVERY_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from tests.support.servers.open311 import LoopbackServer

SECRET = "webhook-test-secret"


class WebhookReceiver(LoopbackServer):
    def __init__(self, secret: str = SECRET) -> None:
        super().__init__()
        self.secret = secret
        self.events: list[dict[str, Any]] = []  # the bodies accepted, in order
        self.rejected = 0  # bad signatures
        self.failing: int | None = None
        self.arrivals: list[tuple[str, str]] = []  # (X-Civicbot-Delivery, Idempotency-Key) of each
        self.answer_delay = 0.0  # seconds between keeping an event and answering

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/civicbot"

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/civicbot", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        if self.failing:
            return web.Response(status=self.failing)
        body = await request.read()
        if not verify(self.secret, request.headers.get(TIMESTAMP_HEADER, ""), body,
                      request.headers.get(SIGNATURE_HEADER, "")):
            self.rejected += 1
            return web.Response(status=401)
        delivery = request.headers.get(DELIVERY_HEADER, "")
        self.arrivals.append((delivery, request.headers.get(IDEMPOTENCY_HEADER, "")))
        if all(event["delivery"] != delivery for event in self.events):  # as a receiver dedupes
            self.events.append(json.loads(body))
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return web.Response(status=204)
