"""Which chat connectors the settings configure."""
from __future__ import annotations

from bot.config import Settings


def configured_connectors(settings: Settings) -> list[str]:
    """Names of the connectors whose credentials are set (none is built yet)."""
    return []
