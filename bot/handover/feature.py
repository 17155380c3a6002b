"""The hand-over feature: a person of the city takes over a conversation (the agents' API and
console, the open-tickets gauge)."""
from __future__ import annotations

from bot.feature import Feature
from bot.handover import models
from bot.handover.api import setup_routes
from bot.handover.openapi import openapi_document
from bot.handover.store import count_open_tickets

FEATURE = Feature(
    name="handover",
    intents=("talk_to_human",),
    models=(models,),
    routes=setup_routes,
    openapi=openapi_document,
    gauges=(count_open_tickets,),
)
