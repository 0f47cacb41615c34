"""Small cards: markers read on a crop around the card when the whole photo shows them too small or too blurred.

The photos are those that bench_conditions' "card small" group refused before the crop search (card an eighth
of the photo's width, patches of 17-19 px, markers of 14-15 px): mirrored, tilted, slightly blurred.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import color.detect
from color.card import ReferenceCard
from color.colorimetry import delta_E00
from color.decode import decode_photo
from color.detect import locate_card
from color.errors import RetakeNeeded
from color.measure import measure_photo
from color.packaged_data import load_card
from color.simulate import Shot, card_homography
from tests.color.conftest import render

CORNERS_MM = np.array([[0.0, 0.0], [85.6, 0.0], [85.6, 54.0], [0.0, 54.0]])
SMALL_SHOTS = {
    # A mirrored selfie: no marker is read on the whole photo as is, two of four mirrored.
    "mirrored": Shot(
        size=(1500, 2000),
        card_width_px=200,
        card_centre=(0.72, 0.62),
        card_rotation_deg=13.0,
        card_tilt_deg=(1.4, 6.2),
        optical_blur_px=0.5,
        mirrored=True,
    ),
    # One marker of four is read on the whole photo: the card was refused as too small.
    "tilted": Shot(
        size=(1500, 2000),
        card_width_px=185,
        card_centre=(0.72, 0.62),
        card_rotation_deg=15.0,
        card_tilt_deg=(5.0, 5.0),
        optical_blur_px=0.5,
    ),
}


def _truth_px(shot: Shot, card: ReferenceCard) -> np.ndarray:
    truth = cv2.perspectiveTransform(CORNERS_MM.reshape(-1, 1, 2), card_homography(card, shot)).reshape(-1, 2)
    if shot.mirrored:
        truth[:, 0] = shot.size[0] - 1 - truth[:, 0]
    return truth


@pytest.mark.parametrize("name", sorted(SMALL_SHOTS))
def test_a_card_an_eighth_of_the_photo_is_read_and_measured(card: ReferenceCard, name: str) -> None:
    shot = SMALL_SHOTS[name]
    photo = render(card, shot=shot)
    pose = locate_card(decode_photo(photo.jpeg).BGR, [card.layout])
    assert pose.markers_found == (0, 1, 2, 3)
    assert pose.mirrored == shot.mirrored
    patch_px = pose.px_per_mm * 8.0
    assert 16 <= patch_px < 20  # the case this guards: patches under 20 px, markers under 16 px
    # Corners from markers of 14-15 px, refined on the photo: within 1.5 px of where the renderer put them.
    assert np.abs(pose.to_image(CORNERS_MM) - _truth_px(shot, card)).max() < 1.5
    measured = measure_photo(photo.jpeg, regions=photo.regions)
    assert float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65)) < 2.0


def test_with_no_marker_read_on_the_whole_photo_the_patch_grid_leads_to_the_card(
    card: ReferenceCard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole photo searched only at 256 px shows markers of 5 px, which cannot be read: the crop around the
    card's grid of patches, enlarged, reads all four."""
    monkeypatch.setattr(color.detect, "DETECTION_LONG_SIDES", (256,))
    shot = Shot(size=(1600, 1200), card_width_px=440, mirrored=True)
    pose = locate_card(decode_photo(render(card, shot=shot).jpeg).BGR, [card.layout])
    assert pose.markers_found == (0, 1, 2, 3)
    assert pose.mirrored
    assert np.abs(pose.to_image(CORNERS_MM) - _truth_px(shot, card)).max() < 1.0


def test_a_colour_chart_without_markers_is_not_our_card(card: ReferenceCard) -> None:
    """The crop around a grid of patches finds no marker there: no card, not a card read from nothing."""
    checker = load_card("colorchecker-classic-24")
    photo = render(checker, shot=Shot(size=(1200, 900), card_width_px=430, card_centre=(0.75, 0.6)))
    with pytest.raises(RetakeNeeded) as error:
        locate_card(decode_photo(photo.jpeg).BGR, [card.layout])
    assert error.value.code == "card_not_found"
