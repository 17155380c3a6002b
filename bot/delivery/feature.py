"""The delivery feature: the outbox workers of every ``civicbot serve`` process, which send
what the other features queued (``Feature.outbox_handlers``) within the platforms' limits."""
from __future__ import annotations

from bot import outbox
from bot.delivery import service
from bot.feature import Feature

FEATURE = Feature(name="delivery", models=(outbox,), services=(service.run,))
