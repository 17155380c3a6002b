"""The last position a resident shared, and forgetting it.

A shared position is kept in the conversation (``data["location"]``, with the moment it was
shared in ``data["location_at"]``) so that the next question about a place — the nearest
service, a report, "who is my councillor" — can use it. It is exact, so it is kept only
``location_retention_hours`` (the privacy statement says so): after that the router drops it at
the resident's next message, and the daily maintenance clears it from conversations gone quiet.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, select

from bot.db import utcnow
from bot.messages import Location
from bot.models import Conversation

if TYPE_CHECKING:
    from bot.app import CivicBot

LOCATION, LOCATION_AT = "location", "location_at"


def remembered(data: dict[str, Any], location: Location) -> dict[str, Any]:
    """``data`` with ``location`` as the last position shared, from now."""
    return {**data, LOCATION: [location.latitude, location.longitude], LOCATION_AT: utcnow().isoformat()}


def without_old_position(data: dict[str, Any], hours: float) -> dict[str, Any] | None:
    """``data`` without its position when that is older than ``hours`` (or of unknown age);
    None when there is nothing to forget."""
    if LOCATION not in data and LOCATION_AT not in data:
        return None
    try:
        shared_at = datetime.fromisoformat(str(data.get(LOCATION_AT)))
    except ValueError:
        shared_at = None
    if shared_at is not None:
        shared_at = shared_at if shared_at.tzinfo else shared_at.replace(tzinfo=UTC)
        if utcnow() - shared_at < timedelta(hours=hours):
            return None
    return {key: value for key, value in data.items() if key not in (LOCATION, LOCATION_AT)}


async def forget_old_positions(bot: CivicBot) -> int:
    """Clear the positions past their retention from every conversation; how many."""
    hours = bot.settings.location_retention_hours
    cleared = 0
    async with bot.sessions() as session:
        query = select(Conversation).where(cast(Conversation.data, String).like(f'%"{LOCATION}"%'))
        for conversation in (await session.execute(query)).scalars():
            data = without_old_position(conversation.data or {}, hours)
            if data is not None:
                conversation.data = data
                cleared += 1
        await session.commit()
    return cleared
