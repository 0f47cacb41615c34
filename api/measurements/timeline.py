"""The customer's timeline: each measurement's indices in order, each metric's change and trend in plain words
(the numbers from ``color.trend``)."""

from __future__ import annotations

from api.measurements.schemas import MeasurementOut, MetricTrendOut, TimelineOut, TimelinePointOut
from color.trend import change, trend

METRICS = {
    "melanin_od": ("Pigmentation (melanin index)", "OD"),
    "erythema_uM_cm": ("Redness (erythema index)", "µM·cm"),
}


def _point(measurement: MeasurementOut) -> TimelinePointOut:
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
    )


def _metric(metric: str, points: list[TimelinePointOut]) -> MetricTrendOut:
    name, unit = METRICS[metric]
    usable = [p for p in points if getattr(p, metric) is not None]
    values = [float(getattr(p, metric)) for p in usable]
    half_widths = [getattr(p, metric + "_95") for p in usable]
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
                f"{name}: {difference:+.2f} {unit} since {since}; whether that is more than measurement noise cannot "
                "be told (an instrument reading without a stated uncertainty)."
            )
        elif moved.beyond_noise:
            verdict = (
                f"{name}: {'up' if difference > 0 else 'down'} {abs(difference):.2f} {unit} since {since}, beyond "
                f"what measurement noise explains (±{combined:.2f})."
            )
        else:
            verdict = (
                f"{name}: no change you can tell from measurement noise since {since} ({difference:+.2f} {unit}, "
                f"noise ±{combined:.2f})."
            )
    if found is None:
        verdict += " A trend needs three measurements on two days or more."
    else:
        steady = "a steady change" if found.changing else "no steady change"
        verdict += (
            f" Trend {found.slope_per_month:+.3f} {unit} a month (95 %: {found.low_per_month:+.3f} to "
            f"{found.high_per_month:+.3f}): {steady}."
        )
    return MetricTrendOut(
        metric=metric,
        unit=unit,
        points=len(usable),
        change_since_first=None if difference is None else round(difference, 4),
        change_combined_95=None if combined is None else round(combined, 4),
        slope_per_month=None if found is None else round(found.slope_per_month, 5),
        slope_low_per_month=None if found is None else round(found.low_per_month, 5),
        slope_high_per_month=None if found is None else round(found.high_per_month, 5),
        verdict=verdict,
    )


def timeline(measurements: list[MeasurementOut]) -> TimelineOut:
    """``measurements`` of one customer, in any order."""
    points = [_point(m) for m in sorted(measurements, key=lambda m: m.created_at)]
    return TimelineOut(points=points, metrics=[_metric(metric, points) for metric in METRICS])
