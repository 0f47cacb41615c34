"""Photo checks: the retake table, each check at its threshold, and retakes asked for on rendered photos."""

from __future__ import annotations

import colour
import numpy as np
import pytest

from bench.datasets import GRID_NM, skin_set
from color.card import ReferenceCard
from color.errors import CorruptImage, ImageTooLarge, ImageTooSmall, RetakeNeeded
from color.measure import measure_photo
from color.quality import (
    MAX_GAIN_RATIO,
    MIN_KEPT_PIXELS,
    MIN_SIDE,
    POOR_FIT_LOO_DE00,
    Retake,
    check_calibration_consistency,
    check_image_size,
    check_skin_pixels,
    check_white_balance_gains,
)
from color.simulate import Phone, Scene, Shot, render_photo
from tests.color.conftest import render

# The retake codes are part of the HTTP API (problem ``code``): adding one is fine, renaming one is not.
API_RETAKE_CODES = {
    "card_not_found",
    "card_partly_hidden",
    "card_too_small",
    "card_not_flat",
    "glare_on_card",
    "overexposed",
    "too_dark",
    "clipped_or_dark",
    "strongly_coloured_light",
    "poor_calibration_fit",
    "uneven_light",
    "no_face",
    "too_little_skin",
    "region_not_skin",
    "more_than_one_card",
    "card_markers_disagree",
    "wrong_card",
}


def test_every_retake_has_a_known_code_and_a_hint() -> None:
    assert {reason.code for reason in Retake} == API_RETAKE_CODES
    assert all(reason.hint.endswith(".") and reason.hint[0].isupper() for reason in Retake)
    error = Retake.TOO_DARK.error("The photo is too dark to measure colour.")
    assert isinstance(error, RetakeNeeded)
    assert (error.code, error.hint, error.detail) == ("too_dark", Retake.TOO_DARK.hint, str(error))


def test_image_size_limits() -> None:
    check_image_size(MIN_SIDE, MIN_SIDE)
    with pytest.raises(ImageTooSmall):
        check_image_size(MIN_SIDE - 1, 4000)
    with pytest.raises(ImageTooLarge):
        check_image_size(20_000, 1000)
    with pytest.raises(CorruptImage):
        check_image_size(0, 1000)


def test_checks_pass_at_their_limit_and_fail_beyond() -> None:
    check_calibration_consistency(POOR_FIT_LOO_DE00)
    with pytest.raises(RetakeNeeded) as error:
        check_calibration_consistency(POOR_FIT_LOO_DE00 + 0.1)
    assert error.value.code == "poor_calibration_fit"
    check_white_balance_gains(np.array([1.0, 2.0, MAX_GAIN_RATIO]))
    with pytest.raises(RetakeNeeded) as error:
        check_white_balance_gains(np.array([1.0, 2.0, MAX_GAIN_RATIO + 0.1]))
    assert error.value.code == "strongly_coloured_light"
    check_skin_pixels("left_cheek", MIN_KEPT_PIXELS, MIN_KEPT_PIXELS)
    with pytest.raises(RetakeNeeded) as error:
        check_skin_pixels("left_cheek", MIN_KEPT_PIXELS, 10 * MIN_KEPT_PIXELS)
    assert error.value.code == "too_little_skin"


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"glare_on_card": True}, "glare_on_card"),
    ],
)
def test_bad_light_asks_for_a_retake(card: ReferenceCard, options: dict[str, object], code: str) -> None:
    photo = render(card, **options)
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(photo.jpeg, regions=photo.regions)
    assert error.value.code == code
    assert error.value.hint


def test_strongly_coloured_light_asks_for_a_retake(card: ReferenceCard) -> None:
    """A nearly monochromatic red party light that the phone cannot balance."""
    wavelengths = np.arange(360, 781, 5)
    red = colour.SpectralDistribution(
        dict(zip(wavelengths, np.exp(-(((wavelengths - 630) / 12) ** 2)) + 1e-3, strict=True))
    )
    skin = skin_set()[1]
    scene = Scene(red, card, GRID_NM, skin.reflectance)
    phone = Phone("Nikon 5100 (NPL)", colour.MSDS_CAMERA_SENSITIVITIES["Nikon 5100 (NPL)"], awb_adaptation=0.3)
    photo = render_photo(scene, phone, Shot(size=(1000, 750), card_width_px=440), np.random.default_rng(3))
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(photo.jpeg, regions=photo.regions)
    assert error.value.code in {"strongly_coloured_light", "poor_calibration_fit", "clipped_or_dark", "overexposed"}


@pytest.mark.parametrize(("gain", "code"), [(0.12, "too_dark"), (3.0, "overexposed")])
def test_exposure_problems_ask_for_a_retake(daylight_photo, gain: float, code: str) -> None:  # type: ignore[no-untyped-def]
    import cv2

    image = cv2.imdecode(np.frombuffer(daylight_photo.jpeg, np.uint8), cv2.IMREAD_COLOR).astype(np.float64)
    _, jpeg = cv2.imencode(".jpg", np.clip(image * gain, 0, 255).astype(np.uint8))
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(jpeg.tobytes(), regions=daylight_photo.regions)
    assert error.value.code == code


def test_a_light_gradient_across_the_photo_is_corrected_not_refused(card: ReferenceCard) -> None:
    """90 % more light at one side of the photo than at the other: the card's greys show the plane of the light,
    the cheeks' light is taken from it, and the error stays within the stated uncertainty."""
    from color.colorimetry import delta_E00

    photo = render(card, light_gradient=0.9)
    measured = measure_photo(photo.jpeg, regions=photo.regions)
    error = float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65))
    assert error < 1.5
    assert error < measured.uncertainty_dE00_95
    light = next(q for q in measured.quality if q.name == "light_on_cheeks")
    assert light.value is not None
    assert light.value > 0.15  # the cheeks are lit a fifth differently from the card, and that was seen


def test_light_that_is_not_a_plane_over_the_card_asks_for_a_retake() -> None:
    from color.quality import MAX_NEUTRAL_EXPOSURE_SPREAD, check_even_light

    check_even_light(MAX_NEUTRAL_EXPOSURE_SPREAD)
    with pytest.raises(RetakeNeeded) as error:
        check_even_light(MAX_NEUTRAL_EXPOSURE_SPREAD + 0.01)
    assert error.value.code == "uneven_light"
