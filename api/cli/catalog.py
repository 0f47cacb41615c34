"""``tonematch catalog``: the shade catalogue by source: import (replacing one source), list, export, delete.

Each command runs against the service's Redis (``REDIS_URL``), or the embedded one under the data folder
(the running service's, or one started for the command). The work is ``api.catalog_admin.service``'s, as over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from api.cli.common import load_settings, write_whole

if TYPE_CHECKING:
    from api.catalog_admin.schemas import ImportReportOut
    from api.catalog_admin.service import CatalogAdminService

T = TypeVar("T")
COLOUR_SPACES = ("sRGB", "CIELAB D65")
SHOWN_LINES = 10


def _run(action: Callable[[CatalogAdminService], Awaitable[T]], failed: str) -> T:
    """``action`` on the catalogue service over the configured Redis; a click error for what it refuses."""
    import anyio

    from api.catalog_admin.service import CatalogAdminService
    from api.errors import ApiError
    from api.storage import Storage
    from api.storage.client import StorageError
    from infra.redis_server import RedisServer, RedisServerError, answers_ping

    settings = load_settings()
    with ExitStack() as stack:
        if settings.redis_url is None:  # the embedded Redis: the running service's, or started just for this
            server = RedisServer(data_dir=settings.data_dir.resolve() / "redis", binary=settings.redis_server_binary)
            if not answers_ping(str(server.socket_path)):
                try:
                    stack.enter_context(server)
                except RedisServerError as exc:
                    raise click.ClickException(str(exc)) from exc
            settings = settings.model_copy(update={"redis_url": server.url, "redis_cluster": False})

        async def run() -> T:
            storage = Storage.open(settings)
            try:
                service = CatalogAdminService(
                    storage.shades, max_bytes=settings.max_catalogue_bytes, limiter=anyio.CapacityLimiter(1)
                )
                return await action(service)
            finally:
                await storage.aclose()

        try:
            return asyncio.run(run())
        except ApiError as exc:
            raise click.ClickException(f"{failed}: {exc.detail}") from exc
        except StorageError as exc:
            raise click.ClickException(f"{failed}: Redis failed: {exc}") from exc


def _lines(lines: list[int], total: int | None = None) -> str:
    """The first lines, and how many more: ``total`` when ``lines`` is a report's truncated list."""
    shown = ", ".join(str(line) for line in lines[:SHOWN_LINES])
    more = (len(lines) if total is None else total) - min(len(lines), SHOWN_LINES)
    if not shown:
        return "beyond the first rows reported"
    return shown + (f" and {more} more" if more > 0 else "")


def _echo_report(report: ImportReportOut) -> None:
    click.echo(
        f"imported {report.imported} shades into source {report.source!r} from {report.file_name} "
        f"({report.rows_read} rows read, {report.skipped_count} skipped, {report.rows_merged} merged into others) in "
        f"{report.seconds:.2f} s; it held {report.replaced} before; the catalogue now holds {report.catalogue_shades} "
        "shades"
    )
    for how, rows in report.colour_spaces.items():
        click.echo(f"colour space: {how}: {rows} rows")
    click.echo("columns read: " + ", ".join(f"{role} <- {column}" for role, column in report.columns.items()))
    for reason, count in report.skipped_reasons.items():
        lines = [row.line for row in report.skipped if row.reason == reason]
        click.echo(f"skipped {count} rows with {reason} (lines {_lines(lines, count)})")
    if report.merged_count:
        worst = report.merged[0]
        click.echo(
            f"merged {report.rows_merged + report.merged_count} rows into {report.merged_count} shades (same brand, "
            f"product, name and code; colour: their mean CIELAB); {report.merged_over_notice} spread over 1 ΔE00, "
            f"the largest {worst.spread_dE00:.2f} ΔE00: {worst.brand} {worst.product} {worst.shade_name} "
            f"{worst.shade_code} (lines {_lines(worst.lines)})"
        )


@click.group()
def catalog() -> None:
    """The shade catalogue of existing products, by source (`house` is our own range)."""


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default=None, help="Source to replace (default: the file's name, e.g. shades.csv: shades).")
@click.option(
    "--colour-space",
    type=click.Choice(COLOUR_SPACES),
    default=None,
    help="Colour space of rows without a colour_space column value (default: sRGB for a file with a hex column).",
)
@click.option("--strict", is_flag=True, help="Refuse the file if any row lacks a brand, product, name or code.")
@click.option("--approximate", is_flag=True, help="Mark shades approximate (sampled from web images).")
def catalog_import(file: Path, source: str | None, colour_space: str | None, strict: bool, approximate: bool) -> None:
    """Replace one source's shades with those of a CSV or JSON FILE; other sources are unchanged. Rows without a
    brand, product, shade name or code are skipped and reported; a bad colour refuses the file."""
    from api.catalog_admin.service import source_name_for

    name = source or source_name_for(file.name)
    settings = load_settings()
    size = file.stat().st_size
    if size > settings.max_catalogue_bytes:
        raise click.ClickException(
            f"nothing imported: {file.name} is {size} bytes; the limit is {settings.max_catalogue_bytes} "
            "(TONEMATCH_MAX_CATALOGUE_BYTES)"
        )
    data = file.read_bytes()
    file_format = "json" if file.suffix.lower() == ".json" else "csv"
    report = _run(
        lambda service: service.import_file(
            name, data, file_name=file.name, file_format=file_format, colour_space=colour_space, strict=strict,
            approximate=approximate,
        ),
        "nothing imported",
    )  # fmt: skip
    _echo_report(report)


@catalog.command("list")
@click.option("--source", default=None, help="List this source's shades (tab-separated) instead of the sources.")
def catalog_list(source: str | None) -> None:
    """The sources with their shade counts, or the shades of one source."""
    if source is not None:
        shades = _run(lambda service: service.shades(source), "cannot list")
        click.echo("brand\tproduct\tshade_name\tshade_code\tL\ta\tb\tcolour_space\tapproximate")
        for s in shades:
            L, a, b = s.Lab_D65
            click.echo(f"{s.brand}\t{s.product}\t{s.name}\t{s.code}\t{L:.2f}\t{a:.2f}\t{b:.2f}\t{s.colour_space}\t"
                       f"{'yes' if s.approximate else 'no'}")  # fmt: skip
        return
    overview = _run(lambda service: service.overview(), "cannot list")
    click.echo(f"{'source':<32} {'shades':>7}  imported")
    for entry in overview.sources:
        imported = "packaged, protected" if entry.protected else (
            f"{entry.imported_at:%Y-%m-%d %H:%M} from {entry.file_name} ({entry.rows_read} rows, {entry.rows_skipped} "
            f"skipped, {entry.rows_merged} merged)" if entry.imported_at else "-"
        )  # fmt: skip
        click.echo(f"{entry.name:<32} {entry.shades:>7}  {imported}")
    click.echo(f"{overview.shades} shades; {overview.distinct_shades} distinct in matches (each listed once)")


@catalog.command("export")
@click.option("--source", default=None, help="Export this source only (default: every source).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
def catalog_export(source: str | None, output: Path | None) -> None:
    """Write shades as CSV (CIELAB D65) that `catalog import --source NAME` reads back to the same shades."""
    text = _run(lambda service: service.export(source), "cannot export")
    if output is None:
        click.echo(text, nl=False)
        return
    write_whole(output, text)
    click.echo(f"wrote {text.count(chr(10)) - 1} shades to {output}", err=True)


@catalog.command("delete")
@click.option("--source", required=True, help="The source to delete (`house`, our own range, cannot be).")
def catalog_delete(source: str) -> None:
    """Delete one imported source and its shades; other sources are unchanged."""

    async def delete(service: CatalogAdminService) -> tuple[int, int]:
        deleted = await service.delete(source)
        return deleted, len(await service.shades())

    deleted, total = _run(delete, "nothing deleted")
    click.echo(f"deleted source {source!r} ({deleted} shades); the catalogue now holds {total} shades")
