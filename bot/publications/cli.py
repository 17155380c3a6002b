"""``civicbot publish FILE``: what ``POST /api/v1/publications`` does, from the command line,
with a progress bar until the delivery (by ``civicbot serve``) ends."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import yaml
from tqdm import tqdm

from bot import outbox
from bot.api.requests import RequestError
from bot.app import CivicBot
from bot.command_line import run_with_bot
from bot.config import Settings
from bot.publications import service
from bot.publications.models import KINDS
from bot.publications.schema import Progress, parse_publication

POLL_SECONDS = 0.5


def read_content(path: Path) -> dict[str, Any]:
    """A JSON or YAML file holds the API's fields; any other file is a title line, then the text."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"cannot read {path}: {error}", param_hint="FILE") from None
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        try:
            data = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
        except (ValueError, yaml.YAMLError) as error:
            raise click.BadParameter(f"{path} is not valid {path.suffix[1:].upper()}: {error}",
                                     param_hint="FILE") from None
        if not isinstance(data, dict):
            raise click.BadParameter(f"{path} must hold a mapping of the publication's fields", param_hint="FILE")
        return data
    title, _, text = raw.strip().partition("\n")
    return {"title": {"fr": title.strip()}, "text": {"fr": text.strip()}}


def _request(content: dict[str, Any], english: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
    request = dict(content)
    if english:
        request["title"] = {**request.get("title", {}), "en": english["title"]["fr"]}
        request["text"] = {**request.get("text", {}), "en": english["text"]["fr"]}
    for name in ("topics", "areas", "officials"):
        if options[name]:
            request[name] = [*request.get(name, []), *options[name]]
    for name in ("kind", "link"):
        if options[name]:
            request[name] = options[name]
    request.setdefault("kind", "news")
    if options["at"]:
        request["scheduled_at"] = options["at"].isoformat()
    return request


async def _follow(bot: CivicBot, publication_id: int, targeted: int) -> Progress:
    """Show the delivery as it goes; return once nothing is pending."""
    with tqdm(total=targeted, unit="msg", desc=f"publication {publication_id}") as bar:
        while True:
            async with bot.sessions() as session:
                described = await service.find(session, publication_id)
            assert described is not None  # published by this command
            progress = described.progress
            bar.update(progress.targeted - progress.pending - bar.n)
            bar.set_postfix(sent=progress.sent, failed=progress.failed, blocked=progress.blocked)
            if progress.pending == 0:
                return progress
            await asyncio.sleep(POLL_SECONDS)


@click.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--topic", "topics", multiple=True, help="A topic of the city's list (repeatable).")
@click.option("--area", "areas", multiple=True, help="A quartier it concerns (repeatable).")
@click.option("--official", "officials", multiple=True, help="An elected official it names (repeatable).")
@click.option("--kind", type=click.Choice(KINDS), help="Default: news (or the file's).")
@click.option("--link", help="A web page with more (http:// or https://).")
@click.option("--english", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The English version: a title line, then the text.")
@click.option("--at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              help="Deliver at this time (city time), not now.")
@click.option("--no-wait", is_flag=True, help="Return once queued, without following the delivery.")
@click.pass_obj
def publish(settings: Settings, file: Path, no_wait: bool, english: Path | None, **options: Any) -> None:
    """Publish FILE to the subscribers it concerns and follow the delivery.

    FILE is a title line followed by the text (French), or a JSON/YAML file with the fields of
    POST /api/v1/publications. The messages are sent by civicbot serve; Ctrl-C stops following,
    not the delivery.
    """

    if options["at"]:
        options["at"] = options["at"].replace(tzinfo=ZoneInfo(settings.timezone))
    request = _request(read_content(file), read_content(english) if english else None, options)
    try:
        checked = parse_publication(json.dumps(request))
    except RequestError as error:
        raise click.UsageError(f"{error.field}: {error.message}") from None

    async def work(bot: CivicBot) -> None:
        async with bot.sessions() as session:
            try:
                publication = await service.publish(session, checked, bot, "cli")
            except RequestError as error:
                raise click.UsageError(f"{error.field}: {error.message}") from None
            await session.commit()
        outbox.notify()
        plural = "" if publication.targeted == 1 else "s"
        click.echo(f"publication {publication.id}: {publication.targeted} recipient{plural}")
        if no_wait or not publication.targeted:
            return
        if publication.scheduled_at:
            click.echo(f"scheduled for {options['at']:%Y-%m-%d %H:%M}; follow it with the API")
            return
        click.echo("civicbot serve delivers it; Ctrl-C stops following, not the delivery", err=True)
        done = await _follow(bot, publication.id, publication.targeted)
        click.echo(f"sent {done.sent}, failed {done.failed}, blocked {done.blocked}, cancelled {done.cancelled}")

    try:
        run_with_bot(work, settings)
    except KeyboardInterrupt:
        click.echo("\nstopped following; the delivery goes on", err=True)
