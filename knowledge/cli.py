"""``civicbot import ...``: fill the knowledge base from open-data files and portals.

Each import runs in one transaction: a bad record stops it with a message naming the line or
record, and nothing is imported. Re-importing the same data updates rows, never duplicates them.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path

import click
from sqlalchemy import delete, select
from tqdm import tqdm

from bot import db
from bot.config import Settings
from bot.files import private_dir
from knowledge.cache import note_change
from knowledge.importers import ImportFailed, Origin, Writer, prepare_bulk
from knowledge.importers.geojson import import_areas
from knowledge.importers.pack import import_pack
from knowledge.importers.plain import import_plain
from knowledge.importers.remote import import_ckan, import_ods_catalog, import_ods_records, portal_origin
from knowledge.importers.rne import ORIGIN as RNE_ORIGIN
from knowledge.importers.rne import import_rne
from knowledge.importers.scdl import DEFAULT_BODY, import_deliberations
from knowledge.models import MODELS, SearchEntry

Work = Callable[[Writer], Awaitable[None]]
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def run_import(settings: Settings, work: Work, label: str) -> Writer:
    """Run an import in one transaction with a progress bar; raise ClickException on failure."""

    async def main() -> Writer:
        private_dir(settings.data_dir)
        engine = db.create_engine(settings.effective_database_url)
        try:
            await db.migrate(engine)
            async with db.session_factory(engine)() as session:
                await prepare_bulk(session)
                with tqdm(desc=label, unit=" rows", disable=None, leave=False) as bar:
                    writer = Writer(session, bar)
                    await work(writer)
                    await writer.finish()
                await session.commit()
                await writer.analyze()
                await session.commit()
                return writer
        finally:
            await engine.dispose()

    try:
        writer = asyncio.run(main())
    except ImportFailed as error:
        raise click.ClickException(f"{error} — nothing was imported") from None
    for warning in writer.warnings:
        click.echo(f"warning: {warning}", err=True)
    counts = ", ".join(f"{count} {kind}(s)" for kind, count in sorted(writer.counts.items()))
    click.echo(f"done: {counts or 'nothing to do'}")
    if writer.tally.by_kind:
        click.echo(writer.tally.summary())
    return writer


def provenance_options(default: Origin | None = None):
    """--source/--source-url/--licence/--date options, folded into an ``origin`` argument."""

    def decorate(command):
        @click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]),
                      help="The source's own date (of publication, or the portal's modification "
                           "date) [default: none; answers then give the import date, labelled "
                           "as such].")
        @click.option("--licence", default=default.licence if default else "", show_default=bool(default))
        @click.option("--source-url", default=default.source_url if default else "",
                      show_default=bool(default))
        @click.option("--source", default=default.source if default else "",
                      show_default=bool(default),
                      help="Who publishes the data, shown with every answer (required unless "
                           "the file has a source column).")
        @wraps(command)
        def wrapper(*args, source, source_url, licence, day, **kwargs):
            origin = Origin(source=source, source_url=source_url, licence=licence,
                            source_date=day.date() if day else None)
            return command(*args, origin=origin, **kwargs)

        return wrapper

    return decorate


ENCODING = click.option("--encoding", default=None,
                        help="Text encoding of the file, e.g. latin-1 [default: detected].")


@click.group(name="import")
def import_group() -> None:
    """Import open data into the knowledge base (see docs/operate/knowledge-import.md)."""


@import_group.command()
@click.argument("path", type=FILE)
@click.option("--commune", "communes", multiple=True,
              help="INSEE code of a commune to keep (repeatable); default: every commune.")
@ENCODING
@provenance_options(RNE_ORIGIN)
@click.pass_obj
def rne(settings: Settings, path: Path, communes: tuple[str, ...], encoding: str | None,
        origin: Origin) -> None:
    """Elected officials from the Répertoire national des élus (elus-conseillers-municipaux-cm.csv)."""
    run_import(settings, lambda writer: import_rne(writer, path, set(communes), origin, encoding),
               "officials")


@import_group.command()
@click.argument("path", type=FILE)
@click.option("--body", default=DEFAULT_BODY, show_default=True, help="The deliberating body.")
@ENCODING
@provenance_options()
@click.pass_obj
def deliberations(settings: Settings, path: Path, body: str, encoding: str | None, origin: Origin) -> None:
    """Council deliberations in the SCDL CSV format."""
    run_import(settings, lambda writer: import_deliberations(writer, path, origin, body, encoding),
               "deliberations")


@import_group.command()
@click.argument("path", type=FILE)
@click.option("--city", help="Only the features of this commune (property libcom).")
@click.option("--name-property", metavar="PROPERTY",
              help="The feature property holding the name, e.g. LIBQUART [default: toponyme, "
                   "nom, name, NOM or libelle].")
@provenance_options()
@click.pass_obj
def areas(settings: Settings, path: Path, city: str | None, name_property: str | None,
          origin: Origin) -> None:
    """Neighbourhoods, or the communes of a metropolis, from GeoJSON (e.g. Opendatasoft exports)."""
    run_import(settings, lambda writer: import_areas(writer, path, origin, city, name_property),
               "areas")


def _plain_command(kind: str, help_text: str) -> None:
    @import_group.command(name=f"{kind}s", help=help_text)
    @click.argument("path", type=FILE)
    @ENCODING
    @provenance_options()
    @click.pass_obj
    def command(settings: Settings, path: Path, encoding: str | None, origin: Origin) -> None:
        run_import(settings, lambda writer: import_plain(writer, kind, path, origin, encoding),
                   f"{kind}s")


_plain_command("service", "Public services from the plain CSV format (see docs/operate/knowledge-import.md).")
_plain_command("fact", "Figures (budget lines, populations...) from the plain CSV format.")
_plain_command("street", "Streets and their quartier from the plain CSV format.")


@import_group.command(name="ods-catalog")
@click.argument("portal")
@click.option("--source", help="Name of the portal shown with answers [default: its host].")
@click.pass_obj
def ods_catalog(settings: Settings, portal: str, source: str | None) -> None:
    """The dataset catalogue of an Opendatasoft portal (Explore API v2.1)."""
    origin = portal_origin(portal, source)
    run_import(settings, lambda writer: import_ods_catalog(writer, portal, origin), "datasets")


@import_group.command(name="ods-records")
@click.argument("portal")
@click.argument("dataset")
@click.option("--into", type=click.Choice(["area", "service", "fact", "street"]), required=True)
@click.option("--map", "mappings", multiple=True, metavar="COLUMN=FIELD",
              help="Take a plain-format column from a record field, e.g. name=nom_complet.")
@click.option("--source", help="Name of the source shown with answers [default: the portal's host].")
@click.option("--licence", default="")
@click.pass_obj
def ods_records(settings: Settings, portal: str, dataset: str, into: str,
                mappings: tuple[str, ...], source: str | None, licence: str) -> None:
    """Records of an Opendatasoft dataset as areas, services, facts or streets."""
    mapping = {}
    for item in mappings:
        column, separator, field = item.partition("=")
        if not separator or not column or not field:
            raise click.BadParameter(f"{item!r}: expected COLUMN=FIELD", param_hint="--map")
        mapping[column.strip()] = field.strip()
    origin = portal_origin(portal, source, licence)
    run_import(settings, lambda writer: import_ods_records(writer, portal, dataset, into, mapping,
                                                           origin), into + "s")


@import_group.command()
@click.argument("portal")
@click.option("--source", help="Name of the portal shown with answers [default: its host].")
@click.pass_obj
def ckan(settings: Settings, portal: str, source: str | None) -> None:
    """The dataset catalogue of a CKAN portal (package_search)."""
    origin = portal_origin(portal, source)
    run_import(settings, lambda writer: import_ckan(writer, portal, origin), "datasets")


@import_group.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
def pack(settings: Settings, folder: Path) -> None:
    """A city pack: a folder with pack.yaml and data files (like knowledge/demo)."""
    run_import(settings, lambda writer: import_pack(writer, folder), "rows")


@import_group.command(name="remove-demo")
@click.pass_obj
def remove_demo(settings: Settings) -> None:
    """Delete the demonstration data (set CIVICBOT_DEMO_DATA=false so it is not loaded again)."""

    async def work(writer: Writer) -> None:
        note_change(writer.session)
        for kind, model in MODELS.items():
            keys = select(model.key).where(model.demo.is_(True))
            await writer.session.execute(delete(SearchEntry).where(
                SearchEntry.kind == kind, SearchEntry.ref_key.in_(keys)))
            result = await writer.session.execute(delete(model).where(model.demo.is_(True)))
            writer.counts[f"{kind} removed"] += db.affected_rows(result)

    run_import(settings, work, "demo rows")
