"""Recording contributions: the link to their author, references, history, supports, nearby reports.

Everything here runs in the caller's transaction: a contribution, its first history entry and
the outbox row that forwards it are committed together, before the resident is told.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions.models import Contribution, ContributionEvent
from bot.messages import PRIORITY_FORWARD
from bot.outbox import enqueue

if TYPE_CHECKING:
    from bot.app import CivicBot
    from bot.config import Settings
    from bot.messages import IncomingMessage
    from bot.models import User

FOLLOW, SILENT, ANONYMOUS = "follow", "silent", "anonymous"
LINK_MODES = (FOLLOW, SILENT, ANONYMOUS)
RECEIVED, OPEN, CLOSED, FAILED = "received", "open", "closed", "failed"
OPEN_STATUSES = (RECEIVED, OPEN)
FORWARD_KIND = "contribution.forward"
REFERENCE_PREFIX = {"report": "S", "idea": "I"}
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # nothing to misread (0/O, 1/I/L)
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Link:
    """How a row is tied to its author, as they chose: followed, silent, or anonymous."""

    user_id: int | None = None
    platform: str | None = None
    chat_id: str | None = None
    language: str | None = None

    @classmethod
    def choose(cls, mode: str, user: User, message: IncomingMessage, lang: str) -> Link:
        if mode == ANONYMOUS:
            return cls()
        if mode == SILENT:
            return cls(user_id=user.id)
        return cls(user.id, message.platform, message.chat_id, lang)

    def apply(self, row: Any) -> None:
        row.user_id, row.platform, row.chat_id, row.language = (
            self.user_id, self.platform, self.chat_id, self.language)


def participation_key(bot: CivicBot, user: User, scope: str) -> str:
    """A keyed hash of the resident for one poll or contribution: one vote or support each,
    without storing who (it cannot be linked to other keys nor to the resident's id)."""
    return bot.pseudonymizer.user_hash(f"key:{scope}", user.user_hash)


async def new_reference(session: AsyncSession, kind: str) -> str:
    while True:
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        reference = f"{REFERENCE_PREFIX[kind]}-{code}"
        taken = await session.scalar(select(Contribution.id).where(Contribution.reference == reference))
        if taken is None:
            return reference


def forward_target(settings: Settings, kind: str) -> str | None:
    """Where a contribution goes: reports to Open311 when there is one, else the webhook."""
    if kind == "report" and settings.open311_url:
        return "open311"
    if settings.webhook_url:
        return "webhook"
    return None


def enqueue_forward(session: AsyncSession, target: str | None, event: str,
                    contribution_id: int, **data: Any) -> None:
    """Queue an event for the city's back end (nothing when the city has none: the API shows it).

    Never linked to the resident (no ``user_id``): erasing them must not stop what the city is owed.
    """
    if target is not None:
        enqueue(session, FORWARD_KIND, {"event": event, "target": target,
                                        "contribution_id": contribution_id, **data},
                priority=PRIORITY_FORWARD, batch=f"forward:{target}")


def add_event(session: AsyncSession, contribution: Contribution, status: str,
              notes: str | None = None, source: str = "bot") -> None:
    session.add(ContributionEvent(contribution_id=contribution.id, status=status, notes=notes,
                                  source=source))


async def create_contribution(session: AsyncSession, settings: Settings, link: Link, *,
                              kind: str, category: str, category_label: str, description: str,
                              **fields: Any) -> Contribution:
    """Record a report or an idea and queue it for the city, in the caller's transaction."""
    contribution = Contribution(reference=await new_reference(session, kind), kind=kind,
                                category=category, category_label=category_label,
                                description=description, attributes=fields.pop("attributes", None) or {},
                                status=RECEIVED, target=forward_target(settings, kind), **fields)
    link.apply(contribution)
    session.add(contribution)
    await session.flush()
    add_event(session, contribution, RECEIVED)
    enqueue_forward(session, contribution.target, f"{kind}.created", contribution.id)
    return contribution


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


async def nearby_open_reports(session: AsyncSession, category: str, latitude: float,
                              longitude: float, radius_m: float = 50.0,
                              limit: int = 3) -> list[tuple[Contribution, float]]:
    """Open reports of this category within ``radius_m``, nearest first."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(0.01, math.cos(math.radians(latitude)))
    query = select(Contribution).where(
        Contribution.kind == "report", Contribution.category == category,
        Contribution.status.in_(OPEN_STATUSES),
        Contribution.latitude.between(latitude - dlat, latitude + dlat),
        Contribution.longitude.between(longitude - dlon, longitude + dlon))
    found = [(report, distance_m(latitude, longitude, report.latitude, report.longitude))
             for report in (await session.execute(query)).scalars()
             if report.latitude is not None and report.longitude is not None]  # as the query asks
    return sorted([item for item in found if item[1] <= radius_m], key=lambda item: item[1])[:limit]
