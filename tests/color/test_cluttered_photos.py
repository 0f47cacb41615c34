"""Photos that cost the card search far more than a card does: found by a fuzz run of the measurement.

A photo of small coloured tiles (no card) kept one measurement busy for 69 s at 12 MP (4-9 minutes at 48 MP):
OpenCV compares its marker candidates pairwise, so a search of 15,000 tile outlines took 8-13 s and ran fourteen
times, and the chip-grid search tested every one of 8,000 outlines a mask. A crowded view is now searched in
tiles, and a bounded number of outlines of each size is tested. No timing here (shared machines): the tests check
that crowded views are recognised and real photos are not, that a card before tiles is still found, and that
the work is bounded.
"""

from __future__ import annotations

import contextlib

import cv2
import numpy as np
import pytest

from color import detect, marker_search, patch_grid
from color.card import ReferenceCard
from color.errors import PhotoError, RetakeNeeded
from color.measure import measure_photo
from color.simulate import Shot
from tests.color.conftest import render


def _mosaic(width: int, height: int, step: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    image = np.full((height, width, 3), 40, np.uint8)
    for y in range(0, height - step, step):
        for x in range(0, width - step, step):
            image[y + 3 : y + step, x + 3 : x + step] = rng.integers(30, 230, 3)
    return image


def _detector_for(image: np.ndarray) -> cv2.aruco.ArucoDetector:
    view = detect._View(image, 1.0, np.zeros(2), detect.MIN_SEARCH_MARKER_PX)
    return detect._detector("DICT_4X4_50", view)


def test_a_view_full_of_marker_sized_tiles_is_crowded_and_a_photo_with_a_card_is_not(card: ReferenceCard) -> None:
    mosaic = cv2.cvtColor(_mosaic(1600, 1200, 16), cv2.COLOR_BGR2GRAY)
    assert marker_search.estimated_candidates(mosaic, _detector_for) > marker_search.MAX_MARKER_CANDIDATES
    photo = cv2.imdecode(np.frombuffer(render(card).jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert marker_search.estimated_candidates(photo, _detector_for) < marker_search.MAX_MARKER_CANDIDATES / 10


@pytest.mark.parametrize("step", [40, 24])
def test_a_card_in_front_of_small_tiles_is_found(card: ReferenceCard, step: int) -> None:
    """Found by a review: a card 400 px wide pasted into a 4,000 px photo of 40 px tiles, which the first guard
    (skip a crowded view) refused; the crowded views are now searched in tiles."""
    photo = render(card, shot=Shot(size=(2000, 1500), card_width_px=400))
    BGR = _mosaic(4000, 3000, step)
    BGR[750:2250, 1000:3000] = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
    found = detect.find_card_markers(BGR, [card.layout])
    assert found is not None
    assert len(found[0].corners_px) == len(card.layout.markers)


def test_tiles_cover_the_image_and_overlap_by_a_marker() -> None:
    tiles = marker_search._tiles(3000, 4000, 12)
    covered = np.zeros((3000, 4000), dtype=bool)
    for x0, y0, x1, y1 in tiles:
        covered[y0:y1, x0:x1] = True
    assert covered.all()
    assert len(tiles) >= 12
    inner = [t for t in tiles if t[0] > 0 and t[1] > 0 and t[2] < 4000 and t[3] < 3000]
    assert all(x1 - x0 > 4000 // 4 + marker_search.TILE_OVERLAP_PX for x0, _, x1, _ in inner)


def test_a_mosaic_is_refused_as_without_a_card_after_a_bounded_search(monkeypatch: pytest.MonkeyPatch) -> None:
    tested: list[int] = []
    real_quad_chip, real_detect_markers = patch_grid._quad_chip, detect.detect_markers
    largest: list[int] = [0]

    def detect_markers(image: np.ndarray, detector_for: marker_search.DetectorFor) -> marker_search.Detection:
        def recorded(part: np.ndarray) -> cv2.aruco.ArucoDetector:
            largest[0] = max(largest[0], part.size)
            return detector_for(part)

        return real_detect_markers(image, recorded)

    def quad_chip(contour: np.ndarray) -> object:
        tested.append(1)
        return real_quad_chip(contour)

    monkeypatch.setattr(detect, "detect_markers", detect_markers)
    monkeypatch.setattr(patch_grid, "_quad_chip", quad_chip)
    _, jpeg = cv2.imencode(".jpg", _mosaic(2000, 1500, 16), [cv2.IMWRITE_JPEG_QUALITY, 90])
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(jpeg.tobytes())
    assert error.value.code in {"card_not_found", "card_partly_hidden"}
    # The crowded whole-photo copies were searched in tiles: no search read a whole 2,000 × 1,500 copy.
    assert 0 < largest[0] < 2000 * 1500
    assert len(tested) < 20_000  # outlines tested for chips; without the bound per size, 85,866


def test_a_photo_without_colour_reaching_the_light_fit_is_refused_not_a_crash(
    card: ReferenceCard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the black-and-white check out of the way, the light's fit meets a singular system (it raised)."""
    from color import measure

    monkeypatch.setattr(measure, "check_has_colour", lambda BGR: None)
    photo = render(card)
    grey = cv2.cvtColor(cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
    with contextlib.suppress(PhotoError):  # a refusal with a code is an answer; np.linalg.LinAlgError is not
        measure_photo(cv2.imencode(".jpg", grey)[1].tobytes(), regions=photo.regions)
