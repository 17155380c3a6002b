"""Sending contributions to the city's back end, through the outbox, in order.

Each forward is an outbox row (kind ``contribution.forward``, batch ``forward:<target>``)
committed with the contribution. The handler keeps the order per target: a row waits while an
older one of the same target is still pending, so that when a back end comes back after an
outage everything arrives, in the order residents sent it. A back end that refuses a
contribution for good (GeoReport 400/403/404, webhook 4xx) marks it ``failed`` and tells the
author; it stays visible to the city through the API and does not block the rows after it.

No duplicate when a back end is slow but succeeds. Open311: each report carries its reference
(``R-…``) at the end of its description; before its first post, the row notes ``posted_at``;
any later attempt (after a timeout, a lost answer, a crash) first looks the reference up with
``GET requests.json?service_code=…&start_date=…`` and takes the id found instead of posting
again. A report is posted a second time only if that search answers and finds nothing, or if
the back end refuses to search (400/404: logged). Webhook: every retry of an event carries the
same ``X-Civicbot-Delivery`` and ``Idempotency-Key`` (the row's id), for the receiver to ignore
what it already has.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bot import metrics
from bot.contributions.categories import LOCAL_PREFIX, client_for, closest_service, local_categories, open311_services
from bot.contributions.documents import aware, contribution_json
from bot.contributions.followup import record_status
from bot.contributions.models import Contribution
from bot.contributions.store import FAILED, FORWARD_KIND, OPEN, add_event
from bot.db import utcnow
from bot.outbox import OutboxEntry, PermanentFailure, RetryLater, backoff
from connectors.city_webhook import CityWebhook, WebhookError
from connectors.open311 import Open311Client, Open311Error

if TYPE_CHECKING:
    from bot.app import CivicBot

log = logging.getLogger(__name__)
POSTED_AT = "posted_at"  # in the row's payload: when a post to Open311 was first attempted
LOOKUP_MARGIN = timedelta(hours=1)  # the back end's clock may differ from ours
MAX_RETRY_SECONDS = 300.0  # a back end back after an outage gets everything within minutes
QUEUE_STEP_SECONDS = 1.0
TIMEOUT_SECONDS = 30.0  # one call to the back end


class _Refused(Exception):
    """The back end will never take this contribution."""


async def _wait_for_older(bot: CivicBot, entry: OutboxEntry) -> None:
    async with bot.sessions() as session:
        older = await session.scalar(
            select(OutboxEntry.not_before)
            .where(OutboxEntry.kind == FORWARD_KIND, OutboxEntry.batch == entry.batch,
                   OutboxEntry.status == "pending", OutboxEntry.id < entry.id)
            .order_by(OutboxEntry.id).limit(1))
    if older is not None:
        wait = max(0.0, (aware(older) - utcnow()).total_seconds())
        raise RetryLater("waiting for an older forward to the same back end",
                         delay=wait + QUEUE_STEP_SECONDS)


async def forward(bot: CivicBot, entry: OutboxEntry) -> None:
    """The outbox handler of ``contribution.forward`` rows."""
    await _wait_for_older(bot, entry)
    payload = entry.payload
    async with bot.sessions() as session:
        contribution = await session.get(Contribution, payload["contribution_id"])
        if contribution is None:
            raise PermanentFailure("the contribution no longer exists")
        try:
            if payload["target"] == "open311":
                await _to_open311(bot, entry, contribution)
            else:
                await _to_webhook(bot, entry, contribution)
        except (Open311Error, WebhookError) as error:
            if getattr(error, "retryable", False):
                metrics.FORWARDS.labels(payload["target"], "retry").inc()
                raise RetryLater(str(error), delay=min(MAX_RETRY_SECONDS, backoff(entry.attempts))) from None
            metrics.FORWARDS.labels(payload["target"], "refused").inc()
            await _refused(bot, session, contribution, str(error))
        except _Refused as error:
            metrics.FORWARDS.labels(payload["target"], "refused").inc()
            await _refused(bot, session, contribution, str(error))
        else:
            metrics.FORWARDS.labels(payload["target"], "accepted").inc()
            if contribution.forwarded_at is None:
                contribution.forwarded_at = utcnow()
                contribution.status = OPEN
                add_event(session, contribution, OPEN)
            await session.commit()


async def _refused(bot: CivicBot, session, contribution: Contribution, reason: str) -> None:
    log.warning("the back end refused contribution %s: %s", contribution.id, reason)
    await record_status(bot, session, contribution, FAILED, source="bot")
    await session.commit()
    raise PermanentFailure(reason)


async def _service_code(bot: CivicBot, contribution: Contribution) -> str:
    if not contribution.category.startswith(LOCAL_PREFIX):
        return contribution.category
    local = next(c for c in local_categories(bot, "fr") if c.code == contribution.category)
    services = await open311_services(bot, retry=True)
    service = closest_service(local, services)
    if service is None:
        if not services:
            raise Open311Error("no service list yet", retryable=True)
        raise _Refused(f"no Open311 service fits the local category {contribution.category}")
    return service.code


def _media_url(contribution: Contribution) -> str | None:
    media = contribution.media or ""
    return media if media.startswith(("https://", "http://")) else None


async def _to_open311(bot: CivicBot, entry: OutboxEntry, contribution: Contribution) -> None:
    """Post the report once: see the guarantee in the module's docstring."""
    if contribution.remote_id or contribution.remote_token:
        return  # already accepted: a retry after a crash must not post it twice
    service_code = await _service_code(bot, contribution)
    address = contribution.address
    if contribution.area and not address:
        address = f"{contribution.area}, {bot.settings.city_name}"
    async with client_for(bot, timeout=TIMEOUT_SECONDS) as client:
        if POSTED_AT in entry.payload:  # an earlier post may have reached the back end
            found = await _find(client, service_code, contribution, entry)
            if found:
                contribution.remote_id = found
                return
        await _note_posting(bot, entry)
        receipt = await client.submit(
            service_code, contribution.description, latitude=contribution.latitude,
            longitude=contribution.longitude, address=address, media_url=_media_url(contribution),
            attributes=contribution.attributes or None, reference=contribution.reference)
    contribution.remote_id = receipt.service_request_id
    contribution.remote_token = receipt.token


async def _find(client: Open311Client, service_code: str, contribution: Contribution,
                entry: OutboxEntry) -> str | None:
    """The back end's id of this report if an earlier post stored it (its answer was lost)."""
    since = datetime.fromisoformat(entry.payload[POSTED_AT]) - LOOKUP_MARGIN
    try:
        return await client.find(service_code, contribution.reference, since)
    except Open311Error as error:
        if error.retryable:
            raise
        log.warning("the Open311 back end cannot search its requests (%s): contribution %s is "
                    "posted again without knowing whether an earlier post reached it",
                    error, contribution.id)
        return None


async def _note_posting(bot: CivicBot, entry: OutboxEntry) -> None:
    """Record, before the first post, that one is under way: a later attempt looks it up first."""
    if POSTED_AT in entry.payload:
        return
    entry.payload = {**entry.payload, POSTED_AT: utcnow().isoformat()}
    async with bot.sessions() as session:
        await session.execute(update(OutboxEntry).where(OutboxEntry.id == entry.id)
                              .values(payload=entry.payload))
        await session.commit()


async def _to_webhook(bot: CivicBot, entry: OutboxEntry, contribution: Contribution) -> None:
    settings = bot.settings
    if not settings.webhook_url:
        raise _Refused("no webhook is configured any more")
    data: dict[str, Any] = {"contribution": contribution_json(contribution)}
    data.update({key: value for key, value in entry.payload.items()
                 if key not in ("event", "target", "contribution_id")})
    if not settings.webhook_secret:
        raise RetryLater("webhook_secret is not set: events wait until it is", delay=MAX_RETRY_SECONDS)
    webhook = CityWebhook(settings.webhook_url, settings.webhook_secret, timeout=TIMEOUT_SECONDS)
    await webhook.post(entry.payload["event"], str(entry.id), data)
