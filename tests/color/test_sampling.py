"""Patch sampling: the samples are the rectified card's, and the robust statistics are what their definitions say."""

from __future__ import annotations

import numpy as np
import pytest

from color.card import ReferenceCard
from color.colorimetry import LUMA_WEIGHTS
from color.decode import decode_photo
from color.detect import CardPose, locate_card
from color.sampling import (
    CLIP_CODE,
    GLARE_MARGIN,
    INNER_FRACTION,
    RECTIFY_PX_PER_MM,
    TRIM_FRACTION,
    rectify_card,
    sample_codes,
    sample_patches,
    sRGB_decoding_LUT,
)
from color.simulate import Shot
from tests.color.conftest import render


@pytest.fixture(scope="module")
def photo_and_pose(card: ReferenceCard) -> tuple[np.ndarray, CardPose]:
    shot = Shot(
        size=(1200, 900), card_width_px=480, card_rotation_deg=-12.0, card_tilt_deg=(8.0, -5.0), exposure_ev=0.6
    )
    BGR = decode_photo(render(card, shot=shot).jpeg).BGR
    return BGR, locate_card(BGR, [card.layout])


def _inner_areas(BGR: np.ndarray, pose: CardPose) -> list[np.ndarray]:
    """Each patch's inner area cut from the rectified card, as R G B codes (k, 3): the definition, spelt out."""
    card = rectify_card(BGR, pose)
    inset = (1.0 - INNER_FRACTION) / 2.0
    areas = []
    for patch in pose.layout.patches:
        x, y, w, h = patch.rect_mm
        x0, y0 = round((x + inset * w) * RECTIFY_PX_PER_MM), round((y + inset * h) * RECTIFY_PX_PER_MM)
        x1, y1 = round((x + (1 - inset) * w) * RECTIFY_PX_PER_MM), round((y + (1 - inset) * h) * RECTIFY_PX_PER_MM)
        areas.append(card[y0:y1, x0:x1, ::-1].reshape(-1, 3))
    return areas


def test_sampled_codes_are_the_rectified_cards(photo_and_pose: tuple[np.ndarray, CardPose]) -> None:
    """Sampling only the patches' inner areas reads the codes the whole rectified card holds there (bilinear
    interpolation rounds a few of them the other way)."""
    BGR, pose = photo_and_pose
    codes = sample_codes(BGR, pose)
    areas = _inner_areas(BGR, pose)
    assert codes.shape == (len(pose.layout.patches), min(len(a) for a in areas), 3)
    reference = np.stack([area[: codes.shape[1], ::-1] for area in areas])
    difference = np.abs(codes.astype(int) - reference.astype(int))
    assert difference.max() <= 1
    assert np.mean(difference > 0) < 1e-3


def test_patch_statistics_follow_their_definitions(photo_and_pose: tuple[np.ndarray, CardPose]) -> None:
    """Trimmed mean in linear light, robust spread, and the clipping and glare shares, patch by patch."""
    BGR, pose = photo_and_pose
    samples = sample_patches(BGR, pose)
    lut = sRGB_decoding_LUT()
    n = samples.n_samples
    trim = int(TRIM_FRACTION * n)
    for index, area in enumerate(_inner_areas(BGR, pose)):
        linear = lut[area[:n]]
        luminance = linear @ LUMA_WEIGHTS
        order = np.argsort(luminance, kind="stable")
        ranked = luminance[order]
        kept = linear[order[trim : n - trim]]  # which of equally bright samples are dropped may differ
        assert samples.RGB_linear[index] == pytest.approx(kept.mean(axis=0), abs=2e-4)
        assert samples.RGB_code[index] == pytest.approx(area[:n].mean(axis=0) / 255.0, abs=2e-4)
        assert samples.spread[index] == pytest.approx((ranked[3 * n // 4] - ranked[n // 4]) / 1.349, abs=2e-4)
        codes = area[:n] / 255.0
        clipped_share = np.mean(np.any(codes >= CLIP_CODE, axis=1))
        if abs(clipped_share - 0.05) > 0.01:  # away from the threshold, where one rounded code could tip it
            assert samples.clipped[index] == (clipped_share > 0.05)
        code_luminance = codes @ LUMA_WEIGHTS
        glare_share = np.mean(code_luminance > np.median(code_luminance) + GLARE_MARGIN)
        if abs(glare_share - 0.05) > 0.01:
            assert samples.glare[index] == (glare_share > 0.05)
    assert samples.clipped.any()  # the photo is exposed so that the white patch clips: the flag is exercised
