"""``tonematch timeline CUSTOMER`` and ``tonematch compare CUSTOMER BEFORE AFTER``: a customer's skin over time,
read from the service's Redis (``REDIS_URL``), as a table or as the API's JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from api.cli.common import with_measurements

if TYPE_CHECKING:
    from api.measurements.analysis_schemas import ComparisonOut, TimelineOut

FORMAT = click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output"
)


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _timeline_table(found: TimelineOut) -> str:
    lines = [f"{'date':<17} {'source':<10} {'L*':>6} {'a*':>6} {'b*':>6} {'melanin':>8} {'erythema':>8} "
             f"{'uneven':>7} {'spots':>6}  formulation"]  # fmt: skip
    for p in found.points:
        lines.append(
            f"{p.created_at:%Y-%m-%d %H:%M} {p.source:<10} {p.lab.L:6.1f} {p.lab.a:6.1f} {p.lab.b:6.1f} "
            f"{_number(p.melanin_od, 3):>8} {_number(p.erythema_uM_cm):>8} {_number(p.evenness_dE00):>7} "
            f"{_number(None if p.spot_area_share is None else 100 * p.spot_area_share, 1) + '%':>6}  "
            f"{p.formulation_id or '-'}"
        )
    if not found.points:
        lines.append("(no measurement kept)")
    lines += ["", *(m.verdict for m in found.metrics)]
    if found.formulations:
        lines += ["", "formulations (the recipe changed on each date):"]
        lines += [
            f"  {f.created_at:%Y-%m-%d %H:%M} {f.formulation_id} from {f.measurement_id}, {f.coverage}, "
            f"target L* {f.target_lab.L:.1f} a* {f.target_lab.a:.1f} b* {f.target_lab.b:.1f}"
            for f in found.formulations
        ]
    return "\n".join(lines)


def _comparison_table(found: ComparisonOut) -> str:
    lines = [
        f"before {found.before.measurement_id} ({found.before.created_at:%Y-%m-%d %H:%M}, {found.before.source})",
        f"after  {found.after.measurement_id} ({found.after.created_at:%Y-%m-%d %H:%M}, {found.after.source}), "
        f"{found.days_between:g} days later",
        "",
        f"{'metric':<34} {'region':<12} {'before':>8} {'after':>8} {'change':>8} {'±95 %':>7}  verdict",
    ]
    for m in found.metrics:
        verdict = {True: "beyond noise", False: "within noise", None: "cannot tell"}[m.beyond_noise]
        lines.append(
            f"{m.label:<34} {m.region or '-':<12} {_number(m.before, 3):>8} {_number(m.after, 3):>8} "
            f"{m.difference:>+8.3f} {_number(m.combined_95, 3):>7}  {verdict}"
        )
    return "\n".join([*lines, "", found.summary])


@click.command("timeline")
@click.argument("customer")
@FORMAT
def timeline(customer: str, output: str) -> None:
    """A customer's measurements oldest first, each metric's change and trend, and the formulations made."""
    found = with_measurements(lambda service: service.timeline(customer))
    click.echo(found.model_dump_json(indent=2) if output == "json" else _timeline_table(found))


@click.command("compare")
@click.argument("customer")
@click.argument("before")
@click.argument("after")
@FORMAT
def compare(customer: str, before: str, after: str, output: str) -> None:
    """Two of a customer's measurements (ids BEFORE and AFTER) compared, each change against the noise."""
    found = with_measurements(lambda service: service.compare(customer, before, after))
    click.echo(found.model_dump_json(indent=2) if output == "json" else _comparison_table(found))
