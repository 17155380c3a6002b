"""The application's features, in one list: ``civicbot`` (its subcommands), ``civicbot serve``
(its services), the HTTP server (its routes), the migrations (the tables) and intent discovery
go through it. Adding a feature is one package with a ``feature.py`` and one line here."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.api.feature import FEATURE as API
from bot.app import CivicBot
from bot.config import Settings
from bot.contributions.feature import FEATURE as CONTRIBUTIONS
from bot.conversation import FEATURE as CONVERSATION
from bot.delivery.feature import FEATURE as DELIVERY
from bot.email.feature import FEATURE as EMAIL
from bot.feature import Feature
from bot.handover.feature import FEATURE as HANDOVER
from bot.publications.feature import FEATURE as PUBLICATIONS
from bot.subscriptions.feature import FEATURE as SUBSCRIPTIONS
from connectors.webchat_feature import FEATURE as WEBCHAT
from knowledge.feature import FEATURE as KNOWLEDGE

FEATURES: tuple[Feature, ...] = (
    CONVERSATION, KNOWLEDGE, SUBSCRIPTIONS, PUBLICATIONS, EMAIL, HANDOVER, CONTRIBUTIONS, DELIVERY, API,
    WEBCHAT,
)


async def create_bot(settings: Settings, engine: AsyncEngine | None = None,
                     features: tuple[Feature, ...] = FEATURES) -> CivicBot:
    """The bot with the application's features (or the ``features`` given)."""
    return await CivicBot.create(settings, engine, features=features)
