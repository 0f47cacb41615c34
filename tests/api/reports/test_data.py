"""What the report shows is the measurements' own numbers: the series are the timeline's, the table the comparison's,
the regions the latest photo's; many measurements are spread over the swatches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.measurements.compare import compare
from api.measurements.timeline import timeline
from api.reports.data import MAX_SWATCHES, Lab_D65_to_sRGB_display, prepare_report
from tests.api.reports.sample import history

MADE = datetime(2026, 9, 3, tzinfo=UTC)


def test_series_table_and_regions_are_the_measurements_numbers() -> None:
    measurements = history(8)
    data = prepare_report(measurements, timeline(measurements), compare(measurements[0], measurements[-1]),
                          customer_id="cus_x", generated_at=MADE)  # fmt: skip
    redness = next(s for s in data.series if s.metric == "erythema_uM_cm")
    assert [p.value for p in redness.points] == [m.skin_indices.erythema_uM_cm for m in measurements if m.skin_indices]
    assert redness.trend is not None
    assert redness.trend.changing
    assert redness.trend.end_value < redness.trend.start_value  # redness falls in the sample
    assert data.comparison is not None
    a_star = next(row for row in data.comparison.rows if row.metric == "a")
    assert (a_star.before, a_star.after) == (f"{measurements[0].lab.a:.2f}", f"{measurements[-1].lab.a:.2f}")
    assert data.comparison.regions is not None
    assert "Left cheek" in data.comparison.regions.columns
    assert data.regions_taken == measurements[-1].created_at
    left = next(r for r in data.regions if r.name == "left_cheek")
    assert left.Lab == pytest.approx((58.1, 11.45, 18.05), abs=0.01)
    drawn = left.lines()  # beside the drawn face: the class, and evenness and spot area with their half-widths
    assert f"ITA {left.ita_deg:.1f}° ({left.ita_class})" in drawn
    assert any(line.startswith("unevenness") and "±0.20 ΔE00" in line for line in drawn)
    assert any(line.startswith("spots") and "±1.0 % of area" in line for line in drawn)
    forehead = next(r for r in data.regions if r.name == "forehead")
    assert "analysed only, not in the skin tone" in forehead.lines() or forehead.in_skin_tone
    assert data.consent_versions == ("2026-01",)
    assert data.note is None


def test_one_measurement_has_no_comparison_and_says_so() -> None:
    one = history(1)
    data = prepare_report(one, timeline(one), None, customer_id="cus_x", generated_at=MADE)
    assert data.comparison is None
    assert data.note is not None
    assert "no trend yet" in data.note
    alone = prepare_report(one, timeline(one, history_kept=False), None, customer_id="cus_x", generated_at=MADE)
    assert alone.note is not None
    assert "only your latest measurement is kept" in alone.note  # not "measure again": it would replace this one
    assert "Measure again" not in alone.note


def test_many_measurements_are_spread_over_the_swatches_first_and_latest_kept() -> None:
    many = history(14)
    data = prepare_report(many, timeline(many), None, customer_id="cus_x", generated_at=MADE)
    assert len(data.swatches) == MAX_SWATCHES
    assert data.swatches_left_out == 14 - MAX_SWATCHES
    assert (data.swatches[0].measurement_id, data.swatches[-1].measurement_id) == (many[0].id, many[-1].id)


def test_display_srgb_of_d65_white_and_black() -> None:
    assert Lab_D65_to_sRGB_display([100, 0, 0]) == pytest.approx((1, 1, 1), abs=1e-3)
    assert Lab_D65_to_sRGB_display([0, 0, 0]) == pytest.approx((0, 0, 0), abs=1e-6)
    assert all(0 <= v <= 1 for v in Lab_D65_to_sRGB_display([50, 90, -90]))  # out of gamut: clipped
