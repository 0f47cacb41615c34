"""Melanin and erythema indices: round trip, monotonic in added content, uncertainty, ranking on known skins."""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_skin_indices import held_out_spectra, known_skins, rho
from bench.datasets import shared_data
from color import skin_prior
from color.colorimetry import WAVELENGTHS_NM, XYZ_to_Lab_D65
from color.packaged_data import load_virtual_skin
from color.skin_indices import (
    EXTINCTION_Hb,
    EXTINCTION_HbO2,
    model_Lab,
    sample_Lab_within,
    skin_indices_from_Lab,
)
from color.spectral import reflectance_to_XYZ


def _plain_prior_spectra() -> np.ndarray:
    prior = load_virtual_skin()
    return prior.reflectance[[i for i, n in enumerate(prior.names) if "+" not in n]]


def _Lab(reflectance: np.ndarray) -> np.ndarray:
    return XYZ_to_Lab_D65(reflectance_to_XYZ(WAVELENGTHS_NM, reflectance))


def test_model_colours_give_back_their_indices_in_any_shape() -> None:
    D = np.array([[-0.1, 0.0, 0.2], [0.4, 0.6, 0.1]])
    B = np.array([[0.0, 1.0, 2.5], [-0.2, 0.5, 3.0]])
    indices = skin_indices_from_Lab(model_Lab(D, B))
    assert indices.melanin_od.shape == (2, 3)
    np.testing.assert_allclose(indices.melanin_od, D, atol=1e-5)
    np.testing.assert_allclose(indices.blood_uM_cm, B, atol=1e-4)
    np.testing.assert_allclose(indices.residual_dE00, 0.0, atol=1e-3)
    assert np.all(np.isnan(indices.melanin_od_95))  # no stated uncertainty, none invented


def test_indices_rise_with_added_melanin_and_blood_on_real_skin_spectra() -> None:
    """Packaged NIST spectra (no shared data needed), content added by the skin prior's own functions."""
    base = _plain_prior_spectra()[::10]
    melanin_steps = (0.0, 0.1, 0.2, 0.4)
    darker = np.stack([skin_prior.darken_with_melanin(WAVELENGTHS_NM, base, d) for d in melanin_steps])
    D = skin_indices_from_Lab(_Lab(darker)).melanin_od  # (steps, subjects)
    assert np.all(np.diff(D, axis=0) > 0.05)
    blood_steps = (0.0, 0.5, 1.0, 2.0)
    redder = np.stack(
        [
            skin_prior.redden_with_blood(WAVELENGTHS_NM, base, EXTINCTION_HbO2, EXTINCTION_Hb, b * 1e-6)
            for b in blood_steps
        ]
    )
    indices = skin_indices_from_Lab(_Lab(redder))
    assert np.all(np.diff(indices.blood_uM_cm, axis=0) > 0.2)
    # Blood is not read as melanin: the melanin index moves far less than between the melanin steps.
    assert np.all(np.abs(indices.melanin_od[-1] - indices.melanin_od[0]) < 0.05)


def test_uncertainty_scales_with_the_stated_radius() -> None:
    Lab = _Lab(_plain_prior_spectra()[:5])
    wide, narrow = skin_indices_from_Lab(Lab, 2.0), skin_indices_from_Lab(Lab, 0.5)
    np.testing.assert_allclose(narrow.melanin_od_95, wide.melanin_od_95 / 4.0, rtol=1e-9)
    np.testing.assert_allclose(narrow.blood_uM_cm_95, wide.blood_uM_cm_95 / 4.0, rtol=1e-9)
    assert np.all(wide.melanin_od_95 > 0)
    assert np.all(wide.blood_uM_cm_95 > 0)
    np.testing.assert_array_equal(wide.melanin_od, narrow.melanin_od)  # the estimate does not depend on it


def test_stated_half_widths_cover_about_95_percent_of_the_error() -> None:
    rng = np.random.default_rng(5)
    Lab = np.repeat(_Lab(_plain_prior_spectra()[::5]), 40, axis=0)
    exact = skin_indices_from_Lab(Lab)
    noisy = skin_indices_from_Lab(sample_Lab_within(Lab, np.full(len(Lab), 1.5), rng), 1.5)
    for value, truth, half_width in (
        (noisy.melanin_od, exact.melanin_od, noisy.melanin_od_95),
        (noisy.blood_uM_cm, exact.blood_uM_cm, noisy.blood_uM_cm_95),
    ):
        assert 0.90 <= float(np.mean(np.abs(value - truth) <= half_width)) <= 0.99


def test_a_colour_without_three_values_is_refused() -> None:
    with pytest.raises(ValueError, match="3 values"):
        skin_indices_from_Lab([60.0, 10.0])


needs_shared = pytest.mark.skipif(shared_data() is None, reason="../shared/data is absent")


@needs_shared
def test_embedded_extinction_is_prahls_table() -> None:
    shared = shared_data()
    assert shared is not None
    HbO2, Hb = skin_prior.haemoglobin_extinction(shared)
    np.testing.assert_allclose(EXTINCTION_HbO2, HbO2, atol=0.5)
    np.testing.assert_allclose(EXTINCTION_Hb, Hb, atol=0.5)


@needs_shared
def test_indices_rank_held_out_skins_by_their_added_melanin_and_blood() -> None:
    """Held-out NIST subjects (a small set: 12 × 3), content added, photo-sized error (95 % radius 1.5 ΔE00)."""
    bases = held_out_spectra()
    assert bases is not None
    rng = np.random.default_rng(3)
    skins = known_skins(bases[::4], 3, 0.5, 3.0, rng)
    measured = sample_Lab_within(skins.Lab_D65, np.full(len(skins.base), 1.5), rng)
    indices = skin_indices_from_Lab(measured, 1.5)
    assert rho(indices.melanin_od, skins.added_melanin_od) >= 0.85
    assert rho(indices.blood_uM_cm, skins.added_blood_uM_cm) >= 0.7
