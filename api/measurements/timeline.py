"""The customer's timeline: each measurement's indices, evenness and spots in order, each metric's change and trend
in plain words (the numbers from ``color.trend``), and the formulations made meanwhile, so a reader sees when the
recipe changed.

Evenness and spot area are the mean of the regions that make the skin tone (the cheeks), as measured in each photo,
with the mean of their half-widths (``color.skin_map``'s, measured over cameras and lights).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from statistics import fmean

from api.formulations.schemas import FormulationOut
from api.measurements.analysis_schemas import (
    MetricTrendOut,
    TimelineFormulationOut,
    TimelineOut,
    TimelinePointOut,
)
from api.measurements.region_schemas import RegionOut
from api.measurements.schemas import MeasurementOut
from color.trend import DAYS_PER_MONTH, Trend, change, trend

METRICS = {
    "melanin_od": ("Pigmentation (melanin index)", "OD"),
    "erythema_uM_cm": ("Redness (erythema index)", "µM·cm"),
    "evenness_dE00": ("Unevenness (mean of the cheeks)", "ΔE00"),
    "spot_area_share": ("Spot area (mean share of the cheeks)", ""),
}
# Decimals a metric's change and noise are told with (as ``api.measurements.compare`` tells them).
DIGITS = {"melanin_od": 3, "erythema_uM_cm": 2, "evenness_dE00": 2, "spot_area_share": 3}
# Why a change of a metric cannot be weighed against noise when a half-width is missing.
NO_NOISE_REASON = {
    "melanin_od": "an instrument reading without a stated uncertainty",
    "erythema_uM_cm": "an instrument reading without a stated uncertainty",
    "evenness_dE00": "a measurement made before evenness had a stated uncertainty",
    "spot_area_share": "a measurement made before spot area had a stated uncertainty",
}


def _evenness(region: RegionOut) -> float | None:
    return region.evenness_dE00


def _evenness_95(region: RegionOut) -> float | None:
    return region.evenness_dE00_95


def _spot_area(region: RegionOut) -> float | None:
    return None if region.spots is None else region.spots.area_share


def _spot_area_95(region: RegionOut) -> float | None:
    return None if region.spots is None else region.spots.area_share_95


def _cheek_mean(regions: list[RegionOut] | None, read: Callable[[RegionOut], float | None]) -> float | None:
    """The mean of a metric over the regions that make the skin tone (the cheeks); None when none has it."""
    values = [v for r in regions or [] if r.in_skin_tone and (v := read(r)) is not None]
    return round(fmean(values), 4) if values else None


def _in_use(formulations: Sequence[FormulationOut], measurement: MeasurementOut) -> str | None:
    made = [f for f in formulations if f.created_at <= measurement.created_at]
    return made[-1].id if made else None


def _point(measurement: MeasurementOut, formulations: Sequence[FormulationOut]) -> TimelinePointOut:
    indices = measurement.skin_indices
    return TimelinePointOut(
        measurement_id=measurement.id,
        created_at=measurement.created_at,
        source=measurement.source,
        lab=measurement.lab,
        melanin_od=indices.melanin_od if indices else None,
        melanin_od_95=indices.melanin_od_95 if indices else None,
        erythema_uM_cm=indices.erythema_uM_cm if indices else None,
        erythema_uM_cm_95=indices.erythema_uM_cm_95 if indices else None,
        evenness_dE00=_cheek_mean(measurement.regions, _evenness),
        spot_area_share=_cheek_mean(measurement.regions, _spot_area),
        # the cheeks' half-widths averaged, not divided by √2: the two cheeks share one calibration and light
        evenness_dE00_95=_cheek_mean(measurement.regions, _evenness_95),
        spot_area_share_95=_cheek_mean(measurement.regions, _spot_area_95),
        formulation_id=_in_use(formulations, measurement),
    )


def _metric(metric: str, points: list[TimelinePointOut]) -> MetricTrendOut:
    name, unit_name = METRICS[metric]
    unit = f" {unit_name}" if unit_name else ""
    digits = DIGITS[metric]
    usable = [p for p in points if getattr(p, metric) is not None]
    values = [float(getattr(p, metric)) for p in usable]
    half_widths = [getattr(p, metric + "_95", None) for p in usable]
    days = [(p.created_at - usable[0].created_at).total_seconds() / 86400 for p in usable] if usable else []
    found = trend(days, values)
    if len(usable) < 2:
        verdict = f"{name}: {'one measurement' if usable else 'no measurement'} so far; a change needs two."
        difference = combined = None
    else:
        moved = change(values[0], half_widths[0], values[-1], half_widths[-1])
        difference, combined = moved.difference, moved.combined_95
        since = usable[0].created_at.date().isoformat()
        if moved.beyond_noise is None:
            verdict = (
                f"{name}: {difference:+.{digits}f}{unit} since {since}; whether that is more than measurement noise "
                f"cannot be told ({NO_NOISE_REASON[metric]})."
            )
        elif moved.beyond_noise:
            verdict = (
                f"{name}: {'up' if difference > 0 else 'down'} {abs(difference):.{digits}f}{unit} since {since}, "
                f"beyond what measurement noise explains (±{combined:.{digits}f})."
            )
        else:
            verdict = (
                f"{name}: no change you can tell from measurement noise since {since} ({difference:+.{digits}f}{unit}, "
                f"noise ±{combined:.{digits}f})."
            )
    if found is None:
        verdict += " A trend needs three measurements on two days or more."
    else:
        steady = _steady(found, days, combined)
        if steady:
            words = "a steady change"
        elif found.changing:  # a consistent drift, but over the span no larger than two photos' noise
            words = "a consistent drift, but no larger over this time than measurement noise: no steady change yet"
        else:
            words = "no steady change"
        verdict += (
            f" Trend {found.slope_per_month:+.3f}{unit} a month (95 %: {found.low_per_month:+.3f} to "
            f"{found.high_per_month:+.3f}): {words}."
        )
    return MetricTrendOut(
        metric=metric,
        unit=unit_name,
        points=len(usable),
        change_since_first=None if difference is None else round(difference, 4),
        change_combined_95=None if combined is None else round(combined, 4),
        slope_per_month=None if found is None else round(found.slope_per_month, 5),
        slope_low_per_month=None if found is None else round(found.low_per_month, 5),
        slope_high_per_month=None if found is None else round(found.high_per_month, 5),
        steady=None if found is None else steady,
        verdict=verdict,
    )


def _steady(found: Trend, days: list[float], combined_95: float | None) -> bool:
    """A steady change: the slope's 95 % interval excludes zero AND the trend moves the metric over the span of the
    measurements by more than the first and last measurements' combined 95 % uncertainty. Photos of one face share
    errors that drift (the same phone, a season's light), which the Theil-Sen interval, made from the values alone,
    cannot see; without the second condition four photos drifting within their noise read as a change."""
    if not found.changing:
        return False
    moved = abs(found.slope_per_month) * (days[-1] - days[0]) / DAYS_PER_MONTH
    return combined_95 is None or moved > combined_95


HISTORY_NOT_KEPT = (
    "Only your latest measurement is kept: to follow changes over time, give the consent to keeping your history "
    "(PUT /v1/me/history-consent)."
)


def timeline(
    measurements: list[MeasurementOut], formulations: Sequence[FormulationOut] = (), *, history_kept: bool = True
) -> TimelineOut:
    """``measurements`` and ``formulations`` of one customer, in any order; ``history_kept`` whether the customer
    consented to keeping past measurements (without it the timeline says so)."""
    made = sorted(formulations, key=lambda f: f.created_at)
    points = [_point(m, made) for m in sorted(measurements, key=lambda m: m.created_at)]
    return TimelineOut(
        history_kept=history_kept,
        note=None if history_kept else HISTORY_NOT_KEPT,
        points=points,
        metrics=[_metric(metric, points) for metric in METRICS],
        formulations=[
            TimelineFormulationOut(
                formulation_id=f.id,
                created_at=f.created_at,
                measurement_id=f.measurement_id,
                in_use_until=made[k + 1].created_at if k + 1 < len(made) else None,
                target_lab=f.target_lab,
                coverage=f.coverage,
                library_version=f.library_version,
            )
            for k, f in enumerate(made)
        ],
    )
