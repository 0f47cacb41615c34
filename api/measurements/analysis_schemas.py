"""Response models of what a customer's measurements say together: the timeline and the comparison of two."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from api.schemas import LabD65

TimelineMetric = Literal["melanin_od", "erythema_uM_cm", "evenness_dE00", "spot_area_share"]

TIMELINE_EXAMPLE: JsonDict = {
    "points": [
        {"measurement_id": "msr_0190c5a8e2b1a9f3c2d4e5f60718", "created_at": "2026-03-01T09:30:00Z", "source": "photo",
         "lab": {"L": 58.2, "a": 13.4, "b": 17.9}, "melanin_od": 0.118, "melanin_od_95": 0.061,
         "erythema_uM_cm": 0.92, "erythema_uM_cm_95": 1.1, "evenness_dE00": 1.42, "spot_area_share": 0.031,
         "formulation_id": None},
        {"measurement_id": "msr_0190c5a8e2b2b0c1d2e3f4a5b607", "created_at": "2026-06-01T09:30:00Z", "source": "photo",
         "lab": {"L": 58.6, "a": 11.0, "b": 17.6}, "melanin_od": 0.112, "melanin_od_95": 0.058,
         "erythema_uM_cm": -0.35, "erythema_uM_cm_95": 1.0, "evenness_dE00": 1.21, "spot_area_share": 0.024,
         "formulation_id": "fml_0190c5a8e2b1b2c3d4e5f6a7b8c9"},
    ],
    "metrics": [
        {"metric": "erythema_uM_cm", "unit": "µM·cm", "points": 2, "change_since_first": -1.27,
         "change_combined_95": 1.49, "slope_per_month": None, "slope_low_per_month": None,
         "slope_high_per_month": None,
         "verdict": "Redness (erythema index): no change you can tell from measurement noise since 2026-03-01 "
         "(-1.27 µM·cm, noise ±1.49). A trend needs three measurements on two days or more."},
    ],
    "formulations": [
        {"formulation_id": "fml_0190c5a8e2b1b2c3d4e5f6a7b8c9", "created_at": "2026-03-02T10:00:00Z",
         "measurement_id": "msr_0190c5a8e2b1a9f3c2d4e5f60718", "in_use_until": None,
         "target_lab": {"L": 58.2, "a": 13.4, "b": 17.9}, "coverage": "medium", "library_version": "phys-2026.3"},
    ],
}  # fmt: skip


class TimelinePointOut(BaseModel):
    """One measurement on the customer's timeline: its colour, its indices with their 95 % half-widths, its skin's
    evenness and spots (the mean of the cheeks), and the formulation in use when it was made."""

    measurement_id: str = Field(description="Measurement id (`msr_…`)")
    created_at: datetime = Field(description="When the measurement was made")
    source: Literal["photo", "instrument"] = Field(description="A calibrated photo or an instrument's reading")
    lab: LabD65 = Field(description="The skin colour, CIELAB (D65, 2°)")
    melanin_od: float | None = Field(description="Melanin index (see `SkinIndicesOut`); null if not computed")
    melanin_od_95: float | None = Field(description="Its 95 % half-width; null when no uncertainty is stated")
    erythema_uM_cm: float | None = Field(description="Erythema index (see `SkinIndicesOut`); null if not computed")
    erythema_uM_cm_95: float | None = Field(description="Its 95 % half-width; null when no uncertainty is stated")
    evenness_dE00: float | None = Field(
        default=None, description="Mean of the cheeks' evenness, CIEDE2000; null for readings and older measurements"
    )
    evenness_dE00_95: float | None = Field(default=None, description="Its 95 % half-width (one photo's)")
    spot_area_share: float | None = Field(
        default=None, description="Mean of the cheeks' share of area under spots, 0-1; null when not analysed"
    )
    spot_area_share_95: float | None = Field(default=None, description="Its 95 % half-width (one photo's)")
    formulation_id: str | None = Field(
        default=None, description="The customer's newest formulation made before this measurement; null if none"
    )


class MetricTrendOut(BaseModel):
    """A metric over time: the change since the first measurement against the two measurements' combined
    uncertainty, and a robust trend (Theil-Sen slope per month with its 95 % interval) from three measurements."""

    metric: TimelineMetric = Field(description="The metric, named as the field of `TimelinePointOut`")
    unit: str = Field(description="Its unit (`OD`, `µM·cm`, `ΔE00`; empty for a share, 0-1)")
    points: int = Field(description="Measurements that have this metric")
    change_since_first: float | None = Field(description="Last minus first; null with fewer than two")
    change_combined_95: float | None = Field(
        description="The two measurements' 95 % half-widths added in quadrature; null when one is not stated"
    )
    slope_per_month: float | None = Field(description="Theil-Sen slope; null with fewer than three measurements")
    slope_low_per_month: float | None = Field(description="Lower end of the slope's 95 % interval, per month")
    slope_high_per_month: float | None = Field(description="Upper end of the slope's 95 % interval, per month")
    steady: bool | None = Field(
        default=None,
        description=(
            "A steady change: the slope's 95 % interval excludes zero and the trend moves the metric over the "
            "measurements' span by more than the first and last measurements' combined 95 % uncertainty; null "
            "without a trend"
        ),
    )
    verdict: str = Field(description="The change and the trend in plain words")


class TimelineFormulationOut(BaseModel):
    """A formulation of the customer's on the timeline: when it was made, from which measurement, and until when
    it was the newest (the recipe changed then)."""

    formulation_id: str = Field(description="Formulation id (`fml_…`)")
    created_at: datetime = Field(description="When it was made")
    measurement_id: str = Field(description="The measurement it was made from (it may since have been deleted)")
    in_use_until: datetime | None = Field(description="When the next formulation was made; null for the newest")
    target_lab: LabD65 = Field(description="The colour it was made to match")
    coverage: str = Field(description="The coverage asked for (`sheer`, `medium`, `full`)")
    library_version: str = Field(description="The pigment base library the recipe was computed with")


class TimelineOut(BaseModel):
    """The customer's measurements oldest first, what changed, and the formulations made meanwhile."""

    model_config = ConfigDict(json_schema_extra={"examples": [TIMELINE_EXAMPLE]})

    history_kept: bool = Field(
        default=True, description="Whether the customer consented to keeping past measurements (history consent)"
    )
    note: str | None = Field(default=None, description="Without the history consent: why there is one point at most")
    points: list[TimelinePointOut] = Field(description="Every measurement kept, oldest first")
    metrics: list[MetricTrendOut] = Field(description="Each metric's change since the first measurement and trend")
    formulations: list[TimelineFormulationOut] = Field(
        default_factory=list, description="The customer's formulations, oldest first"
    )


COMPARISON_EXAMPLE: JsonDict = {
    "before": {"measurement_id": "msr_0190c5a8e2b1a9f3c2d4e5f60718", "created_at": "2026-03-12T09:30:00Z",
               "source": "photo"},
    "after": {"measurement_id": "msr_0190c5a8e2b2b0c1d2e3f4a5b607", "created_at": "2026-06-01T09:30:00Z",
              "source": "photo"},
    "days_between": 81.0,
    "metrics": [
        {"metric": "delta_E00", "region": None, "label": "Colour difference (CIEDE2000)", "unit": "ΔE00",
         "before": None, "after": None, "difference": 1.12, "relative_change": None, "combined_95": 2.69,
         "beyond_noise": False,
         "verdict": "Colour difference (CIEDE2000): no change you can tell from measurement noise since 12 March "
         "2026 (1.12 ΔE00, noise ±2.69)."},
        {"metric": "a", "region": None, "label": "Redness (a*)", "unit": "", "before": 14.0, "after": 11.5,
         "difference": -2.5, "relative_change": -0.1786, "combined_95": 1.9, "beyond_noise": True,
         "verdict": "Redness (a*): down 18 % (-2.50) since 12 March 2026, beyond what measurement noise explains "
         "(±1.90)."},
        {"metric": "erythema_uM_cm", "region": "left_cheek", "label": "Redness (erythema index)", "unit": "µM·cm",
         "before": 1.0, "after": -0.5, "difference": -1.5, "relative_change": None, "combined_95": 0.57,
         "beyond_noise": True,
         "verdict": "Redness (erythema index), left cheek: -1.50 µM·cm since 12 March 2026, beyond what measurement "
         "noise explains (±0.57)."},
    ],
    "summary": "2 of 3 metrics changed beyond measurement noise since 12 March 2026: redness (a*); redness "
    "(erythema index), left cheek.",
}  # fmt: skip


class ComparedMeasurementOut(BaseModel):
    """One side of a comparison."""

    model_config = ConfigDict(json_schema_extra={"examples": [COMPARISON_EXAMPLE["before"]]})

    measurement_id: str = Field(description="Measurement id (`msr_…`)")
    created_at: datetime = Field(description="When it was made")
    source: Literal["photo", "instrument"] = Field(description="A calibrated photo or an instrument's reading")


class MetricChangeOut(BaseModel):
    """One metric of the two measurements: both values, the change, the two measurements' combined 95 % uncertainty
    (half-widths added in quadrature) and whether the change is beyond it, in plain words."""

    metric: str = Field(
        description=(
            "`L`, `a`, `b`, `delta_E00` (between the two colours), `ita_deg`, `melanin_od`, `erythema_uM_cm`, "
            "`evenness_dE00`, `spot_area_share`, or for left against right (`region` `left_right`) `difference_dE00` "
            "and the right-minus-left differences `melanin_od`, `erythema_uM_cm`, `evenness_dE00`"
        )
    )
    region: str | None = Field(
        description="The region compared (`left_cheek`), `left_right` for the cheeks' asymmetry, null for the skin"
    )
    label: str = Field(description="The metric in words")
    unit: str = Field(description="Its unit; empty for L*, a*, b* and for a share (0-1)")
    before: float | None = Field(description="Value in the earlier measurement; null for `delta_E00`")
    after: float | None = Field(description="Value in the later measurement; null for `delta_E00`")
    difference: float = Field(description="After minus before; for `delta_E00` the distance between the two")
    relative_change: float | None = Field(
        description="Difference over the earlier value, for metrics on a ratio scale; null otherwise"
    )
    combined_95: float | None = Field(
        description="The two measurements' 95 % half-widths added in quadrature; null when one is not stated"
    )
    beyond_noise: bool | None = Field(description="Whether the change exceeds `combined_95`; null when not known")
    verdict: str = Field(description="The change in plain words")


class ComparisonOut(BaseModel):
    """Two of the customer's measurements side by side: every metric both have, each change against the noise."""

    model_config = ConfigDict(json_schema_extra={"examples": [COMPARISON_EXAMPLE]})

    before: ComparedMeasurementOut = Field(description="The measurement given as `before`")
    after: ComparedMeasurementOut = Field(description="The measurement given as `after`")
    days_between: float = Field(description="Days from `before` to `after` (negative if `after` is older)")
    metrics: list[MetricChangeOut] = Field(
        description="Every metric both have: the colour, the indices, then each region's and the left-right ones"
    )
    summary: str = Field(description="What changed beyond measurement noise, in plain words")
