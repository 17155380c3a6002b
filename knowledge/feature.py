"""The knowledge feature: answers from open data (figures, council, officials, services,
places), its importers (``civicbot import``) and, on an empty base, the demonstration pack."""
from __future__ import annotations

from bot.feature import Feature
from knowledge import models, startup
from knowledge.cli import import_group

FEATURE = Feature(
    name="knowledge",
    intents=("ask_data", "council", "find_official", "find_service", "where_am_i"),
    texts=("knowledge",),
    models=(models,),
    startup=(startup.setup,),
    commands=(import_group,),
)
