"""The before/after tables of a report, from the comparison of two measurements (``api.measurements.compare``):
the whole skin's metrics a line each, the regions' as a matrix of region by metric. Numbers formatted, no drawing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from api.measurements.analysis_schemas import ComparisonOut, MetricChangeOut

LEFT_RIGHT = "left_right"  # the region ``api.measurements.compare`` names the cheeks' asymmetry by
SPOTS = "spot_area_share"
TABLE_DIGITS = {"melanin_od": 3, "ita_deg": 1, SPOTS: 1}  # others: 2
REGION_LABELS = {"forehead": "Forehead", "left_cheek": "Left cheek", "right_cheek": "Right cheek", "chin": "Chin",
                 LEFT_RIGHT: "Left − right"}  # fmt: skip


@dataclass(frozen=True)
class ComparisonRow:
    """One line of the before/after table, its numbers formatted with their units."""

    metric: str
    label: str
    region: str | None
    before: str
    after: str
    change: str
    noise: str  # the combined 95 % half-width, or "not stated"
    verdict: str  # "beyond noise", "within noise" or "cannot tell"
    beyond_noise: bool | None


@dataclass(frozen=True)
class RegionCell:
    """One metric of one region before and after: ``values`` "before → after", ``change`` "difference ±noise"."""

    values: str
    change: str
    beyond_noise: bool | None


@dataclass(frozen=True)
class RegionMatrix:
    """The regions' changes as a table: a column per region (and left against right), a row per metric."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[RegionCell | None, ...]], ...]  # (metric's label with its unit, a cell a column)


@dataclass(frozen=True)
class Comparison:
    before_taken: datetime
    after_taken: datetime
    rows: tuple[ComparisonRow, ...]  # the whole skin's metrics
    regions: RegionMatrix | None
    summary: str


def _unit(change: MetricChangeOut) -> str:
    return "%" if change.metric == SPOTS else change.unit


def _with_unit(text: str, unit: str) -> str:
    if text == "-" or not unit:
        return text
    return text + unit if unit in {"°", "%"} else f"{text} {unit}"


def _numbers(change: MetricChangeOut) -> tuple[str, str, str, str | None]:
    """Before, after, the change and its noise (None when not stated) as shown, without their unit."""
    factor = 100.0 if change.metric == SPOTS else 1.0
    digits = TABLE_DIGITS.get(change.metric, 2)

    def text(value: float | None, *, signed: bool = False) -> str:
        return "-" if value is None else f"{factor * value:{'+' if signed else ''}.{digits}f}"

    noise = None if change.combined_95 is None else "±" + text(change.combined_95)
    return text(change.before), text(change.after), text(change.difference, signed=change.metric != "delta_E00"), noise


def comparison_row(change: MetricChangeOut) -> ComparisonRow:
    """A metric's change (``api.measurements.compare``) as a line of the table; spot areas shown in %."""
    before, after, difference, noise = _numbers(change)
    unit = _unit(change)
    return ComparisonRow(
        metric=change.metric,
        label=change.label,
        region=change.region,
        before=_with_unit(before, unit),
        after=_with_unit(after, unit),
        change=_with_unit(difference, unit),
        noise="not stated" if noise is None else _with_unit(noise, unit),
        verdict={True: "beyond noise", False: "within noise", None: "cannot tell"}[change.beyond_noise],
        beyond_noise=change.beyond_noise,
    )


def _region_matrix(changes: Sequence[MetricChangeOut]) -> RegionMatrix | None:
    regional = [c for c in changes if c.region is not None]
    if not regional:
        return None
    regions = list(dict.fromkeys(c.region for c in regional if c.region is not None))
    regions.sort(key=lambda name: name == LEFT_RIGHT)  # left against right last
    metrics = list(dict.fromkeys(c.metric for c in regional))
    cells: dict[tuple[str, str | None], RegionCell] = {}
    for change in regional:
        before, after, difference, noise = _numbers(change)
        shown = f"{difference} {noise}" if noise else difference
        cells[change.metric, change.region] = RegionCell(f"{before} → {after}", shown, change.beyond_noise)
    labels = {c.metric: c.label + (f" ({_unit(c)})" if _unit(c) else "") for c in regional}
    return RegionMatrix(
        columns=tuple(REGION_LABELS.get(r, r.replace("_", " ").capitalize()) for r in regions),
        rows=tuple((labels[m], tuple(cells.get((m, r)) for r in regions)) for m in metrics),
    )


def comparison_tables(compared: ComparisonOut) -> Comparison:
    """The comparison as the report's tables."""
    return Comparison(
        before_taken=compared.before.created_at,
        after_taken=compared.after.created_at,
        rows=tuple(comparison_row(change) for change in compared.metrics if change.region is None),
        regions=_region_matrix(compared.metrics),
        summary=compared.summary,
    )
