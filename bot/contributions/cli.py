"""``civicbot maintenance``: the retention limit and the other periodic work, once, now."""
from __future__ import annotations

import json

import click

from bot.app import CivicBot
from bot.command_line import run_with_bot
from bot.config import Settings
from bot.contributions.maintenance import run_maintenance


@click.command()
@click.pass_obj
def maintenance(settings: Settings) -> None:
    """Cut links between residents and contributions older than retention_days, publish the
    results of closed polls, follow Open311 statuses, delete closed hand-over conversations and
    delivered messages past their retention; print what was done as JSON.

    civicbot serve does the same by itself (daily for the retention limit)."""

    async def work(bot: CivicBot) -> dict[str, int]:
        return await run_maintenance(bot)

    click.echo(json.dumps(run_with_bot(work, settings)))
