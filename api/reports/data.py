"""What a report shows, prepared from a customer's measurements: plain data, no drawing (``api.reports.render``
draws it), no HTTP, no Redis.

Measurements kept before a field existed (per-region indices, spots, evenness) and instrument readings (no
regions, no calibration) lack it: every such value is shown as absent, never invented.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from api.measurements.analysis_schemas import ComparisonOut, TimelineOut
from api.measurements.region_schemas import RegionOut
from api.measurements.schemas import MeasurementOut
from api.reports.table import REGION_LABELS, Comparison, comparison_tables
from api.schemas import LabD65
from color.colorimetry import Lab_D65_to_display_sRGB
from color.trend import DAYS_PER_MONTH

MAX_SWATCHES = 12  # beyond this a row of swatches gets too narrow to label; the first and latest are always kept
MAX_CONDITION_ROWS = 12  # rows of the conditions table that fit on page 2 under the face; the latest are listed
# Metric: (name, what it measures, unit shown, factor from the stored value to the one shown)
METRICS = {
    "melanin_od": ("Pigmentation", "melanin index", "OD", 1.0),
    "erythema_uM_cm": ("Redness", "erythema index", "µM·cm", 1.0),
    "evenness_dE00": ("Unevenness", "colour spread, spots included", "ΔE00", 1.0),
    "spot_area_share": ("Spots", "share of the skin's area", "%", 100.0),
}
INPUT_MODES = {"whole_photo": "whole photo", "crops": "crops"}


def Lab_D65_to_sRGB_display(Lab: Sequence[float]) -> tuple[float, float, float]:
    """CIELAB (D65, 2°) to gamma-encoded sRGB in [0, 1] (IEC 61966-2-1, D65 white, no adaptation needed), clipped to
    the gamut, to draw a swatch. Display only: what a swatch looks like depends on the screen or paper."""
    R, G, B = (float(v) for v in Lab_D65_to_display_sRGB(Lab))
    return R, G, B


def _Lab(lab: LabD65) -> tuple[float, float, float]:
    return float(lab.L), float(lab.a), float(lab.b)


@dataclass(frozen=True)
class Swatch:
    measurement_id: str
    taken: datetime
    Lab: tuple[float, float, float]
    sRGB: tuple[float, float, float]  # display only
    source: str


@dataclass(frozen=True)
class SeriesPoint:
    taken: datetime
    value: float
    half_width_95: float | None  # None: not stated (an instrument reading) or none for this metric


@dataclass(frozen=True)
class TrendLine:
    """The Theil-Sen line drawn over a series: its two ends."""

    start: datetime
    end: datetime
    start_value: float
    end_value: float
    changing: bool  # a steady change (the timeline's ``steady``)


@dataclass(frozen=True)
class Series:
    metric: str
    title: str
    unit: str
    points: tuple[SeriesPoint, ...]
    trend: TrendLine | None
    verdict: str


@dataclass(frozen=True)
class RegionValues:
    """One face region of a photo measurement, with whatever per-region values it carries."""

    name: str
    label: str
    Lab: tuple[float, float, float]
    sRGB: tuple[float, float, float]  # display only
    ita_deg: float | None = None
    ita_class: str | None = None
    melanin_od: float | None = None
    melanin_od_95: float | None = None
    erythema_uM_cm: float | None = None
    erythema_uM_cm_95: float | None = None
    evenness_dE00: float | None = None
    evenness_dE00_95: float | None = None
    spots_count: int | None = None
    spot_area_share: float | None = None
    spot_area_share_95: float | None = None
    in_skin_tone: bool | None = None

    def lines(self) -> list[str]:
        """The values printed beside the region, those it has (its name first)."""
        L, a, b = self.Lab
        lines = [self.label, f"L* {L:.1f}  a* {a:.1f}  b* {b:.1f}"]
        if self.ita_deg is not None:
            lines.append(f"ITA {self.ita_deg:.1f}°" + ("" if self.ita_class is None else f" ({self.ita_class})"))
        if self.melanin_od is not None:
            lines.append(f"melanin {_with_half_width(self.melanin_od, self.melanin_od_95, 3)} OD")
        if self.erythema_uM_cm is not None:
            lines.append(f"redness {_with_half_width(self.erythema_uM_cm, self.erythema_uM_cm_95, 2)} µM·cm")
        if self.evenness_dE00 is not None:
            spread = "" if self.evenness_dE00_95 is None else f" ±{self.evenness_dE00_95:.2f}"
            lines.append(f"unevenness {self.evenness_dE00:.2f}{spread} ΔE00")
        if self.spots_count is not None:
            share = ""
            if self.spot_area_share is not None:
                spread = "" if self.spot_area_share_95 is None else f" ±{100 * self.spot_area_share_95:.1f}"
                share = f", {100 * self.spot_area_share:.1f}{spread} % of area"
            lines.append(f"spots {self.spots_count}{share}")
        if self.in_skin_tone is False:
            lines.append("analysed only, not in the skin tone")
        return lines


@dataclass(frozen=True)
class ConditionRow:
    """How one measurement was made."""

    taken: datetime
    source: str  # "photo" or "instrument"
    input_mode: str  # whole photo, crops, or the instrument's name
    card: str
    calibration: str
    scene_white: str
    uncertainty: str
    consent: str


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows, in the order it is read."""

    customer_id: str
    generated_at: datetime
    first: datetime
    last: datetime
    count: int
    consent_versions: tuple[str, ...]  # most used first
    swatches: tuple[Swatch, ...]
    swatches_left_out: int
    series: tuple[Series, ...]
    regions: tuple[RegionValues, ...]
    regions_taken: datetime | None
    comparison: Comparison | None
    conditions: tuple[ConditionRow, ...]
    conditions_left_out: int
    note: str | None  # said plainly when there is too little for a change or a trend


def _with_half_width(value: float, half_width: float | None, digits: int) -> str:
    return f"{value:+.{digits}f}" + ("" if half_width is None else f" ±{half_width:.{digits}f}")


def region_values(region: RegionOut) -> RegionValues:
    """A region as the face diagram shows it, its colour converted from its Lab for display."""
    Lab = _Lab(region.lab)
    spots = region.spots
    return RegionValues(
        name=region.name,
        label=REGION_LABELS.get(region.name, region.name.replace("_", " ").capitalize()),
        Lab=Lab,
        sRGB=Lab_D65_to_sRGB_display(Lab),
        ita_deg=region.ita_deg,
        ita_class=region.ita_class,
        melanin_od=region.melanin_od,
        melanin_od_95=region.melanin_od_95,
        erythema_uM_cm=region.erythema_uM_cm,
        erythema_uM_cm_95=region.erythema_uM_cm_95,
        evenness_dE00=region.evenness_dE00,
        evenness_dE00_95=region.evenness_dE00_95,
        spots_count=None if spots is None else spots.count,
        spot_area_share=None if spots is None else spots.area_share,
        spot_area_share_95=None if spots is None else spots.area_share_95,
        in_skin_tone=region.in_skin_tone,
    )


def _trend_line(points: Sequence[SeriesPoint], slope_per_month: float, changing: bool) -> TrendLine:
    """The Theil-Sen line through ``points``: the given slope, and as intercept the median of y − slope·x (Sen 1968,
    as ``scipy.stats.theilslopes`` takes it)."""
    days = [(p.taken - points[0].taken).total_seconds() / 86400 for p in points]
    per_day = slope_per_month / DAYS_PER_MONTH
    intercept = statistics.median(p.value - per_day * d for p, d in zip(points, days, strict=True))
    return TrendLine(points[0].taken, points[-1].taken, intercept, intercept + per_day * days[-1], changing)


def _series(timeline: TimelineOut) -> list[Series]:
    """Each metric of the timeline that some measurement has: its points, trend line and verdict as the API says."""
    found = []
    for metric in timeline.metrics:
        name, what, unit, factor = METRICS.get(metric.metric, (metric.metric, "", metric.unit, 1.0))
        points = []
        for point in timeline.points:
            value, half_width = getattr(point, metric.metric, None), getattr(point, metric.metric + "_95", None)
            if value is not None:
                scaled = None if half_width is None else factor * half_width
                points.append(SeriesPoint(point.created_at, factor * value, scaled))
        if not points:
            continue
        line = None
        if metric.slope_per_month is not None:
            line = _trend_line(points, factor * metric.slope_per_month, bool(metric.steady))
        found.append(Series(metric.metric, f"{name} ({what})", unit, tuple(points), line, metric.verdict))
    return found


def _condition(measurement: MeasurementOut) -> ConditionRow:
    if measurement.source == "instrument":
        instrument = measurement.instrument
        mode = "instrument" if instrument is None else instrument.name
        card, method, white = "-", "-" if instrument is None else instrument.conversion, "-"
    else:
        calibration = measurement.calibration
        mode = INPUT_MODES.get(measurement.input_mode or "", "photo")
        card = "-" if calibration is None else f"{calibration.card_id} ({calibration.card_batch})"
        method = "-" if calibration is None else calibration.model
        cct = None if calibration is None else calibration.scene_white.as_shot_cct_K
        white = "-" if cct is None else f"{cct:.0f} K"
    uncertainty = "not stated" if measurement.uncertainty_dE00 is None else f"±{measurement.uncertainty_dE00:.2f} ΔE00"
    return ConditionRow(
        taken=measurement.created_at,
        source=measurement.source,
        input_mode=mode,
        card=card,
        calibration=method,
        scene_white=white,
        uncertainty=uncertainty,
        consent=measurement.consent,
    )


def _spread(items: Sequence[MeasurementOut], keep: int) -> list[MeasurementOut]:
    """At most ``keep`` items evenly spread over ``items``, the first and the last always among them."""
    if len(items) <= keep:
        return list(items)
    return [items[i] for i in sorted({round(i * (len(items) - 1) / (keep - 1)) for i in range(keep)})]


def _note(series: Sequence[Series], count: int, *, history_kept: bool = True) -> str | None:
    if count == 1 and not history_kept:
        return (
            "One measurement: only your latest measurement is kept, so there is no change and no trend to show. "
            "To follow your skin over time, give the consent to keeping your measurement history."
        )
    if count == 1:
        return (
            "One measurement so far: there is no change and no trend yet. Measure again in a few weeks, in the "
            "same conditions, to start seeing change."
        )
    if not any(s.trend for s in series):
        return "No trend yet: a trend needs three measurements on two days or more."
    return None


def prepare_report(
    measurements: Sequence[MeasurementOut],
    timeline: TimelineOut,
    comparison: ComparisonOut | None,
    *,
    customer_id: str,
    generated_at: datetime,
) -> ReportData:
    """What the report of one customer's ``measurements`` (at least one) shows, with their ``timeline`` and the
    ``comparison`` of the two the before/after table holds (None with one measurement)."""
    if not measurements:
        raise ValueError("a report needs at least one measurement")
    ordered = sorted(measurements, key=lambda m: m.created_at)
    series = _series(timeline)
    with_regions = [m for m in ordered if m.regions]
    latest = with_regions[-1] if with_regions else None
    swatches = [
        Swatch(m.id, m.created_at, _Lab(m.lab), Lab_D65_to_sRGB_display(_Lab(m.lab)), m.source)
        for m in _spread(ordered, MAX_SWATCHES)
    ]
    conditions = [_condition(m) for m in ordered[-MAX_CONDITION_ROWS:]]
    return ReportData(
        customer_id=customer_id,
        generated_at=generated_at,
        first=ordered[0].created_at,
        last=ordered[-1].created_at,
        count=len(ordered),
        consent_versions=tuple(version for version, _ in Counter(m.consent for m in ordered).most_common()),
        swatches=tuple(swatches),
        swatches_left_out=len(ordered) - len(swatches),
        series=tuple(series),
        regions=tuple(region_values(r) for r in latest.regions or []) if latest else (),
        regions_taken=latest.created_at if latest else None,
        comparison=None if comparison is None else comparison_tables(comparison),
        conditions=tuple(conditions),
        conditions_left_out=len(ordered) - len(conditions),
        note=_note(series, len(ordered), history_kept=timeline.history_kept),
    )
