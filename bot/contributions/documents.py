"""JSON views of contributions and polls: for the city (webhook, API) and for the resident (export).

None of them names the resident: the city never learns who contributed.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.contributions.models import Contribution
from bot.db import aware


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
