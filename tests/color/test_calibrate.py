"""Calibration: the tone model, the closed-form leave-one-out, and accuracy on rendered photos."""

from __future__ import annotations

from pathlib import Path

import colour
import numpy as np
import pytest

from bench.datasets import GRID_NM, cameras, illuminant, skin_set
from color.calibrate import (
    calibrate,
    delta_E00,
    fit_correction_matrix,
    fit_tone_model,
    leave_one_out_XYZ,
)
from color.card import ReferenceCard
from color.decode import decode_photo
from color.detect import locate_card
from color.errors import RetakeNeeded
from color.measure import measure_photo
from color.packaged_data import load_virtual_skin
from color.sampling import sample_patches
from color.simulate import Phone, Scene, Shot, render_photo
from color.skin_prior import is_training_subject
from tests.color.conftest import render


def test_tone_model_recovers_a_gamma_and_gains() -> None:
    Y = np.array([0.9, 0.6, 0.4, 0.2, 0.1, 0.05, 0.02])
    gains = np.array([0.8, 1.0, 1.25])
    observed = (Y[:, None] * gains) ** (1 / 1.3)  # a phone with a different curve and a colour cast
    model = fit_tone_model(observed, Y, np.ones(len(Y), dtype=bool))
    assert model.apply(observed) == pytest.approx(np.repeat(Y[:, None], 3, axis=1), rel=1e-6)


def test_closed_form_leave_one_out_equals_refitting() -> None:
    rng = np.random.default_rng(7)
    terms, XYZ = rng.uniform(0.05, 1, (30, 6)), rng.uniform(0.05, 1, (30, 3))
    weights = rng.uniform(0, 2, 30)
    weights[4] = 0.0
    fast = leave_one_out_XYZ(terms, XYZ, weights, 12)
    refit = np.array(
        [fit_correction_matrix(terms, XYZ, np.where(np.arange(30) == i, 0.0, weights)) @ terms[i] for i in range(12)]
    )
    assert fast == pytest.approx(refit, abs=1e-10)


def test_daylight_photo_is_accurate(card: ReferenceCard, daylight_photo) -> None:  # type: ignore[no-untyped-def]
    measured = measure_photo(daylight_photo.jpeg, regions=daylight_photo.regions)
    error = float(delta_E00(measured.Lab_D65, daylight_photo.truth_Lab_D65))
    assert error < 1.5  # guards the whole pipeline on an easy photo; the benchmark measures the distribution
    assert error <= measured.uncertainty_dE00_95
    assert measured.calibration_method in measured.candidates_loo_skin_dE00


def test_held_out_skin_across_cameras_and_lights(card: ReferenceCard, shared_data: Path) -> None:
    """A small version of bench/bench_measurement.py: median ≤ 1.0 and worst ≤ 2.5 ΔE00 on held-out skin."""
    held_out = [s for s in skin_set() if not is_training_subject(s.name.split("+")[0])]
    all_cameras = cameras()
    rng = np.random.default_rng(11)
    errors = []
    for light in ("A", "D65", "FL2"):
        for camera in ("Nikon 5100 (NPL)", "canon eos 5d mark ii", "mobile phone average (Tominaga 2021)"):
            sample = held_out[int(rng.integers(len(held_out)))]
            scene = Scene(illuminant(light), card, GRID_NM, sample.reflectance)
            phone = Phone(camera, all_cameras[camera], tone_curve="filmic")
            photo = render_photo(scene, phone, Shot(size=(1000, 750), card_width_px=440), rng)
            measured = measure_photo(photo.jpeg, regions=photo.regions)
            errors.append(float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65)))
    assert np.median(errors) <= 1.0, errors
    assert max(errors) <= 2.5, errors


def test_virtual_skin_removes_the_card_only_bias_under_incandescent_light(
    card: ReferenceCard, shared_data: Path
) -> None:
    """Without the skin prior, the card's pigments leave a large bias on skin under illuminant A."""
    photo = render(card, illuminant="A", camera="Nikon 5100 (NPL)", skin_index=3)
    decoded = decode_photo(photo.jpeg)
    samples = sample_patches(decoded.BGR, locate_card(decoded.BGR, [card.layout]))
    prior = load_virtual_skin()
    with_prior = measure_photo(photo.jpeg, regions=photo.regions)
    from color.packaged_data import VirtualSkin

    empty = VirtualSkin(
        names=(), reflectance=np.zeros((0, 36)), XYZ_D65=np.zeros((0, 3)), Lab_D65=np.zeros((0, 3)), source=""
    )
    assert len(prior.names) > 50
    card_only = calibrate(card, samples, empty, methods=("matrix_3x3_Cheung2004",), leave_one_out=False)
    from color.skin import parse_regions, region_colour, region_pixels

    regions = parse_regions(photo.regions, decoded.size)
    card_only_Lab = region_colour(region_pixels(decoded.BGR, regions[0]), regions[0], card_only).Lab_D65
    assert float(delta_E00(with_prior.Lab_D65, photo.truth_Lab_D65)) < 0.5 * float(
        delta_E00(card_only_Lab, photo.truth_Lab_D65)
    )


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"glare_on_card": True}, "glare_on_card"),
        ({"light_gradient": 0.9}, "uneven_light"),
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


def test_small_card_in_a_large_photo_is_measured_at_full_resolution(card: ReferenceCard) -> None:
    """At half scale this card's patches would span under 32 px: the photo is decoded again in full."""
    shot = Shot(size=(3800, 2850), card_width_px=560, card_centre=(0.7, 0.62), card_tilt=0.0)
    photo = render(card, shot=shot)
    measured = measure_photo(photo.jpeg, regions=photo.regions)
    assert float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65)) < 1.5
    reduced = decode_photo(photo.jpeg, min_long_side=1800)
    with pytest.raises(RetakeNeeded) as error:  # the first, reduced look alone would have asked for a retake
        locate_card(reduced.BGR, [card.layout])
    assert error.value.code == "card_too_small"


@pytest.mark.parametrize(("gain", "code"), [(0.12, "too_dark"), (3.0, "overexposed")])
def test_exposure_problems_ask_for_a_retake(daylight_photo, gain: float, code: str) -> None:  # type: ignore[no-untyped-def]
    import cv2

    image = cv2.imdecode(np.frombuffer(daylight_photo.jpeg, np.uint8), cv2.IMREAD_COLOR).astype(np.float64)
    _, jpeg = cv2.imencode(".jpg", np.clip(image * gain, 0, 255).astype(np.uint8))
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(jpeg.tobytes(), regions=daylight_photo.regions)
    assert error.value.code == code
