"""The contributions feature: reports, ideas, polls and privacy requests, forwarded to the
city's back end, with their API, their upkeep and ``civicbot maintenance``."""
from __future__ import annotations

from bot.contributions import cli, maintenance, models, privacy
from bot.contributions.api import setup_routes
from bot.contributions.forwarding import forward
from bot.contributions.openapi import openapi_part
from bot.contributions.store import FORWARD_KIND
from bot.feature import Feature

FEATURE = Feature(
    name="contributions",
    intents=("report_problem", "propose_idea", "vote", "my_contributions", "privacy_export", "privacy_forget"),
    texts=("contributions",),
    models=(models,),
    routes=setup_routes,
    openapi=openapi_part,
    leader_services=(maintenance.run,),
    commands=(cli.maintenance,),
    outbox_handlers={FORWARD_KIND: forward},
    forget=privacy.forget,  # "forget me": every table's rows of the resident
)
