"""What the ``civicbot`` subcommands share, whichever feature declares them: opening the bot.

``bot.cli`` keeps the features it was built with in the click context; a subcommand opens the
bot with them through :func:`run_with_bot`, so that no feature imports the command line.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from bot.app import CivicBot
from bot.config import Settings
from bot.feature import Feature

FEATURES_KEY = "civicbot.features"
T = TypeVar("T")


def run_with_bot(work: Callable[[CivicBot], Awaitable[T]], settings: Settings) -> T:
    """Open the bot of the running ``civicbot`` command (migrating the database), run ``work``,
    and close it."""
    features: tuple[Feature, ...] = click.get_current_context().meta[FEATURES_KEY]

    async def main() -> T:
        bot = await CivicBot.create(settings, features=features)
        try:
            return await work(bot)
        finally:
            await bot.close()

    return asyncio.run(main())
