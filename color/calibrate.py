"""Colorimetric calibration of a photo from the card's patches: linear camera response, then colour correction.

1. Tone curve (``color.tone_curve``): the camera's linear response from the neutral patches, after the
   photo's checks (``color.quality``).
2. Colour correction from linear camera RGB to the card's reference CIE XYZ under D65: a 3×3 matrix, a 3×3
   with offset (flare), and the root-polynomial of Finlayson et al. (2015). Their terms are colour-science's
   ``matrix_augmented_Cheung2004`` and ``polynomial_expansion_Finlayson2015``, written out with NumPy because
   they run on every pixel of a region and of a skin map, where colour-science's argument handling cost
   several times the work (tests/color/test_calibrate.py checks them against colour-science). Each is
   fitted by weighted least squares: rows scaled by Y^(-2/3) so that errors count as they do in CIELAB, skin
   patches weighted most, and, on a second pass, patches near the measured skin weighted more (a correction
   fitted where skin lives is more accurate there).
3. Skin is not made of the card's pigments, so the card alone leaves a metameric bias on skin. The fit
   also takes virtual skin patches (``color.skin_prior``): real skin spectra whose responses in this
   photo are predicted through the spectral response estimated on the card
   (``color.spectral_response``). They carry most of the weight, near the measured skin most of all.
4. The model with the lowest leave-one-out CIEDE2000 error on the card's skin patches wins.

References:
    Cheung, V., Westland, S., Connah, D., Ripamonti, C. (2004). A comparative study of the
    characterisation of colour cameras by means of neural networks and polynomial transforms.
    Coloration Technology 120(1), 19-25. doi:10.1111/j.1478-4408.2004.tb00201.x
    Finlayson, G. D., Mackiewicz, M., Hurlbert, A. (2015). Color Correction Using Root-Polynomial
    Regression. IEEE Trans. Image Process. 24(5), 1460-1470. doi:10.1109/TIP.2015.2405336
    CIE 15:2018 Colorimetry, 4th ed. (CIELAB); CIE 142-2001 (CIEDE2000).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from color.card import PatchKind, ReferenceCard
from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.light_field import LightField, even_light, fit_light_field, refine_on_all_patches
from color.packaged_data import VirtualSkin, load_spectral_basis
from color.quality import as_shot_white_xy, check_calibration_consistency, check_photo, check_white_balance_gains
from color.sampling import PatchSamples, sRGB_decoding_LUT
from color.spectral_response import estimate_spectral_response
from color.tone_curve import ToneModel, fit_tone_model

Expansion = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def expand_3x3(RGB: NDArray[np.float64]) -> NDArray[np.float64]:
    """Terms of a 3×3 matrix correction (..., 3): R, G, B (Cheung et al. 2004)."""
    return np.asarray(RGB, dtype=np.float64)


def expand_3x3_offset(RGB: NDArray[np.float64]) -> NDArray[np.float64]:
    """Terms of a 3×3 matrix with an offset for flare (..., 4): R, G, B, 1 (Cheung et al. 2004)."""
    RGB = np.asarray(RGB, dtype=np.float64)
    terms = np.empty((*RGB.shape[:-1], 4))
    terms[..., :3] = RGB
    terms[..., 3] = 1.0
    return terms


def expand_root_polynomial_2(RGB: NDArray[np.float64]) -> NDArray[np.float64]:
    """Terms of the degree-2 root-polynomial correction (..., 6): R, G, B, √RG, √GB, √RB, each root with its
    product's sign (Finlayson et al. 2015)."""
    RGB = np.asarray(RGB, dtype=np.float64)
    terms = np.empty((*RGB.shape[:-1], 6))
    terms[..., :3] = RGB
    R, G, B = RGB[..., 0], RGB[..., 1], RGB[..., 2]
    for column, product in ((3, R * G), (4, G * B), (5, R * B)):
        terms[..., column] = np.copysign(np.sqrt(np.abs(product)), product)
    return terms


CORRECTION_METHODS: dict[str, Expansion] = {
    "matrix_3x3_Cheung2004": expand_3x3,
    "matrix_3x3_offset_Cheung2004": expand_3x3_offset,
    "root_polynomial_2_Finlayson2015": expand_root_polynomial_2,
}

KIND_WEIGHTS = {PatchKind.SKIN: 1.0, PatchKind.NEUTRAL: 0.5, PatchKind.CHROMATIC: 0.25}
FOCUS_RADIUS_DE00 = 12.0  # patches within about this CIEDE2000 of the skin get up to FOCUS_BOOST times more weight
FOCUS_BOOST = 3.0
Y_FLOOR = 0.008  # L* about 7: darker patches are not weighted up further
# Total weight of the virtual skin patches relative to the card's: measured in the idealised setting of
# bench/bench_measurement.py, 10 to 30 times gives the lowest error on held-out skin; beyond, the card's
# own fit (and so the estimated spectral response) stops mattering enough.
VIRTUAL_SKIN_WEIGHT = 20.0
L_PER_RELATIVE_Y = 50.0 / 3.0  # dL* per relative change of Y, at L* about 50 (CIE 15:2018 L* = 116 (Y/Yn)^(1/3) − 16)
NOISE_REFERENCE_DE = 0.5  # the fit's own error on held-out skin is about this: noise below it barely matters
DEFAULT_METHOD = "root_polynomial_2_Finlayson2015"  # best on held-out skin in that setting


def _row_scale(XYZ: NDArray[np.float64]) -> NDArray[np.float64]:
    """Y^(-2/3): CIELAB's sensitivity to an XYZ error at luminance Y (dL* ∝ Y^(-2/3) dY)."""
    scale: NDArray[np.float64] = np.maximum(XYZ[:, 1], Y_FLOOR) ** (-2.0 / 3.0)
    return scale


def fit_correction_matrix(
    terms: NDArray[np.float64], XYZ: NDArray[np.float64], weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Matrix M (3, k) minimising Σ w_i ‖s_i (M·t_i − XYZ_i)‖² with s_i = Y_i^(-2/3)."""
    row = np.sqrt(weights) * _row_scale(XYZ)
    solution, *_ = np.linalg.lstsq(terms * row[:, None], XYZ * row[:, None], rcond=None)
    return np.asarray(solution.T, dtype=np.float64)


def leave_one_out_XYZ(
    terms: NDArray[np.float64],
    XYZ: NDArray[np.float64],
    weights: NDArray[np.float64],
    n_held_out: int,
    matrix: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """XYZ of each of the first ``n_held_out`` rows predicted by a correction fitted without that row.

    Closed form for weighted least squares: the held-out residual of row i is e_i / (1 − h_ii), with h_ii
    the leverage of the row in the weighted design (Cook & Weisberg 1982, Residuals and Influence in
    Regression, §2.2); a row of zero weight has no leverage and is simply predicted. ``matrix`` is the fit of
    ``fit_correction_matrix`` on the same rows, when the caller has it already.
    """
    row = np.sqrt(weights) * _row_scale(XYZ)
    design = terms * row[:, None]
    gram_inverse = np.linalg.pinv(design.T @ design)
    if matrix is None:
        matrix = fit_correction_matrix(terms, XYZ, weights)
    head = slice(0, n_held_out)
    predicted = terms[head] @ matrix.T
    leverage = np.einsum("ij,jk,ik->i", design[head], gram_inverse, design[head])
    residual = XYZ[head] - predicted
    held_out: NDArray[np.float64] = XYZ[head] - residual / np.clip(1.0 - leverage, 1e-6, None)[:, None]
    return held_out


@dataclass(frozen=True)
class Calibration:
    """How a photo's pixels become CIE XYZ (D65, 2°), and how well the card says that works."""

    card: ReferenceCard
    tone: ToneModel
    method: str
    matrix: NDArray[np.float64]
    used: NDArray[np.bool_]  # patches used in the fit
    residual_dE00: NDArray[np.float64]  # in-sample, every card patch
    loo_dE00: NDArray[np.float64]  # leave-one-out, every card patch, in the fit with the virtual skin
    card_only_loo_dE00: NDArray[np.float64]  # leave-one-out of a card-only 3×3 fit: the photo's consistency
    virtual_residual_dE00: NDArray[np.float64]  # in-sample error on each virtual skin patch
    virtual_focus_weights: NDArray[np.float64]
    candidates_loo_skin_dE00: dict[str, float]
    focus_weights: NDArray[np.float64]
    as_shot_white_xy: NDArray[np.float64]
    rejected: dict[str, str] = field(default_factory=dict)

    @cached_property
    def code_to_linear(self) -> NDArray[np.float64]:
        """Linear value of each 8-bit code in each channel, (256, 3): the tone model as a lookup table."""
        decoded = np.repeat(sRGB_decoding_LUT()[:, None], 3, axis=1)
        return self.tone.apply(decoded)

    def codes_to_linear(self, codes: NDArray[np.uint8]) -> NDArray[np.float64]:
        """8-bit R G B codes (n, 3) to the camera's linear response (the space where light adds up)."""
        lut = self.code_to_linear
        return np.stack([lut[codes[:, 0], 0], lut[codes[:, 1], 1], lut[codes[:, 2], 2]], axis=1)

    def linear_to_XYZ(self, linear: NDArray[np.float64]) -> NDArray[np.float64]:
        """Linear response (..., 3) to CIE XYZ under D65 (Y of white = 1) through the fitted correction."""
        XYZ: NDArray[np.float64] = CORRECTION_METHODS[self.method](linear) @ self.matrix.T
        return XYZ

    def codes_to_XYZ(self, codes: NDArray[np.uint8]) -> NDArray[np.float64]:
        """8-bit R G B codes (n, 3) to CIE XYZ under D65 (Y of white = 1)."""
        return self.linear_to_XYZ(self.codes_to_linear(codes))

    def decoded_to_XYZ(self, RGB_decoded: NDArray[np.float64]) -> NDArray[np.float64]:
        """sRGB-decoded pixel values (..., 3) to CIE XYZ under D65 (Y of white = 1)."""
        shape = RGB_decoded.shape
        linear = self.tone.apply(RGB_decoded.reshape(-1, 3))
        XYZ: NDArray[np.float64] = CORRECTION_METHODS[self.method](linear) @ self.matrix.T
        return XYZ.reshape(shape)

    def _skin_mask(self) -> NDArray[np.bool_]:
        mask = np.zeros(len(self.used), dtype=bool)
        mask[self.card.layout.patch_index(PatchKind.SKIN)] = True
        return mask & self.used

    def photo_consistency_dE00(self) -> float:
        """Median leave-one-out ΔE00 of a card-only 3×3 fit over the usable patches."""
        return float(np.median(self.card_only_loo_dE00[self.used]))

    def card_skin_loo_dE00(self) -> float:
        """Focus-weighted RMS of the card-only leave-one-out ΔE00 over the skin patches (photo noise near skin)."""
        mask = self._skin_mask()
        weights = self.focus_weights[mask]
        return float(np.sqrt(np.sum(weights * self.card_only_loo_dE00[mask] ** 2) / np.sum(weights)))

    def skin_model_dE00(self) -> float:
        """Focus-weighted RMS error of the correction on the virtual skin: how far one correction fits skin."""
        weights = self.virtual_focus_weights
        return float(np.sqrt(np.sum(weights * self.virtual_residual_dE00**2) / np.sum(weights)))


def noise_weights(relative_noise: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weights (n,) in (0, 1] that down-weight patches whose mean the photo's noise makes uncertain.

    A patch's lightness error from noise is about ``L_PER_RELATIVE_Y`` times its mean's relative standard error
    (dL*/L* ≈ (1/3) dY/Y, L* near 50); a patch is weighed by 1 / (1 + (that error / ``NOISE_REFERENCE_DE``)²),
    the usual inverse-variance weight with the fit's own error floor. A large patch keeps its weight; one of
    a dozen pixels in a noisy photo counts less instead of the photo being refused.
    """
    lightness_error = L_PER_RELATIVE_Y * relative_noise
    return np.asarray(1.0 / (1.0 + (lightness_error / NOISE_REFERENCE_DE) ** 2), dtype=np.float64)


def _kind_weights(card: ReferenceCard) -> NDArray[np.float64]:
    return np.array([KIND_WEIGHTS[p.kind] for p in card.layout.patches], dtype=np.float64)


def _focus_weights(Lab_patches: NDArray[np.float64], Lab: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """1 everywhere, rising to 1 + FOCUS_BOOST for patches close (in ΔE00) to ``Lab``."""
    if Lab is None:
        return np.ones(len(Lab_patches))
    distance = delta_E00(Lab_patches, np.broadcast_to(Lab, Lab_patches.shape))
    weights: NDArray[np.float64] = 1.0 + FOCUS_BOOST * np.exp(-((distance / FOCUS_RADIUS_DE00) ** 2))
    return weights


def focus_weights_near(card: ReferenceCard, Lab: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """Focus weights of the card's patches around the skin colour ``Lab`` (all 1 when it is not known yet)."""
    return _focus_weights(card.Lab_D65, Lab)


@dataclass(frozen=True)
class PreparedPhoto:
    """What every fit on one photo shares: usable patches, tone model, linear values, virtual skin responses."""

    card: ReferenceCard
    prior: VirtualSkin
    usable: NDArray[np.bool_]
    rejected: dict[str, str]
    tone: ToneModel
    linear: NDArray[np.float64]  # (n_patches, 3) linear response of the card's patches
    noise_weights: NDArray[np.float64]  # (n_patches,) down-weights patches whose mean the photo's noise blurs
    virtual_RGB: NDArray[np.float64]  # (n_virtual, 3) predicted linear response of the virtual skin
    as_shot_white_xy: NDArray[np.float64]
    light: LightField  # the light over the photo (assumed even when the patches' places were not given)


def prepare(
    card: ReferenceCard,
    samples: PatchSamples,
    prior: VirtualSkin,
    patch_centres_px: NDArray[np.float64] | None = None,
    image_width: int | None = None,
) -> PreparedPhoto:
    """Check the photo, fit the tone model, and predict the virtual skin's responses (once per photo).

    With the patches' centres in the photo (and its width), the light over the card is fitted too, first on the
    smooth cubic tone curve. The neutrals' spread around that plane is what ``light.residual_spread`` reports
    (``check_even_light``): the shaped curve passes through every neutral, so a neutral in a patch of other
    light (glare, a shadow's edge) shows only against the smooth one. The plane is refined on every patch
    (``refine_on_all_patches``: the neutrals alone cannot tell a gradient along their own ramp from the curve's
    shape), the shaped curve is fitted with that light taken out, so that a gradient over the card goes to the
    light field and not into the curve, and the plane is refined again on the shaped curve. The patches are
    then divided by it: every patch as lit at the neutrals' centre, from which the skin's light is counted.
    """
    if prior.reflectance.shape[1] != card.reflectance.shape[1]:
        raise ValueError("the skin prior and the card must share one wavelength grid")
    if (patch_centres_px is None) != (image_width is None):
        raise ValueError("the patches' centres and the image's width are given together or not at all")
    white_xy = as_shot_white_xy(card, samples)
    usable, neutral_usable, rejected = check_photo(card, samples, white_xy)
    Y = card.XYZ_D65[:, 1]
    light, log_light = even_light(np.zeros(2)), None
    if patch_centres_px is not None and image_width is not None:
        smooth = fit_tone_model(samples.RGB_linear, Y, neutral_usable, shaped=False).apply(samples.RGB_linear)
        first = fit_light_field(card, smooth, usable, patch_centres_px, image_width)
        light = refine_on_all_patches(card, smooth, usable, patch_centres_px, image_width=image_width, light=first)
        log_light = np.log([light.ratio_at(centre) for centre in patch_centres_px])
    tone = fit_tone_model(samples.RGB_linear, Y, neutral_usable, log_light=log_light)
    check_white_balance_gains(tone.gains)
    linear = tone.apply(samples.RGB_linear)
    if patch_centres_px is not None and image_width is not None:
        light = refine_on_all_patches(card, linear, usable, patch_centres_px, image_width=image_width, light=light)
        light = replace(light, residual_spread=first.residual_spread)
        # Every patch as lit at the neutrals' centre, where the skin's light ratio is counted from.
        linear = linear / np.array([light.ratio_at(centre) for centre in patch_centres_px])[:, None]
    # Virtual skin: responses predicted through the spectral response the card reveals.
    response = estimate_spectral_response(card.reflectance[usable], linear[usable], load_spectral_basis())
    return PreparedPhoto(
        card=card,
        prior=prior,
        usable=usable,
        rejected=rejected,
        tone=tone,
        linear=linear,
        noise_weights=noise_weights(samples.relative_noise),
        virtual_RGB=prior.reflectance @ response.T,
        as_shot_white_xy=white_xy,
        light=light,
    )


def fit(
    prepared: PreparedPhoto,
    focus_Lab: NDArray[np.float64] | None = None,
    *,
    methods: tuple[str, ...] = tuple(CORRECTION_METHODS),
    leave_one_out: bool = True,
    scored: bool = True,
) -> Calibration:
    """Fit each correction method on the card and the virtual skin; keep the best by leave-one-out ΔE00.

    ``leave_one_out=False`` scores by in-sample error and skips the diagnostics (a quick first pass that
    only locates the skin). All CIEDE2000 values are computed in one batch. ``scored=False`` (one method, no
    leave-one-out) skips them too: the correction alone, its error fields NaN (0.4 ms of a first pass that
    uses the correction only).
    """
    if not scored and (leave_one_out or len(methods) != 1):
        raise ValueError("an unscored fit is of one method, without leave-one-out")
    card, prior, usable, linear = prepared.card, prepared.prior, prepared.usable, prepared.linear
    card_weights = _kind_weights(card) * usable * prepared.noise_weights
    n_card, n_virtual = len(card_weights), len(prior.Lab_D65)
    both_focus = _focus_weights(np.vstack([card.Lab_D65, prior.Lab_D65]), focus_Lab)  # one CIEDE2000 batch
    focus, virtual_focus = both_focus[:n_card], both_focus[n_card:]
    weights = card_weights * focus
    virtual_weights = virtual_focus * (VIRTUAL_SKIN_WEIGHT * weights.sum() / max(float(virtual_focus.sum()), 1e-12))
    all_weights = np.concatenate([weights, virtual_weights])
    all_XYZ = np.vstack([card.XYZ_D65, prior.XYZ_D65])
    matrices: dict[str, NDArray[np.float64]] = {}
    predicted: list[NDArray[np.float64]] = []
    references: list[NDArray[np.float64]] = []
    for method in methods:
        expansion = CORRECTION_METHODS[method]
        terms = np.vstack([expansion(linear), expansion(prepared.virtual_RGB)])
        matrix = matrices[method] = fit_correction_matrix(terms, all_XYZ, all_weights)
        held_out = (
            leave_one_out_XYZ(terms, all_XYZ, all_weights, n_card, matrix)
            if leave_one_out
            else terms[:n_card] @ matrix.T
        )
        predicted += [held_out, terms @ matrix.T]  # leave-one-out on the card; in-sample on card and virtual skin
        references += [card.Lab_D65, card.Lab_D65, prior.Lab_D65]
    if leave_one_out:
        predicted.append(leave_one_out_XYZ(expand_3x3(linear), card.XYZ_D65, card_weights, n_card))
        references.append(card.Lab_D65)
    errors = (
        delta_E00(XYZ_to_Lab_D65(np.vstack(predicted)), np.vstack(references))
        if scored
        else np.full(sum(len(reference) for reference in references), np.nan)
    )
    per_method = 2 * n_card + n_virtual
    skin_mask = np.zeros(n_card, dtype=bool)
    skin_mask[card.layout.patch_index(PatchKind.SKIN)] = True
    skin_mask &= usable
    candidates: dict[str, float] = {}
    for index, method in enumerate(methods):
        loo = errors[index * per_method : index * per_method + n_card]
        score = float(np.sqrt(np.sum(focus[skin_mask] * loo[skin_mask] ** 2) / np.sum(focus[skin_mask])))
        candidates[method] = round(score, 3)
    method = min(candidates, key=candidates.__getitem__)
    offset = methods.index(method) * per_method
    card_only_loo = errors[len(methods) * per_method :] if leave_one_out else np.zeros(n_card)
    calibration = Calibration(
        card=card,
        tone=prepared.tone,
        method=method,
        matrix=matrices[method],
        used=usable,
        residual_dE00=errors[offset + n_card : offset + 2 * n_card],
        loo_dE00=errors[offset : offset + n_card],
        card_only_loo_dE00=card_only_loo,
        virtual_residual_dE00=errors[offset + 2 * n_card : offset + per_method],
        virtual_focus_weights=virtual_focus,
        candidates_loo_skin_dE00=candidates,
        focus_weights=focus,
        as_shot_white_xy=prepared.as_shot_white_xy,
        rejected=prepared.rejected,
    )
    if leave_one_out:
        check_calibration_consistency(calibration.photo_consistency_dE00())
    return calibration


def calibrate(
    card: ReferenceCard,
    samples: PatchSamples,
    prior: VirtualSkin,
    focus_Lab: NDArray[np.float64] | None = None,
    *,
    methods: tuple[str, ...] = tuple(CORRECTION_METHODS),
    leave_one_out: bool = True,
) -> Calibration:
    """``prepare`` then ``fit``: the whole calibration of one photo in one call."""
    return fit(prepare(card, samples, prior), focus_Lab, methods=methods, leave_one_out=leave_one_out)
