"""What the measurement says when the card is not simply there: the wrong card, a card too small to read, a
small card that is still readable. Each answer must be the one a person can act on."""

from __future__ import annotations

import pytest

from color.card import ReferenceCard
from color.colorimetry import delta_E00
from color.errors import RetakeNeeded
from color.measure import measure_photo
from color.packaged_data import load_card
from color.simulate import RenderedPhoto, Shot
from tests.color.conftest import render

CHECKER = load_card("colorchecker-classic-24")


def _refusal(photo: RenderedPhoto, card: str | None = None) -> RetakeNeeded:
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(photo.jpeg, regions=photo.regions, card=card)
    assert error.value.hint
    return error.value


def test_the_colorchecker_chosen_and_our_card_in_the_photo_is_the_wrong_card(daylight_photo: RenderedPhoto) -> None:
    error = _refusal(daylight_photo, card="colorchecker-classic-24")
    assert error.code == "wrong_card"
    assert "tm-skin-v1" in error.detail


def test_our_card_chosen_and_the_colorchecker_in_the_photo_is_the_wrong_card() -> None:
    photo = render(CHECKER, shot=Shot(size=(1200, 900), card_width_px=430, card_centre=(0.75, 0.6)))
    error = _refusal(photo, card="tm-skin-v1")
    assert error.code == "wrong_card"
    assert "colorchecker-classic-24" in error.detail


@pytest.mark.parametrize("card_width_px", [130, 150])
def test_a_card_too_small_to_read_is_too_small_not_missing(card: ReferenceCard, card_width_px: int) -> None:
    photo = render(card, shot=Shot(size=(1000, 750), card_width_px=card_width_px, card_tilt=0))
    assert _refusal(photo).code == "card_too_small"


@pytest.mark.parametrize("card_width_px", [200, 240])
def test_a_card_an_eighth_of_the_photo_is_measured(card: ReferenceCard, card_width_px: int) -> None:
    """1,600 px wide, the card 200-240 px: patches of 19-22 px and markers of 15-18 px, read on an enlarged copy."""
    photo = render(card, shot=Shot(size=(1600, 1200), card_width_px=card_width_px, card_tilt=0))
    measured = measure_photo(photo.jpeg, regions=photo.regions)
    assert float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65)) < 2.0


def test_no_card_at_all_is_not_found(card: ReferenceCard) -> None:
    photo = render(card, shot=Shot(size=(1000, 750), card_width_px=440, card_centre=(3.0, 3.0)))
    assert _refusal(photo).code == "card_not_found"
