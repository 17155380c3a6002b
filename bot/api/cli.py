"""``civicbot token``: create, list and revoke the API's bearer tokens."""
from __future__ import annotations

import click

from bot.api import tokens
from bot.app import CivicBot
from bot.command_line import run_with_bot
from bot.config import Settings

SCOPE_HELP = "; ".join(f"{name}: {what}" for name, what in tokens.SCOPES.items())


@click.group("token")
def token() -> None:
    """Bearer tokens for the HTTP API (shown once, stored hashed)."""


@token.command("create")
@click.option("--scope", "scopes", multiple=True, required=True, help=f"Repeatable. {SCOPE_HELP}.")
@click.option("--name", default="", help="Who or what uses it, e.g. 'city website'.")
@click.pass_obj
def create(settings: Settings, scopes: tuple[str, ...], name: str) -> None:
    """Create a token and print it (it cannot be shown again)."""
    try:
        tokens.check_scopes(scopes)
    except tokens.ScopeError as error:
        raise click.BadParameter(str(error), param_hint="--scope") from None

    async def work(bot: CivicBot) -> str:
        async with bot.sessions() as session:
            row, secret = await tokens.create_token(session, name or ", ".join(scopes), scopes)
            await session.commit()
            click.echo(f"token {row.id} ({row.name}) with scopes {', '.join(row.scopes)}:", err=True)
            return secret

    click.echo(run_with_bot(work, settings))
    click.echo("Keep it now: only its hash is stored.", err=True)


@token.command("list")
@click.pass_obj
def list_(settings: Settings) -> None:
    """List the tokens (never their secret)."""

    async def work(bot: CivicBot) -> None:
        async with bot.sessions() as session:
            rows = await tokens.list_tokens(session)
        if not rows:
            click.echo("no token; create one with: civicbot token create --scope publish")
        for row in rows:
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            click.echo(f"{row.id}\t{row.prefix}…\t{row.name}\t{','.join(row.scopes)}\t"
                       f"created {row.created_at:%Y-%m-%d}\tlast used {used}\t{state}")

    run_with_bot(work, settings)


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def revoke(settings: Settings, token_id: int) -> None:
    """Revoke a token by its id (see ``civicbot token list``); it stops working at once."""

    async def work(bot: CivicBot) -> bool:
        async with bot.sessions() as session:
            done = await tokens.revoke_token(session, token_id)
            await session.commit()
            return done

    if not run_with_bot(work, settings):
        raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"token {token_id} revoked")
