"""A feature: one domain of civicbot (contributions, hand-over, ...) declared in one place.

Each feature's package has a ``feature.py`` whose ``FEATURE`` says everything the application
needs to know about it; ``bot/features.py`` lists them, and the command line, ``civicbot serve``,
the HTTP server, the migrations and intent discovery go through that list (nothing is found by
name or registered at import). The assembled bot is passed to the hooks as ``bot``
(:class:`bot.app.CivicBot`; typed ``Any`` here, since this module sits below the core so that
every layer, knowledge too, may declare a feature). See docs/develop/adding-a-feature.md.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import click
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import LOCALE_DIR
from bot.outbox import OutboxEntry

StartupHook = Callable[[Any], Awaitable[None]]  # async def setup(bot)
Service = Callable[[Any, asyncio.Event], Awaitable[None]]  # async def run(bot, stop): until stop is set
RouteSetup = Callable[[web.Application, Any], None]  # def setup_routes(app, bot)
OutboxHandler = Callable[[Any, OutboxEntry], Awaitable[None]]  # async def send(bot, entry)
OpenApiPart = Callable[[Settings], dict[str, Any]]  # {"paths": ..., "components": {"schemas": ...}}
Gauges = Callable[[AsyncSession], Awaitable[None]]  # sets its gauges from the database
Forget = Callable[[Any, AsyncSession, Any], Awaitable[object]]  # async def forget(bot, session, user)
Audience = Callable[[Any, AsyncSession, Any], Awaitable[int]]  # async def queue(bot, session, publication) -> rows


@dataclass(frozen=True)
class Feature:
    """What one feature brings; every part is optional."""

    name: str
    intents: tuple[str, ...] = ()  # its modules in intents/ (each with its .yaml)
    texts: tuple[str, ...] = ()  # its shared texts: <locale_dir>/<domain>.<lang>.yaml, read as <domain>.<key>
    locale_dir: Path = LOCALE_DIR
    models: tuple[ModuleType, ...] = ()  # the modules that define its tables (for the migrations)
    startup: tuple[StartupHook, ...] = ()  # run in order once the bot is assembled
    routes: RouteSetup | None = None  # adds its routes to the HTTP server
    openapi: OpenApiPart | None = None  # its share of /api/v1/openapi.json
    services: tuple[Service, ...] = ()  # civicbot serve: in every process
    leader_services: tuple[Service, ...] = ()  # civicbot serve: in the process that leads only
    commands: tuple[click.Command, ...] = ()  # civicbot subcommands
    outbox_handlers: Mapping[str, OutboxHandler] = field(default_factory=dict)  # by outbox kind
    gauges: tuple[Gauges, ...] = ()  # read afresh at each /metrics scrape
    forget: Forget | None = None  # erases a resident ("forget me"), in the caller's transaction
    audience: Audience | None = None  # queues a new publication for its recipients on its channel


def collisions(features: tuple[Feature, ...]) -> list[str]:
    """What two features of the list both claim (a name, an intent, an outbox kind, a command)."""
    claims: dict[str, str] = {}
    clashes = []
    for feature in features:
        for claim in (f"feature {feature.name}", *(f"intent {name}" for name in feature.intents),
                      *(f"outbox kind {kind}" for kind in feature.outbox_handlers),
                      *(f"command {command.name}" for command in feature.commands)):
            if claim in claims:
                clashes.append(f"{claim} ({claims[claim]} and {feature.name})")
            claims[claim] = feature.name
    return clashes
