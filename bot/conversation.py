"""The basic conversation as a feature: greeting, help, "I did not understand", the residents'
and conversations' tables, and the texts of the core and of the chat platforms."""
from __future__ import annotations

from bot import models
from bot.feature import Feature

FEATURE = Feature(
    name="conversation",
    intents=("greet", "help", "unknown"),
    texts=("core", "telegram", "matrix", "terminal"),
    models=(models,),
)
