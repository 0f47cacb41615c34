"""``tonematch timeline CUSTOMER`` and ``tonematch compare CUSTOMER BEFORE AFTER``: a customer's skin over time,
read from the service's Redis (``REDIS_URL``), as a table or as the API's JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from api.cli.common import with_measurements

if TYPE_CHECKING:
    from api.measurements.analysis_schemas import ComparisonOut, TimelineOut

FORMAT = click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output"
)


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def region_lines(result: dict[str, Any]) -> list[str]:
    """A photo measurement's regions (``PhotoResultOut`` as JSON), one line each with the metrics it has, and the
    right cheek against the left: what ``tonematch measure`` prints."""
    lines = ["regions (95 % half-widths; the hex is for display only):"]
    lines += [f"  {_region_text(region)}" for region in result.get("regions") or []]
    if (sides := result.get("left_right")) is not None:
        evenness = "" if sides["evenness_dE00"] is None else f", unevenness {sides['evenness_dE00']:+.2f} ΔE00"
        lines.append(
            f"  right - left cheek: {sides['difference_dE00']:.2f} ΔE00, melanin {sides['melanin_od']:+.3f} OD, "
            f"erythema {sides['erythema_uM_cm']:+.2f} µM·cm{evenness}"
        )
    return lines


def _plus_minus(value: float, half_width: float | None, digits: int, unit: str) -> str:
    return f"{value:+.{digits}f}" + ("" if half_width is None else f" ±{half_width:.{digits}f}") + f" {unit}"


def _region_text(region: dict[str, Any]) -> str:
    """One region's metrics on a line: colour, ITA°, indices, evenness and spots, those it has."""
    lab = region["lab"]
    parts = [f"L*a*b* {lab['L']:.1f} {lab['a']:.1f} {lab['b']:.1f} ({region['display_srgb_hex']})"]
    if region.get("ita_deg") is not None:
        parts.append(f"ITA {region['ita_deg']:.1f}° ({region.get('ita_class') or '?'})")
    if region.get("melanin_od") is not None:
        parts.append("melanin " + _plus_minus(region["melanin_od"], region.get("melanin_od_95"), 3, "OD"))
    if region.get("erythema_uM_cm") is not None:
        parts.append("erythema " + _plus_minus(region["erythema_uM_cm"], region.get("erythema_uM_cm_95"), 2, "µM·cm"))
    if region.get("evenness_dE00") is not None:
        spread = "" if region.get("evenness_dE00_95") is None else f" ±{region['evenness_dE00_95']:.2f}"
        parts.append(f"unevenness {region['evenness_dE00']:.2f}{spread} ΔE00")
    if (spots := region.get("spots")) is not None:
        contrast = "" if spots["mean_contrast_dE00"] is None else f", {spots['mean_contrast_dE00']:.1f} ΔE00"
        parts.append(f"spots {spots['count']} ({100 * spots['area_share']:.1f} % of the area{contrast})")
    tone = "" if region.get("in_skin_tone") is not False else " [analysed only, not in the skin tone]"
    return f"{region['name']}{tone}: " + ", ".join(parts)


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
