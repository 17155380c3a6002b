"""A generic webhook for city back ends that do not speak Open311.

Each event is a JSON POST signed with HMAC SHA-256 (see docs/operate/contributions-and-open311.md,
"The generic webhook"):

    X-Civicbot-Event: report.created
    X-Civicbot-Delivery: 42                 (the same on every retry of one event)
    Idempotency-Key: civicbot-42            (the same, in the IETF draft's header)
    X-Civicbot-Timestamp: 1767225600        (Unix seconds, at sending)
    X-Civicbot-Signature: sha256=<hex of HMAC(secret, "<timestamp>.<body bytes>")>

A 2xx answer means received; 4xx (but 408 and 429) means refused for good; anything else,
a timeout or a refused connection means try again later.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp

EVENT_HEADER = "X-Civicbot-Event"
DELIVERY_HEADER = "X-Civicbot-Delivery"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TIMESTAMP_HEADER = "X-Civicbot-Timestamp"
SIGNATURE_HEADER = "X-Civicbot-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookError(Exception):
    def __init__(self, message: str, *, status: int | None = None, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str,
           tolerance: float = DEFAULT_TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """What a receiver checks: the signature, and a timestamp recent enough to refuse replays."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def encode_event(event: str, delivery: str, data: dict[str, Any]) -> bytes:
    document = {"event": event, "delivery": delivery, "data": data}
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


class CityWebhook:
    def __init__(self, url: str, secret: str, timeout: float = 20.0) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret to sign its events")
        self.url = url
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def post(self, event: str, delivery: str, data: dict[str, Any]) -> None:
        """Send one event; raise :class:`WebhookError` unless the receiver answered 2xx."""
        body = encode_event(event, delivery, data)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", EVENT_HEADER: event,
                   DELIVERY_HEADER: delivery, IDEMPOTENCY_HEADER: f"civicbot-{delivery}",
                   TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(self.secret, timestamp, body)}
        try:
            async with (aiohttp.ClientSession(timeout=self.timeout) as session,
                        session.post(self.url, data=body, headers=headers) as response):
                if 200 <= response.status < 300:
                    return
                retryable = response.status >= 500 or response.status in (408, 429)
                raise WebhookError(f"HTTP {response.status}", status=response.status,
                                   retryable=retryable)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise WebhookError(type(error).__name__, retryable=True) from None
