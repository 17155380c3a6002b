"""The ``civicbot`` command line."""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from bot import logs
from bot.app import CivicBot
from bot.command_line import FEATURES_KEY, run_with_bot
from bot.config import ConfigError, Settings, load_settings
from bot.feature import Feature
from bot.features import FEATURES


@click.command()
@click.option("--user", default="terminal", show_default=True,
              help="Who is talking: one script can play several residents.")
@click.pass_obj
def chat(settings: Settings, user: str) -> None:
    """Chat with the bot in the terminal.

    On a terminal it is interactive (line editing, history; Ctrl-D or Ctrl-C quits); otherwise
    it reads one message per line and prints each reply, e.g.
    printf 'bonjour\\naide\\n' | civicbot chat. Share a location with /position LAT LON.
    Logs go to standard error from WARNING up, or to CIVICBOT_LOG_FILE.
    """
    from connectors.terminal import TerminalConnector, configure_chat_logging

    configure_chat_logging(settings)

    async def work(bot: CivicBot) -> None:
        terminal = TerminalConnector(bot, user=user)
        try:
            await terminal.start()
        finally:
            await terminal.stop()

    try:
        run_with_bot(work, settings)
    except KeyboardInterrupt:
        click.echo()


def _utterances(texts: tuple[str, ...], jsonl: bool) -> list[tuple[str | None, Any]]:
    """(text, error) pairs from the arguments or from JSON lines on standard input."""
    if not jsonl:
        return [(text, None) for text in texts]
    items: list[tuple[str | None, Any]] = []
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
            items.append((text, None))
        except (ValueError, KeyError, TypeError) as error:
            items.append((None, f"line {number}: expected {{\"text\": ...}} ({error})"))
    return items


@click.command()
@click.argument("texts", nargs=-1)
@click.option("--jsonl", is_flag=True, help='Read JSON lines {"text": ...} from standard input.')
@click.pass_obj
def nlu(settings: Settings, texts: tuple[str, ...], jsonl: bool) -> None:
    """Classify utterances: one JSON object {text, intent, confidence, entities} per line."""
    items = _utterances(texts, jsonl)

    async def work(bot: CivicBot) -> None:
        for text, error in items:
            if text is None:  # a line that could not be read
                click.echo(json.dumps({"text": None, "error": error}, ensure_ascii=False))
            else:
                click.echo(json.dumps(bot.nlu.classify(text).as_json(), ensure_ascii=False))

    run_with_bot(work, settings)


@click.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run every configured connector (Telegram, Matrix) and the HTTP API until stopped.

    Without any chat connector configured, the HTTP API, the agent console and the background
    services run alone (a log line says so). SIGTERM or SIGINT (Ctrl-C) stops it cleanly: the
    messages in hand are answered first.
    """
    from bot.serve import StartError, run

    try:
        run(ctx.obj, ctx.meta[FEATURES_KEY])
    except (ConfigError, StartError) as error:
        raise click.ClickException(str(error)) from None


def build_cli(features: tuple[Feature, ...] = FEATURES) -> click.Group:
    """The ``civicbot`` command: the core's subcommands and those of ``features``."""

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.pass_context
    def civicbot(ctx: click.Context) -> None:
        """civicbot: the civic assistant a city runs for its residents.

        Settings come from CIVICBOT_* environment variables and an optional TOML file
        (CIVICBOT_CONFIG, default civicbot.toml in the data directory); see docs/operate/configuration.md.
        """
        try:
            settings = load_settings()
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        logs.configure(settings)
        ctx.obj = settings
        ctx.meta[FEATURES_KEY] = features

    for command in (chat, nlu, serve, *(command for feature in features for command in feature.commands)):
        civicbot.add_command(command)
    return civicbot


cli = build_cli()


def main() -> None:
    cli(prog_name="civicbot")
