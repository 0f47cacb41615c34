"""Finding the card: pose, rotation, mirrored photos, and the retake cases."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from color.card import ReferenceCard
from color.decode import decode_photo
from color.detect import locate_card
from color.errors import RetakeNeeded
from color.simulate import Shot, card_homography
from tests.color.conftest import render

CORNERS_MM = np.array([[0.0, 0.0], [85.6, 0.0], [85.6, 54.0], [0.0, 54.0]])


def _pose(card: ReferenceCard, shot: Shot):  # type: ignore[no-untyped-def]
    photo = decode_photo(render(card, shot=shot).jpeg)
    return photo, locate_card(photo.BGR, [card.layout])


@pytest.mark.parametrize("rotation", [0.0, 35.0, 180.0, -120.0])
def test_card_is_found_at_any_rotation(card: ReferenceCard, rotation: float) -> None:
    shot = Shot(size=(1000, 750), card_width_px=440, card_rotation_deg=rotation, card_tilt=0.1)
    _, pose = _pose(card, shot)
    assert pose.markers_found == (0, 1, 2, 3)
    assert not pose.mirrored
    # The card's corners land where the renderer put them (within a pixel: JPEG and sub-pixel refinement).
    truth = cv2.perspectiveTransform(CORNERS_MM.reshape(-1, 1, 2), card_homography(card, shot)).reshape(-1, 2)
    assert np.abs(pose.to_image(CORNERS_MM) - truth).max() < 1.0
    assert pose.reprojection_error_mm < 0.2


def test_mirrored_selfie_is_handled(card: ReferenceCard) -> None:
    shot = Shot(size=(1000, 750), card_width_px=440, mirrored=True)
    _, pose = _pose(card, shot)
    assert pose.mirrored
    truth = cv2.perspectiveTransform(CORNERS_MM.reshape(-1, 1, 2), card_homography(card, shot)).reshape(-1, 2)
    truth[:, 0] = 1000 - 1 - truth[:, 0]
    assert np.abs(pose.to_image(CORNERS_MM) - truth).max() < 1.0


def test_photo_without_card(card: ReferenceCard) -> None:
    photo = decode_photo(render(card).jpeg)
    blank = photo.BGR.copy()
    blank[:, 550:] = 128
    with pytest.raises(RetakeNeeded) as error:
        locate_card(blank, [card.layout])
    assert error.value.code == "card_not_found"
    assert error.value.hint


def test_covered_corners_ask_to_show_the_whole_card(card: ReferenceCard) -> None:
    photo, pose = _pose(card, Shot(size=(1000, 750), card_width_px=440, card_rotation_deg=0, card_tilt=0))
    covered = photo.BGR.copy()
    for marker in card.layout.markers[:2]:
        corners = pose.to_image(marker.corners_mm()).astype(np.int32)
        cv2.fillConvexPoly(covered, corners, (90, 120, 160))  # a finger over the marker
    with pytest.raises(RetakeNeeded) as error:
        locate_card(covered, [card.layout])
    assert error.value.code in {"card_partly_hidden", "card_not_found"}


def test_card_cut_by_the_frame(card: ReferenceCard) -> None:
    shot = Shot(size=(1000, 750), card_width_px=440, card_centre=(0.9, 0.62), card_rotation_deg=0, card_tilt=0)
    with pytest.raises(RetakeNeeded) as error:
        _pose(card, shot)
    assert error.value.code in {"card_partly_hidden", "card_not_found"}


def test_card_too_small(card: ReferenceCard) -> None:
    with pytest.raises(RetakeNeeded) as error:
        _pose(card, Shot(size=(1000, 750), card_width_px=150, card_tilt=0))
    assert error.value.code in {"card_too_small", "card_not_found"}
