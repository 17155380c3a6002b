"""JSON views of contributions and polls: for the city (webhook, API) and for the resident (export).

None of them names the resident: the city never learns who contributed.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from bot.contributions.models import Contribution


@overload
def aware(moment: datetime) -> datetime: ...


@overload
def aware(moment: datetime | None) -> datetime | None: ...


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; they are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    moment = aware(moment)
    return moment.isoformat() if moment else None


def contribution_json(contribution: Contribution) -> dict[str, Any]:
    return {
        "reference": contribution.reference, "kind": contribution.kind,
        "category": contribution.category, "category_label": contribution.category_label,
        "title": contribution.title, "description": contribution.description,
        "latitude": contribution.latitude, "longitude": contribution.longitude,
        "address": contribution.address, "area": contribution.area,
        "media": contribution.media, "attributes": contribution.attributes or {},
        "status": contribution.status, "status_notes": contribution.status_notes,
        "supports": contribution.support_count, "open311_id": contribution.remote_id,
        "created_at": iso(contribution.created_at), "updated_at": iso(contribution.updated_at),
    }
