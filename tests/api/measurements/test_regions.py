"""Each region's metrics in a measurement: mapped from the core's analysis (``color.skin_map``), the display colour
by colour-science, missing figures null; measurements stored before them still load; a photo carries them."""

from __future__ import annotations

import json
from collections.abc import Callable

import colour
import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.measurements.regions import display_srgb_hex, left_right_out, region_out, regions_out
from api.measurements.schemas import MeasurementOut
from api.web.tokens import Role
from color.colorimetry import D65_xy
from color.packaged_data import load_card
from color.simulate import RenderedPhoto
from color.skin import RegionColour
from color.skin_map import LeftRight, RegionAnalysis, SpotSummary
from color.skin_tone import ITA_class, ITA_from_Lab
from tests.api.measurements.test_compare import INSTRUMENT_RECORD
from tests.color.conftest import render

CHEEK_Lab = np.array([58.4, 12.1, 17.6])


def _colour(name: str, Lab: np.ndarray = CHEEK_Lab) -> RegionColour:
    return RegionColour(name=name, XYZ_D65=np.zeros(3), Lab_D65=Lab, pixels=8120, kept=7311, spread_dE00=1.117)


def _analysis(name: str, *, area: float = 612.0, evenness: float = 1.3141, in_tone: bool = True) -> RegionAnalysis:
    return RegionAnalysis(
        name=name, Lab_D65=CHEEK_Lab, melanin_od=0.11234, melanin_od_95=0.0641, erythema_uM_cm=0.3512,
        erythema_uM_cm_95=float("nan"), evenness_dE00=evenness,
        spots=SpotSummary(
            count=3, area_share=0.02104, mean_contrast_dE00=3.42, min_area_mm2=0.8, min_contrast_dE00=2.5
        ),
        analysed_area_mm2=area, in_skin_tone=in_tone,
    )  # fmt: skip


def test_a_region_with_its_analysis() -> None:
    region = region_out(_colour("left_cheek"), _analysis("left_cheek"))
    assert (region.pixels, region.skin_pixels, region.spread_dE00) == (8120, 7311, 1.12)
    assert region.ita_deg == pytest.approx(float(ITA_from_Lab(CHEEK_Lab)), abs=0.01)
    assert region.ita_class == ITA_class(float(ITA_from_Lab(CHEEK_Lab)))
    assert (region.melanin_od, region.melanin_od_95, region.erythema_uM_cm) == (0.1123, 0.0641, 0.351)
    assert region.erythema_uM_cm_95 is None  # a half-width the core could not state (nan) is null, not NaN
    assert region.evenness_dE00 == 1.314
    assert region.spots is not None
    assert (region.spots.count, region.spots.area_share, region.spots.mean_contrast_dE00) == (3, 0.021, 3.42)
    assert (region.spots.min_area_mm2, region.spots.min_contrast_dE00) == (0.8, 2.5)
    assert (region.analysed_area_mm2, region.in_skin_tone) == (612.0, True)


def test_nothing_analysed_means_no_evenness_and_no_spots_rather_than_zero() -> None:
    region = region_out(_colour("left_cheek"), _analysis("left_cheek", area=0.0, evenness=float("nan")))
    assert region.evenness_dE00 is None
    assert region.spots is None
    assert region.analysed_area_mm2 == 0.0


def test_regions_analysed_only_come_after_with_null_pixel_counts() -> None:
    regions = regions_out(
        [_colour("left_cheek"), _colour("right_cheek")],
        [_analysis("left_cheek"), _analysis("right_cheek"), _analysis("forehead", in_tone=False)],
    )
    assert [r.name for r in regions] == ["left_cheek", "right_cheek", "forehead"]
    forehead = regions[2]
    assert (forehead.pixels, forehead.skin_pixels, forehead.spread_dE00, forehead.in_skin_tone) == (
        None, None, None, False,
    )  # fmt: skip
    assert pytest.approx(58.4) == forehead.lab.L
    plain = regions_out([_colour("left_cheek")], [])
    assert plain[0].melanin_od is None
    assert plain[0].ita_deg is not None


def test_the_display_colour_is_colour_sciences_srgb_clipped() -> None:
    assert display_srgb_hex([100.0, 0.0, 0.0]) == "#ffffff"
    assert display_srgb_hex([0.0, 0.0, 0.0]) == "#000000"
    RGB = np.clip(colour.XYZ_to_sRGB(colour.Lab_to_XYZ(CHEEK_Lab, D65_xy)), 0, 1)
    assert display_srgb_hex(CHEEK_Lab) == "#" + "".join(f"{round(v * 255):02x}" for v in RGB)
    vivid = display_srgb_hex([50.0, 120.0, -120.0])  # far outside sRGB: clipped, still a colour
    assert len(vivid) == 7
    assert vivid.startswith("#")


def test_left_and_right() -> None:
    assert left_right_out(None) is None
    found = left_right_out(LeftRight(difference_dE00=0.7412, melanin_od=0.00612, erythema_uM_cm=-0.2113,
                                     evenness_dE00=float("nan")))  # fmt: skip
    assert found is not None
    assert (found.difference_dE00, found.melanin_od, found.erythema_uM_cm, found.evenness_dE00) == (
        0.741, 0.0061, -0.211, None,
    )  # fmt: skip


def test_measurements_stored_before_the_region_metrics_still_load() -> None:
    old = json.loads(json.dumps(INSTRUMENT_RECORD))
    old.update(
        source="photo",
        regions=[{"name": "left_cheek", "lab": {"L": 58, "a": 12, "b": 17}, "pixels": 1, "skin_pixels": 1,
                  "spread_dE00": 1.0}],
    )  # fmt: skip
    loaded = MeasurementOut.model_validate(old)
    assert loaded.left_right is None
    assert loaded.regions is not None
    assert loaded.regions[0].evenness_dE00 is None
    assert loaded.regions[0].spots is None


@pytest.fixture(scope="module")
def photo() -> RenderedPhoto:
    return render(load_card("tm-skin-v1"))


def test_a_photo_measurement_carries_every_regions_metrics(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], photo: RenderedPhoto
) -> None:
    headers = auth(Role.CUSTOMER, "cus_reg")
    response = client.post(
        "/v1/measurements/",
        files={"photo": ("face.jpg", photo.jpeg, "image/jpeg")},
        data={"consent": "2026-01", "regions": json.dumps(photo.regions)},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    for region in body["regions"]:
        assert region["display_srgb_hex"].startswith("#")
        assert region["ita_class"] == ITA_class(region["ita_deg"])
        assert region["melanin_od_95"] > 0
        assert region["erythema_uM_cm_95"] > 0
        assert region["in_skin_tone"] is True
        assert region["analysed_area_mm2"] > 0
        assert region["evenness_dE00"] >= 0
        assert 0 <= region["spots"]["area_share"] <= 1
    assert body["left_right"]["difference_dE00"] >= 0
    stored = client.get(f"/v1/measurements/{body['id']}", headers=headers).json()
    assert stored == body
    timeline = client.get("/v1/measurements/timeline", headers=headers).json()
    cheeks = body["regions"]
    assert timeline["points"][0]["evenness_dE00"] == pytest.approx(
        np.mean([r["evenness_dE00"] for r in cheeks]), abs=1e-4
    )
    assert timeline["points"][0]["spot_area_share"] == pytest.approx(
        np.mean([r["spots"]["area_share"] for r in cheeks]), abs=1e-4
    )
