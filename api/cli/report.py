"""``tonematch report CUSTOMER -o FILE``: a customer's report (PNG or PDF) drawn from the service's Redis
(``REDIS_URL``), written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.cli.common import with_measurements, write_whole

if TYPE_CHECKING:
    from api.measurements.service import MeasurementService
    from api.reports.render import ReportFormat

REPORT_FORMATS: dict[str, ReportFormat] = {".png": "png", ".pdf": "pdf"}


def _output_format(output: Path, given: str | None) -> ReportFormat:
    """The format asked for (``--format``) or told by the file's extension; the two must agree."""
    by_extension = REPORT_FORMATS.get(output.suffix.lower())
    if by_extension is None:
        raise click.BadParameter(
            f"{output.name!r} has an unknown extension; use .png or .pdf.", param_hint="'-o' / '--output'"
        )
    if given is not None and given != by_extension:
        raise click.BadParameter(
            f"--format {given} does not match the file {output.name!r}; name it .{given} or leave --format out.",
            param_hint="'--format'",
        )
    return by_extension


@click.command()
@click.argument("customer")
@click.option(
    "--format", "given_format", type=click.Choice(["png", "pdf"]), default=None, help="Default: OUTPUT's extension."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="report.png (two A4 pages one above the other) or report.pdf (two A4 pages).",
)
@click.option("--before", "before_id", default=None, help="Measurement id for 'before' (default: the first).")
@click.option("--after", "after_id", default=None, help="Measurement id for 'after' (default: the latest).")
def report(customer: str, given_format: str | None, output: Path, before_id: str | None, after_id: str | None) -> None:
    """Draw CUSTOMER's report: colour swatches over time, trends, the face's regions, before and after, the
    conditions and the consent. Made from the measurements in Redis; written to OUTPUT, nowhere else."""
    import anyio

    from api.reports.service import ReportService

    image_format = _output_format(output, given_format)
    if not output.parent.is_dir():
        raise click.BadParameter(f"the folder {str(output.parent)!r} does not exist.", param_hint="'-o' / '--output'")

    async def draw(measurements: MeasurementService) -> bytes:
        reports = ReportService(measurements, limiter=anyio.CapacityLimiter(1))
        drawn = await reports.render(customer, image_format, before_id=before_id, after_id=after_id)
        return drawn.content

    content = with_measurements(draw, failing=f"no report for {customer!r}: ")
    write_whole(output, content)  # never a half-written report under the name asked for
    click.echo(f"wrote {output} ({image_format}, {len(content) // 1024} KB): the report of {customer}")
