"""Made-up measurements of one customer for the report's tests: photos (with or without per-region values) and
instrument readings, over months, their indices and skin tone computed as the service computes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from api.measurements.region_schemas import RegionOut, SpotsOut
from api.measurements.schemas import CalibrationOut, InstrumentInfo, MeasurementOut, SceneWhiteOut
from api.measurements.service import lab_half_widths_out, lab_out, skin_indices_out, skin_tone_out
from api.reports.data import Lab_D65_to_sRGB_display
from color.lab_uncertainty import ColourUncertainty
from color.skin_tone import describe_skin_tone

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
UNCERTAINTY = ColourUncertainty(spread_rms_dE00=0.9, light_sigma=0.035)  # a radius of about 2.15 ΔE00
REGION_OFFSETS = {"left_cheek": (0.0, 0.6, 0.2), "right_cheek": (0.4, 0.2, 0.1), "forehead": (1.5, -1.0, 0.6),
                  "chin": (-0.8, 0.9, -0.3)}  # fmt: skip


def _hex(Lab: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(255 * v):02x}" for v in Lab_D65_to_sRGB_display(Lab))


def _region(name: str, Lab: tuple[float, float, float], i: int, *, detailed: bool) -> RegionOut:
    dL, da, db = REGION_OFFSETS[name]
    region_Lab = (Lab[0] + dL, Lab[1] + da, Lab[2] + db)
    base = RegionOut(name=name, lab=lab_out(region_Lab), pixels=8000, skin_pixels=7300, spread_dE00=1.1)
    if not detailed:
        return base
    indices = skin_indices_out(region_Lab, UNCERTAINTY)
    return base.model_copy(
        update={
            "ita_deg": round(describe_skin_tone(region_Lab).ita_deg, 2),
            "ita_class": describe_skin_tone(region_Lab).ita_class,
            "display_srgb_hex": _hex(region_Lab),
            "melanin_od": indices.melanin_od,
            "melanin_od_95": indices.melanin_od_95,
            "erythema_uM_cm": indices.erythema_uM_cm,
            "erythema_uM_cm_95": indices.erythema_uM_cm_95,
            "evenness_dE00": round(1.6 - 0.05 * i, 2),
            "evenness_dE00_95": 0.2,
            "spots": SpotsOut(
                count=max(0, 5 - i // 2),
                area_share=round(max(0.03 - 0.002 * i, 0.002), 4),
                area_share_95=0.01,
                mean_contrast_dE00=3.6,
                min_area_mm2=2.0,
                min_contrast_dE00=3.0,
            ),
            "in_skin_tone": name != "forehead" or i % 2 == 0,
        }
    )


def photo(i: int, taken: datetime, *, detailed: bool = True, a: float | None = None) -> MeasurementOut:
    """The ``i``-th photo: redness falling a little each time (a* from 14), lightness steady."""
    Lab = (58.0 + 0.1 * (i % 3), max(14.0 - 0.45 * i, 6.0) if a is None else a, 17.5 + 0.05 * i)
    return MeasurementOut(
        id=f"msr_0190c5a8e2b1a9f3c2d4e5f607{i:02d}",
        source="photo",
        input_mode="crops" if i % 3 == 2 else "whole_photo",
        created_at=taken,
        consent="2026-01",
        lab=lab_out(Lab),
        uncertainty_dE00=round(UNCERTAINTY.radius_95(np.array(Lab)), 2),
        lab_95=lab_half_widths_out(Lab, UNCERTAINTY),
        skin_tone=skin_tone_out(describe_skin_tone(Lab)),
        skin_indices=skin_indices_out(Lab, UNCERTAINTY),
        calibration=CalibrationOut(
            card_id="tm-skin-v1",
            card_batch="nominal",
            model="root_polynomial_2_Finlayson2015",
            residual_dE00_median=0.4,
            loo_dE00_median=0.6,
            loo_skin_dE00_rms=0.7,
            models_loo_skin_dE00={},
            scene_white=SceneWhiteOut(as_shot_xy=[0.322, 0.338], as_shot_cct_K=5200 + 150 * i),
            mirrored_photo=False,
        ),
        regions=[_region(name, Lab, i, detailed=detailed) for name in REGION_OFFSETS],
        cheek_difference_dE00=0.6,
    )


def reading(i: int, taken: datetime) -> MeasurementOut:
    Lab = (60.0, 12.0, 18.0)
    return MeasurementOut(
        id=f"msr_0190c5a8e2b1a9f3c2d4e5f608{i:02d}",
        source="instrument",
        created_at=taken,
        consent="2025-06",
        lab=lab_out(Lab),
        skin_tone=skin_tone_out(describe_skin_tone(Lab)),
        skin_indices=skin_indices_out(Lab, None),
        instrument=InstrumentInfo(name="CM-700d", illuminant="D65", observer="2", conversion="none (already D65, 2°)"),
    )


def history(count: int, *, detailed: bool = True, months: float = 6.0) -> list[MeasurementOut]:
    """``count`` photos spread evenly over ``months``."""
    step = timedelta(days=30.4 * months / max(count - 1, 1))
    return [photo(i, START + i * step, detailed=detailed) for i in range(count)]
