"""Which card, which print batch: marker ids → batch, the batch's spectra chosen, and photos of not one card."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from color.card import ReferenceCard
from color.card_identity import (
    CardBatchMismatch,
    aruco_dictionary,
    batch_number_limit,
    decode_marker_id,
    printed_marker_ids,
)
from color.card_render import render_card_RGB
from color.decode import decode_photo
from color.detect import locate_card
from color.errors import RetakeNeeded
from color.measure import candidate_cards, find_card, measure_image
from color.packaged_data import UnknownCard, card_batches, load_card
from color.quality import Retake
from color.simulate import Shot
from tests.color.conftest import render

SHOT = Shot(size=(1000, 750), card_width_px=440)


def another_batch(card: ReferenceCard, number: int) -> ReferenceCard:
    """The card as if printed and measured again: batch ``number``, its patches a little lighter."""
    reflectance = np.clip(card.reflectance * 1.05, 0.0, 1.0)
    reflectance.flags.writeable = False
    return dataclasses.replace(card, batch=f"test-{number}", batch_number=number, reflectance=reflectance)


def misprinted(card: ReferenceCard, corner: int, printed_id: int) -> ReferenceCard:
    """The card with the marker of one corner printed with another id."""
    markers = list(card.layout.markers)
    markers[corner] = dataclasses.replace(markers[corner], id=printed_id)
    return dataclasses.replace(card, layout=dataclasses.replace(card.layout, markers=tuple(markers)))


def on_grey(*faces: np.ndarray, gap: int = 60) -> np.ndarray:
    """Rendered card faces (RGB) side by side on a grey background, as a BGR image."""
    height = max(face.shape[0] for face in faces) + 2 * gap
    width = sum(face.shape[1] for face in faces) + gap * (len(faces) + 1)
    canvas = np.full((height, width, 3), 128, dtype=np.uint8)
    x = gap
    for face in faces:
        canvas[gap : gap + face.shape[0], x : x + face.shape[1]] = face[..., ::-1]
        x += face.shape[1] + gap
    return canvas


def test_dict_4x4_250_begins_with_dict_4x4_50_so_cards_printed_so_far_read_the_same() -> None:
    small, large = aruco_dictionary("DICT_4X4_50"), aruco_dictionary("DICT_4X4_250")
    assert np.array_equal(large.bytesList[:50], small.bytesList)


def test_marker_ids_carry_the_batch_number(card: ReferenceCard) -> None:
    layout = card.layout
    assert batch_number_limit(layout) == 62  # ids up to 247 of DICT_4X4_250
    assert printed_marker_ids(layout, 0) == (0, 1, 2, 3)
    assert printed_marker_ids(layout, 5) == (20, 21, 22, 23)
    for number in range(batch_number_limit(layout)):
        ids = printed_marker_ids(layout, number)
        assert [decode_marker_id(layout, i) for i in ids] == [(m.id, number) for m in layout.markers]
    assert decode_marker_id(layout, 248) is None  # past the last whole batch
    with pytest.raises(ValueError, match="0-61"):
        printed_marker_ids(layout, 62)


def test_packaged_batches_have_distinct_numbers_within_the_markers_range() -> None:
    summaries = card_batches("tm-skin-v1")
    numbers = [s.batch_number for s in summaries]
    assert len(set(numbers)) == len(numbers)
    assert all(n is not None and 0 <= n < batch_number_limit(load_card("tm-skin-v1").layout) for n in numbers)
    assert {s.batch: s.batch_number for s in summaries}["nominal"] == 0  # every card printed so far: ids 0-3
    assert load_card("tm-skin-v1").batch_number == 0
    assert [s.batch_number for s in card_batches("colorchecker-classic-24")] == [None]


def test_a_card_of_another_batch_is_measured_with_that_batch_spectra(card: ReferenceCard) -> None:
    later = another_batch(card, 3)
    photo = decode_photo(render(later, shot=SHOT).jpeg)
    found, pose = find_card(photo.BGR, [card, later])
    assert pose.batch_number == 3
    assert pose.markers_found == (0, 1, 2, 3)
    assert found is later
    measured = measure_image(photo, cards=[card, later], regions=render(later, shot=SHOT).regions)
    assert (measured.card_id, measured.card_batch) == ("tm-skin-v1", "test-3")


def test_a_mirrored_selfie_of_a_batch_with_mirror_symmetric_markers(card: ReferenceCard) -> None:
    """Batch 2's markers 8 and 9 read as themselves in a mirror: the photo as is must not win with them."""
    later = another_batch(card, 2)
    photo = decode_photo(render(later, shot=dataclasses.replace(SHOT, mirrored=True)).jpeg)
    pose = locate_card(photo.BGR, [card.layout])
    assert pose.mirrored
    assert (pose.batch_number, pose.markers_found) == (2, (0, 1, 2, 3))


def test_candidates_are_every_batch_unless_one_is_named() -> None:
    assert [c.batch for c in candidate_cards("tm-skin-v1")] == [s.batch for s in card_batches("tm-skin-v1")]
    assert [c.reference for c in candidate_cards("tm-skin-v1@nominal")] == ["tm-skin-v1@nominal"]
    assert {c.card_id for c in candidate_cards(None)} == {"tm-skin-v1", "colorchecker-classic-24"}


def test_a_named_batch_that_is_not_the_photo_batch_is_a_clear_error(card: ReferenceCard) -> None:
    """The caller's ``card@batch`` contradicts the markers: measuring with either batch's spectra could be wrong."""
    photo = decode_photo(render(card, shot=SHOT).jpeg)  # print batch 0, "nominal"
    with pytest.raises(CardBatchMismatch) as error:
        find_card(photo.BGR, [another_batch(card, 3)])
    assert error.value.code == "card_batch_mismatch"
    assert "tm-skin-v1@nominal" in error.value.detail
    assert "tm-skin-v1@test-3" in error.value.detail
    assert error.value.hint


def test_a_batch_this_service_does_not_know_is_a_clear_error(card: ReferenceCard) -> None:
    photo = decode_photo(render(another_batch(card, 7), shot=SHOT).jpeg)
    with pytest.raises(UnknownCard) as error:
        find_card(photo.BGR, [card])
    assert error.value.code == "unknown_card"
    assert "print batch 7 (markers 28, 29, 30, 31)" in error.value.detail
    assert error.value.hint


def test_markers_that_disagree_on_the_batch_are_not_one_card(card: ReferenceCard) -> None:
    wrong = misprinted(card, corner=3, printed_id=3 + 4 * 5)  # bottom-left says batch 5, the others batch 0
    photo = decode_photo(render(wrong, shot=SHOT).jpeg)
    with pytest.raises(RetakeNeeded) as error:
        locate_card(photo.BGR, [card.layout])
    assert error.value.code == Retake.CARD_MARKERS_DISAGREE.code
    assert error.value.hint == Retake.CARD_MARKERS_DISAGREE.hint
    assert "bottom-left corner says batch 5" in error.value.detail


@pytest.mark.parametrize("second_batch", [0, 4])
def test_two_cards_in_one_photo_ask_for_one(card: ReferenceCard, second_batch: int) -> None:
    faces = (render_card_RGB(card, dpi=150), render_card_RGB(another_batch(card, second_batch), dpi=150))
    with pytest.raises(RetakeNeeded) as error:
        locate_card(on_grey(*faces), [card.layout])
    assert error.value.code == Retake.MORE_THAN_ONE_CARD.code
    assert error.value.hint == Retake.MORE_THAN_ONE_CARD.hint


def test_a_stray_marker_beside_the_card_is_left_out(card: ReferenceCard) -> None:
    """A marker of another batch that is not on the card (a shirt, a sticker) does not stop the measurement."""
    image = on_grey(render_card_RGB(card, dpi=150), gap=120)
    stray = cv2.aruco.generateImageMarker(aruco_dictionary("DICT_4X4_250"), 190, 60, borderBits=1)
    image[20:80, 20:80] = stray[..., None]
    image[20:80, 200:260] = stray[..., None]  # a repeated pattern: seen twice, still not a card
    pose = locate_card(image, [card.layout])
    assert (pose.batch_number, pose.markers_found) == (0, (0, 1, 2, 3))


def test_a_stray_marker_without_a_card_is_no_card(card: ReferenceCard) -> None:
    """One marker of a batch this service does not know is a stray read, not a hidden card (so the search goes
    on, to the ColorChecker, and the retake asked for is the right one)."""
    image = np.full((600, 800, 3), 128, dtype=np.uint8)
    stray = cv2.aruco.generateImageMarker(aruco_dictionary("DICT_4X4_250"), 190, 60, borderBits=1)
    image[100:160, 100:160] = stray[..., None]
    with pytest.raises(RetakeNeeded) as error:
        locate_card(image, [card.layout])
    assert error.value.code == "card_not_found"
    image[300:360, 300:360] = cv2.aruco.generateImageMarker(aruco_dictionary("DICT_4X4_250"), 2, 60, borderBits=1)[
        ..., None
    ]
    with pytest.raises(RetakeNeeded) as error:  # a marker of a known batch: the rest of the card is hidden
        locate_card(image, [card.layout])
    assert error.value.code == "card_partly_hidden"


def test_every_identity_retake_has_a_hint_a_person_can_act_on() -> None:
    for reason in (Retake.MORE_THAN_ONE_CARD, Retake.CARD_MARKERS_DISAGREE):
        assert reason.hint[0].isupper()
        assert reason.hint.endswith(".")
        error = reason.error("detail")
        assert (error.code, error.hint, error.detail) == (reason.code, reason.hint, "detail")
