"""The publications feature: what the city publishes (API and ``civicbot publish``), for the
subscribers concerned."""
from __future__ import annotations

from bot.feature import Feature
from bot.publications import models
from bot.publications.api import setup_routes
from bot.publications.cli import publish
from bot.publications.openapi import openapi_document

FEATURE = Feature(
    name="publications",
    texts=("publications",),
    models=(models,),
    routes=setup_routes,
    openapi=openapi_document,
    commands=(publish,),
)
