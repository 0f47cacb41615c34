"""Two of a customer's measurements side by side: every metric's change against the measurements' noise.

A change counts only beyond the two measurements' combined 95 % uncertainty, their half-widths added in quadrature
(``color.trend.change``). Half-widths of L*, a*, b* and ITA° are those a photo measurement states (``lab_95``, from its
error's covariance in CIELAB, ``color.lab_uncertainty``); a photo kept before they were stated has only its 95 % radius
in CIEDE2000, read as an error spread evenly over the three axes (``covariance_from_radius``). The indices, evenness and
spot area carry their own half-widths (a region's; evenness and spots measured over cameras and lights,
``color.skin_map``); the left-right differences state none, so their change is given without a verdict on noise. The
colour difference between the two is the CIEDE2000 itself against the two radii in quadrature.

Pure: no storage, no web; the service fetches both measurements and calls ``compare``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Final

import numpy as np

from api.measurements.analysis_schemas import ComparedMeasurementOut, ComparisonOut, MetricChangeOut
from api.measurements.region_schemas import RegionOut
from api.measurements.schemas import MeasurementOut
from color.colorimetry import delta_E00_between
from color.lab_uncertainty import covariance_from_radius, half_widths_95
from color.trend import Change, change

RELATIVE_FLOOR: Final = 1e-6  # an earlier value this close to 0 gives no percentage


@dataclass(frozen=True)
class MetricSpec:
    """How a metric is named, shown and read: ``ratio`` when it has a true zero, so a percentage means something."""

    label: str
    unit: str
    digits: int
    ratio: bool
    signed: bool = True  # False for a distance, which has no direction


SPECS: Final[dict[str, MetricSpec]] = {
    "L": MetricSpec("Lightness (L*)", "", 2, ratio=True),
    "a": MetricSpec("Redness (a*)", "", 2, ratio=True),
    "b": MetricSpec("Yellowness (b*)", "", 2, ratio=True),
    "delta_E00": MetricSpec("Colour difference (CIEDE2000)", "ΔE00", 2, ratio=False, signed=False),
    "ita_deg": MetricSpec("Skin tone angle (ITA°)", "°", 1, ratio=False),
    "melanin_od": MetricSpec("Pigmentation (melanin index)", "OD", 3, ratio=False),
    "erythema_uM_cm": MetricSpec("Redness (erythema index)", "µM·cm", 2, ratio=False),
    "evenness_dE00": MetricSpec("Unevenness", "ΔE00", 2, ratio=True),
    "spot_area_share": MetricSpec("Spot area (share of the skin)", "", 3, ratio=True),
    "difference_dE00": MetricSpec("Colour difference of the cheeks", "ΔE00", 2, ratio=True),
}
LEFT_RIGHT: Final = "left_right"


def _date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def lab_half_widths_95(measurement: MeasurementOut) -> dict[str, float] | None:
    """95 % half-widths of L*, a*, b* and ITA° of a measurement: those it states, else read from its radius (None
    when it states neither: an instrument reading)."""
    if measurement.lab_95 is not None:
        return measurement.lab_95.model_dump()
    if measurement.uncertainty_dE00 is None:
        return None
    Lab = np.array([measurement.lab.L, measurement.lab.a, measurement.lab.b], dtype=np.float64)
    return asdict(half_widths_95(Lab, covariance_from_radius(Lab, measurement.uncertainty_dE00)))


def _verdict(title: str, spec: MetricSpec, moved: Change, *, relative: float | None, since: str) -> str:
    """The change in words: up or down (as a percentage on a ratio scale), against the noise when it is known."""
    digits, difference, combined = spec.digits, moved.difference, moved.combined_95
    unit = "" if not spec.unit else spec.unit if spec.unit == "°" else " " + spec.unit
    amount = f"{difference:{'+' if spec.signed else ''}.{digits}f}{unit}"
    moved_by = f"{'up' if difference > 0 else 'down'} {abs(relative) * 100:.0f} % ({amount})" if relative else amount
    if moved.beyond_noise is None:
        return (
            f"{title}: {moved_by} since {since}; whether that is more than measurement noise cannot be told (no "
            "uncertainty is stated for it)."
        )
    if moved.beyond_noise:
        return f"{title}: {moved_by} since {since}, beyond what measurement noise explains (±{combined:.{digits}f})."
    noise = f"±{combined:.{digits}f}"
    return f"{title}: no change you can tell from measurement noise since {since} ({amount}, noise {noise})."


def _metric_change(
    metric: str, region: str | None, before: tuple[float, float | None], after: tuple[float, float | None], since: str
) -> MetricChangeOut:
    """``before`` and ``after`` are (value, 95 % half-width or None)."""
    spec = SPECS[metric]
    moved = change(before[0], before[1], after[0], after[1])
    relative = moved.difference / before[0] if spec.ratio and abs(before[0]) > RELATIVE_FLOOR else None
    where = "" if region is None else f", {'right against left' if region == LEFT_RIGHT else region.replace('_', ' ')}"
    return MetricChangeOut(
        metric=metric,
        region=region,
        label=spec.label,
        unit=spec.unit,
        before=round(before[0], spec.digits + 2),
        after=round(after[0], spec.digits + 2),
        difference=round(moved.difference, spec.digits + 2),
        relative_change=None if relative is None else round(relative, 4),
        combined_95=None if moved.combined_95 is None else round(moved.combined_95, spec.digits + 2),
        beyond_noise=moved.beyond_noise,
        verdict=_verdict(spec.label + where, spec, moved, relative=relative, since=since),
    )


def _colour_metrics(before: MeasurementOut, after: MeasurementOut, since: str) -> list[MetricChangeOut]:
    Labs = [np.array([m.lab.L, m.lab.a, m.lab.b], dtype=np.float64) for m in (before, after)]
    widths = [lab_half_widths_95(m) for m in (before, after)]
    distance = delta_E00_between(Labs[0], Labs[1])
    radii = (before.uncertainty_dE00, after.uncertainty_dE00)
    # The distance is never negative: against the two radii in quadrature, as a change from 0 to ``distance``.
    moved = change(0.0, radii[0], distance, radii[1])
    spec = SPECS["delta_E00"]
    verdict = _verdict(spec.label, spec, moved, relative=None, since=since)
    changes = [
        MetricChangeOut(
            metric="delta_E00", region=None, label=spec.label, unit=spec.unit, before=None, after=None,
            difference=round(distance, 4), relative_change=None,
            combined_95=None if moved.combined_95 is None else round(moved.combined_95, 4),
            beyond_noise=moved.beyond_noise, verdict=verdict,
        )
    ]  # fmt: skip
    values = [{"L": m.lab.L, "a": m.lab.a, "b": m.lab.b, "ita_deg": m.skin_tone.ita_deg} for m in (before, after)]
    for metric in ("L", "a", "b", "ita_deg"):
        w0, w1 = (None if w is None else w[metric] for w in widths)
        changes.append(_metric_change(metric, None, (values[0][metric], w0), (values[1][metric], w1), since))
    return changes


def _index_metrics(before: MeasurementOut, after: MeasurementOut, since: str) -> list[MetricChangeOut]:
    if before.skin_indices is None or after.skin_indices is None:
        return []
    b, a = before.skin_indices, after.skin_indices
    return [
        _metric_change("melanin_od", None, (b.melanin_od, b.melanin_od_95), (a.melanin_od, a.melanin_od_95), since),
        _metric_change(
            "erythema_uM_cm",
            None,
            (b.erythema_uM_cm, b.erythema_uM_cm_95),
            (a.erythema_uM_cm, a.erythema_uM_cm_95),
            since,
        ),
    ]


REGION_METRICS: Final[dict[str, Callable[[RegionOut], tuple[float | None, float | None]]]] = {
    "melanin_od": lambda r: (r.melanin_od, r.melanin_od_95),
    "erythema_uM_cm": lambda r: (r.erythema_uM_cm, r.erythema_uM_cm_95),
    "evenness_dE00": lambda r: (r.evenness_dE00, r.evenness_dE00_95),
    "spot_area_share": lambda r: (None, None) if r.spots is None else (r.spots.area_share, r.spots.area_share_95),
}


def _region_metrics(before: MeasurementOut, after: MeasurementOut, since: str) -> list[MetricChangeOut]:
    earlier = {r.name: r for r in before.regions or []}
    changes: list[MetricChangeOut] = []
    for region in after.regions or []:
        if region.name not in earlier:
            continue
        for metric, read in REGION_METRICS.items():
            (v0, w0), (v1, w1) = read(earlier[region.name]), read(region)
            if v0 is not None and v1 is not None:
                changes.append(_metric_change(metric, region.name, (v0, w0), (v1, w1), since))
    if before.left_right is not None and after.left_right is not None:
        for metric in ("difference_dE00", "melanin_od", "erythema_uM_cm", "evenness_dE00"):
            v0, v1 = getattr(before.left_right, metric), getattr(after.left_right, metric)
            if v0 is not None and v1 is not None:
                changes.append(_metric_change(metric, LEFT_RIGHT, (v0, None), (v1, None), since))
    return changes


def _summary(changes: list[MetricChangeOut], since: str) -> str:
    beyond = [c for c in changes if c.beyond_noise]
    untold = sum(c.beyond_noise is None for c in changes)
    caveat = f" {untold} cannot be told from noise (no uncertainty is stated for them)." if untold else ""
    if not beyond:
        told = len(changes) - untold
        return f"No change you can tell from measurement noise since {since} ({told} metrics compared).{caveat}"
    names = "; ".join(
        c.label[0].lower() + c.label[1:] + ("" if c.region is None else f", {c.region.replace('_', ' ')}")
        for c in beyond
    )
    return f"{len(beyond)} of {len(changes)} metrics changed beyond measurement noise since {since}: {names}.{caveat}"


def compare(before: MeasurementOut, after: MeasurementOut) -> ComparisonOut:
    """Every metric both measurements have, ``after`` against ``before``, each change against the noise."""
    since = _date(before.created_at)
    changes = [
        *_colour_metrics(before, after, since),
        *_index_metrics(before, after, since),
        *_region_metrics(before, after, since),
    ]
    return ComparisonOut(
        before=ComparedMeasurementOut(measurement_id=before.id, created_at=before.created_at, source=before.source),
        after=ComparedMeasurementOut(measurement_id=after.id, created_at=after.created_at, source=after.source),
        days_between=round((after.created_at - before.created_at).total_seconds() / 86400, 3),
        metrics=changes,
        summary=_summary(changes, since),
    )
