"""Assembly of the core: settings -> database -> intents, catalog, NLU -> router; the port the
chat connectors use (:class:`bot.ports.ChatCore`)."""
from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import db, metrics
from bot.config import Settings
from bot.dates import date_extractor
from bot.entities import EntityExtractors, topic_extractor
from bot.feature import Feature, collisions
from bot.files import private_dir
from bot.flood import FloodControl
from bot.i18n import Catalog
from bot.intent import IntentSpec, discover, examples_by_language
from bot.language import LanguageDetector
from bot.mailbox import Mailbox
from bot.messages import Choice, IncomingMessage, Reply
from bot.models import ConnectorState, User
from bot.nlu import Nlu
from bot.outbox import Handler as OutboxHandler
from bot.pseudonym import Pseudonymizer, load_or_create_secret
from bot.router import Router
from bot.yamlfile import load_file

log = logging.getLogger(__name__)
TOPIC_SYNONYMS_FILE = Path(__file__).parent / "topics.yaml"



class FeatureError(RuntimeError):
    """The list of features cannot make one bot (two claim the same thing); the message says what."""


def load_topic_synonyms() -> dict[str, list[str]]:
    return load_file(TOPIC_SYNONYMS_FILE) or {}


def load_intents(features: tuple[Feature, ...]) -> dict[str, IntentSpec]:
    """The intents the features list, by name."""
    return discover(name for feature in features for name in feature.intents)


def load_catalog(features: tuple[Feature, ...], intents: dict[str, IntentSpec]) -> Catalog:
    """The features' shared texts and the intents' own."""
    return Catalog.load({name: spec.messages for name, spec in intents.items()},
                        [(feature.locale_dir, domain) for feature in features for domain in feature.texts])


@dataclass
class CivicBot:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    intents: dict[str, IntentSpec]
    catalog: Catalog
    nlu: Nlu
    pseudonymizer: Pseudonymizer
    features: tuple[Feature, ...] = ()
    languages: LanguageDetector = field(default_factory=LanguageDetector)
    outbox_handlers: dict[str, OutboxHandler] = field(default_factory=dict)  # by kind, for this bot
    router: Router = field(init=False)
    flood: FloodControl = field(init=False)
    mailbox: Mailbox = field(init=False)

    def __post_init__(self) -> None:
        self.router = Router(self)
        self.mailbox = Mailbox(self.sessions)
        self.flood = FloodControl(self.settings.flood_messages, self.settings.flood_seconds,
                                  self.catalog, self.settings.default_language)

    @classmethod
    async def create(cls, settings: Settings, engine: AsyncEngine | None = None, *,
                     features: tuple[Feature, ...]) -> CivicBot:
        """Open (and migrate) the database and load the features' intents, catalogs, outbox
        handlers and the NLU, then run the features' start-up hooks in order."""
        clashes = collisions(features)
        if clashes:
            raise FeatureError("features claim the same thing: " + "; ".join(clashes))
        private_dir(settings.data_dir)
        engine = engine or db.create_engine(settings.effective_database_url)
        await db.migrate(engine)
        intents = load_intents(features)
        extractors = EntityExtractors(
            [date_extractor(settings.timezone), topic_extractor(settings.topics, load_topic_synonyms())]
        )
        bot = cls(
            settings=settings,
            engine=engine,
            sessions=db.session_factory(engine),
            intents=intents,
            catalog=load_catalog(features, intents),
            nlu=Nlu(intents, settings.nlu_threshold, extractors),
            languages=LanguageDetector(examples=examples_by_language(intents)),
            pseudonymizer=Pseudonymizer(load_or_create_secret(settings.data_dir, settings.secret)),
            features=features,
        )
        bot.outbox_handlers = {kind: partial(handler, bot) for feature in features
                               for kind, handler in feature.outbox_handlers.items()}
        for feature in features:
            for hook in feature.startup:
                await hook(bot)
        return bot

    def intent_choice(self, intent: str, lang: str) -> Choice:
        """A button that starts ``intent``: labelled from the catalog, valued with its command."""
        return Choice(self.catalog.get(f"core.choice.{intent}", lang),
                      "/" + self.intents[intent].commands[0])

    async def handle(self, message: IncomingMessage) -> Reply:
        started = time.perf_counter()
        reply = await self.router.handle(message)
        metrics.count_reply(message.platform, reply.intent, time.perf_counter() - started)
        return reply

    async def close(self) -> None:
        await self.engine.dispose()

    @property
    def extractors(self) -> EntityExtractors:
        """The NLU's entity extractors, which start-up hooks may add to."""
        return self.nlu.extractors

    # The port of the chat connectors (bot.ports.ChatCore)

    @property
    def commands(self) -> Collection[str]:
        return self.router.commands.keys()

    async def resident_unreachable(self, platform: str, user_id: str) -> None:
        user_hash = self.pseudonymizer.user_hash(platform, user_id)
        async with self.sessions() as session:
            await session.execute(update(User).where(User.platform == platform, User.user_hash == user_hash)
                                  .values(active=False))
            await session.commit()

    async def forget_resident(self, platform: str, user_id: str) -> None:
        user_hash = self.pseudonymizer.user_hash(platform, user_id)
        async with self.sessions.begin() as session:
            resident = await session.scalar(select(User).where(User.platform == platform,
                                                               User.user_hash == user_hash))
            if resident is not None:
                for feature in self.features:
                    if feature.forget is not None:
                        await feature.forget(self, session, resident)

    async def load_state(self, key: str) -> str | None:
        async with self.sessions() as session:
            return await session.scalar(select(ConnectorState.value).where(ConnectorState.key == key))

    async def save_state(self, key: str, value: str | None) -> None:
        async with self.sessions() as session:
            if value is None:
                await session.execute(delete(ConnectorState).where(ConnectorState.key == key))
            else:
                await session.merge(ConnectorState(key=key, value=value))
            await session.commit()
