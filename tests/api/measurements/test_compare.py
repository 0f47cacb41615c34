"""Comparing two measurements: every metric's change against the combined noise, said plainly; the route is the
customer's own (another's id is a 404 like an unknown one), and refuses the same id twice or a missing one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.measurements.compare import compare, lab_half_widths_95
from api.measurements.region_schemas import LeftRightOut, RegionOut, SpotsOut
from api.measurements.schemas import LabHalfWidthsOut, MeasurementOut, SkinIndicesOut, SkinToneOut
from api.web.tokens import Role
from color.colorimetry import delta_E00_between
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import READING, assert_problem

URL = "/v1/measurements/compare"
TONE = SkinToneOut(
    ita_deg=24.6, ita_class="tan", hue_deg=55.3, chroma=21.8, undertone="warm", monk_tone=5, monk_delta_E00=2.4
)


def _region(name: str, *, erythema: float, evenness: float, spots: float) -> RegionOut:
    return RegionOut(
        name=name, lab={"L": 58.0, "a": 13.0, "b": 18.0}, pixels=8000, skin_pixels=7000, spread_dE00=1.1,
        melanin_od=0.1, melanin_od_95=0.05, erythema_uM_cm=erythema, erythema_uM_cm_95=0.4, evenness_dE00=evenness,
        spots=SpotsOut(count=2, area_share=spots, mean_contrast_dE00=3.0, min_area_mm2=0.8, min_contrast_dE00=2.5),
    )  # fmt: skip


def measurement(
    id_: str, when: datetime, *, a: float = 14.0, uncertainty: float | None = 1.0, **fields: Any
) -> MeasurementOut:
    return MeasurementOut(
        id=id_, source="photo" if uncertainty is not None else "instrument", created_at=when, consent="2026-01",
        lab={"L": 58.0, "a": a, "b": 18.0}, uncertainty_dE00=uncertainty, skin_tone=TONE,
        skin_indices=SkinIndicesOut(
            melanin_od=0.1, melanin_od_95=None if uncertainty is None else 0.05, erythema_uM_cm=a / 10,
            erythema_uM_cm_95=None if uncertainty is None else 0.5, off_model_dE00=0.4,
        ),
        **fields,
    )  # fmt: skip


INSTRUMENT_RECORD = {
    "id": "msr_0190c5a8e2b2b0c1d2e3f4a5b607", "source": "instrument", "created_at": "2025-06-01T09:31:00Z",
    "consent": "2024-05", "lab": {"L": 58.2, "a": 12.4, "b": 17.9},
    "skin_tone": TONE.model_dump(mode="json"),
}  # fmt: skip
"""A measurement as stored before skin indices, regions' metrics and left/right existed."""
MARCH, JUNE = datetime(2026, 3, 12, 9, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC)


def _by(result: Any, metric: str, region: str | None = None) -> Any:
    return next(m for m in result.metrics if m.metric == metric and m.region == region)


class TestCompare:
    def test_a_redness_drop_beyond_noise_is_said_in_words_with_its_percentage(self) -> None:
        result = compare(measurement("msr_a", MARCH, a=14.0), measurement("msr_b", JUNE, a=11.5))
        redness = _by(result, "a")
        assert redness.difference == pytest.approx(-2.5)
        assert redness.relative_change == pytest.approx(-2.5 / 14.0, abs=1e-4)
        assert redness.beyond_noise is True
        assert redness.verdict.startswith("Redness (a*): down 18 % (-2.50) since 12 March 2026, beyond what")
        lightness = _by(result, "L")
        assert lightness.beyond_noise is False
        assert "no change you can tell from measurement noise" in lightness.verdict
        assert result.days_between == pytest.approx(81.0)
        assert "redness (a*)" in result.summary

    def test_combined_uncertainty_is_the_half_widths_in_quadrature(self) -> None:
        result = compare(measurement("msr_a", MARCH, uncertainty=1.0), measurement("msr_b", JUNE, uncertainty=2.0))
        distance = _by(result, "delta_E00")
        assert distance.combined_95 == pytest.approx(np.hypot(1.0, 2.0), abs=1e-4)
        assert distance.difference == pytest.approx(delta_E00_between([58, 14, 18], [58, 14, 18]), abs=1e-4)
        w1, w2 = (lab_half_widths_95(measurement("msr", MARCH, uncertainty=u)) for u in (1.0, 2.0))
        assert w1 is not None
        assert w2 is not None
        assert _by(result, "b").combined_95 == pytest.approx(np.hypot(w1["b"], w2["b"]), abs=1e-3)
        assert _by(result, "melanin_od").combined_95 == pytest.approx(np.hypot(0.05, 0.05), abs=1e-6)

    def test_stated_half_widths_are_used_over_the_radius(self) -> None:
        """A photo that states each coordinate's half-width (its error mostly the light on the face, so L* wide
        and a* narrow) is judged by them: the same a* drop is beyond noise with them and not with the radius
        alone read as an isotropic error; L*'s noise is the wider stated one."""
        stated = {"lab_95": LabHalfWidthsOut(L=4.0, a=1.2, b=1.5, ita_deg=9.0)}
        before, after = (measurement(i, t, a=a, uncertainty=4.5) for i, t, a in (("msr_a", MARCH, 14.0),
                                                                                 ("msr_b", JUNE, 11.5)))  # fmt: skip
        assert _by(compare(before, after), "a").beyond_noise is False
        sharp = compare(before.model_copy(update=stated), after.model_copy(update=stated))
        assert _by(sharp, "a").beyond_noise is True
        assert _by(sharp, "a").combined_95 == pytest.approx(np.hypot(1.2, 1.2), abs=1e-3)
        assert _by(sharp, "L").combined_95 == pytest.approx(np.hypot(4.0, 4.0), abs=1e-3)
        assert _by(sharp, "ita_deg").combined_95 == pytest.approx(np.hypot(9.0, 9.0), abs=1e-3)

    def test_an_instrument_reading_has_no_half_widths(self) -> None:
        assert lab_half_widths_95(measurement("msr_a", MARCH, uncertainty=None)) is None

    def test_instrument_readings_state_no_uncertainty_so_noise_cannot_be_told(self) -> None:
        result = compare(
            measurement("msr_a", MARCH, uncertainty=None), measurement("msr_b", JUNE, a=10.0, uncertainty=None)
        )
        assert all(m.beyond_noise is None and m.combined_95 is None for m in result.metrics)
        assert "cannot be told" in _by(result, "a").verdict
        assert "No change you can tell" in result.summary

    def test_regions_and_left_right_are_compared_where_both_have_them(self) -> None:
        before = measurement(
            "msr_a", MARCH,
            regions=[_region("left_cheek", erythema=1.0, evenness=1.5, spots=0.04),
                     _region("chin", erythema=0.0, evenness=1.0, spots=0.0)],
            left_right=LeftRightOut(difference_dE00=1.0, melanin_od=0.01, erythema_uM_cm=0.2, evenness_dE00=0.1),
        )  # fmt: skip
        after = measurement(
            "msr_b", JUNE,
            regions=[_region("left_cheek", erythema=-0.5, evenness=1.2, spots=0.03),
                     _region("right_cheek", erythema=0.0, evenness=1.0, spots=0.0)],
            left_right=LeftRightOut(difference_dE00=0.5, melanin_od=0.0, erythema_uM_cm=-0.1, evenness_dE00=0.0),
        )  # fmt: skip
        result = compare(before, after)
        assert {m.region for m in result.metrics} == {None, "left_cheek", "left_right"}
        redness = _by(result, "erythema_uM_cm", "left_cheek")
        assert redness.difference == pytest.approx(-1.5)
        assert redness.beyond_noise is True  # ±0.57 from two 0.4 half-widths
        assert "left cheek" in redness.verdict
        evenness = _by(result, "evenness_dE00", "left_cheek")
        assert evenness.relative_change == pytest.approx(-0.2)
        assert evenness.beyond_noise is None
        spots = _by(result, "spot_area_share", "left_cheek")
        assert spots.difference == pytest.approx(-0.01)
        asymmetry = _by(result, "difference_dE00", "left_right")
        assert asymmetry.verdict.startswith("Colour difference of the cheeks, right against left: down 50 %")

    def test_older_measurements_without_region_metrics_still_compare(self) -> None:
        plain = RegionOut(name="left_cheek", lab={"L": 58, "a": 13, "b": 18}, pixels=1, skin_pixels=1, spread_dE00=1)
        result = compare(measurement("msr_a", MARCH, regions=[plain]), measurement("msr_b", JUNE, regions=[plain]))
        assert all(m.region is None for m in result.metrics)


def _reading(client: TestClient[Litestar], headers: dict[str, str], a: float) -> str:
    response = client.post("/v1/measurements/", json={**READING, "lab": {"L": 60, "a": a, "b": 18}}, headers=headers)
    assert response.status_code == 201
    return str(response.json()["id"])


def test_compare_two_of_ones_own_measurements(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth(Role.CUSTOMER, "cus_cmp1")
    grant_history(client, headers)
    first, second = _reading(client, headers, 12.0), _reading(client, headers, 16.0)
    response = client.get(URL, params={"before": first, "after": second}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["before"]["measurement_id"] == first
    assert body["after"]["measurement_id"] == second
    redness = next(m for m in body["metrics"] if m["metric"] == "a")
    assert redness["difference"] == pytest.approx(4.0, abs=0.05)
    assert redness["beyond_noise"] is None
    assert "cannot be told" in redness["verdict"]


def test_compare_refuses_unknown_foreign_repeated_and_missing_ids(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    mine, theirs = auth(Role.CUSTOMER, "cus_cmp2"), auth(Role.CUSTOMER, "cus_cmp3")
    own = _reading(client, mine, 12.0)
    foreign = _reading(client, theirs, 12.0)
    for other in (foreign, "msr_0190c5a8e2b1a9f3c2d4e5f60718", "not-an-id"):
        response = client.get(URL, params={"before": own, "after": other}, headers=mine)
        assert_problem(response, 404, "not_found")
        response = client.get(URL, params={"before": other, "after": own}, headers=mine)
        assert_problem(response, 404, "not_found")
    same = client.get(URL, params={"before": own, "after": own}, headers=mine)
    assert_problem(same, 400, "invalid_request")
    assert "same measurement" in same.json()["detail"]
    for params in ({"before": own}, {"after": own}, {}):
        assert_problem(client.get(URL, params=params, headers=mine), 400, "invalid_request")
    assert client.get(URL, params={"before": own, "after": foreign}, headers=auth(Role.LAB)).status_code == 403
