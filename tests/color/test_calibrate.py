"""Calibration: the closed-form leave-one-out, and accuracy on rendered photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from colour.characterisation import matrix_augmented_Cheung2004, polynomial_expansion_Finlayson2015

from bench.datasets import GRID_NM, cameras, illuminant, skin_set
from color.calibrate import (
    calibrate,
    expand_3x3,
    expand_3x3_offset,
    expand_root_polynomial_2,
    fit_correction_matrix,
    leave_one_out_XYZ,
)
from color.card import ReferenceCard
from color.colorimetry import delta_E00
from color.decode import decode_photo
from color.detect import locate_card
from color.errors import RetakeNeeded
from color.measure import measure_photo
from color.packaged_data import load_virtual_skin
from color.sampling import sample_patches
from color.simulate import Phone, Scene, Shot, render_photo
from color.skin_prior import is_training_subject
from tests.color.conftest import render


def test_expansions_are_colour_sciences() -> None:
    """The correction's terms, written out with NumPy for speed, are colour-science's to rounding, on pixels,
    a whole image and a dark channel below zero (the root terms keep their product's sign)."""
    rng = np.random.default_rng(3)
    for RGB in (rng.uniform(-0.02, 1.0, (2000, 3)), rng.uniform(0.0, 1.0, (20, 30, 3)), np.array([0.2, -0.1, 0.4])):
        expected = {
            expand_3x3: matrix_augmented_Cheung2004(RGB, terms=3),
            expand_3x3_offset: matrix_augmented_Cheung2004(RGB, terms=4),
            expand_root_polynomial_2: polynomial_expansion_Finlayson2015(RGB, degree=2, root_polynomial_expansion=True),
        }
        for expansion, terms in expected.items():
            np.testing.assert_allclose(expansion(RGB), terms, rtol=1e-14, atol=1e-15)


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
    # The fit the caller already has is the one the closed form uses.
    given = leave_one_out_XYZ(terms, XYZ, weights, 12, fit_correction_matrix(terms, XYZ, weights))
    assert given == pytest.approx(fast, abs=1e-12)


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
    from color.skin import parse_regions, region_pixels
    from color.skin_colour import region_colour

    regions = parse_regions(photo.regions, decoded.size)
    card_only_Lab = region_colour(region_pixels(decoded.BGR, regions[0])[0], regions[0], card_only).Lab_D65
    assert float(delta_E00(with_prior.Lab_D65, photo.truth_Lab_D65)) < 0.5 * float(
        delta_E00(card_only_Lab, photo.truth_Lab_D65)
    )


def test_small_card_in_a_large_photo_is_measured_at_full_resolution(card: ReferenceCard) -> None:
    """At half scale this card's patches would span under 16 px: the photo is decoded again in full."""
    shot = Shot(size=(3800, 2850), card_width_px=336, card_centre=(0.7, 0.62), card_tilt=0.0)
    photo = render(card, shot=shot)
    measured = measure_photo(photo.jpeg, regions=photo.regions)
    assert float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65)) < 1.5
    reduced = decode_photo(photo.jpeg, min_long_side=1800)
    with pytest.raises(RetakeNeeded) as error:  # the first, reduced look alone would have asked for a retake
        locate_card(reduced.BGR, [card.layout])
    assert error.value.code == "card_too_small"
