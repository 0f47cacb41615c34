"""``calibrate.prepare`` with the patches' places: the light over the card, and what the tone curve may take in.

The shaped tone curve passes through every neutral, so the light's spread around its plane is read on the
smooth curve: a neutral in other light (glare, a shadow's edge) must still be seen. Along one row of neutrals a
gradient cannot be told from the curve's shape, and the curve is then fitted to the neutrals as they are.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from color.calibrate import prepare
from color.card import PatchKind, ReferenceCard
from color.decode import decode_photo
from color.detect import locate_card
from color.light_field import spans_two_directions
from color.packaged_data import load_card, load_virtual_skin
from color.quality import MAX_NEUTRAL_EXPOSURE_SPREAD
from color.sampling import PatchSamples, sample_patches
from color.simulate import RenderedPhoto


def _samples_and_centres(card: ReferenceCard, photo: RenderedPhoto) -> tuple[PatchSamples, np.ndarray, int]:
    decoded = decode_photo(photo.jpeg)
    pose = locate_card(decoded.BGR, [card.layout])
    centres = pose.to_image(np.array([patch.centre_mm for patch in card.layout.patches]))
    return sample_patches(decoded.BGR, pose), centres, decoded.BGR.shape[1]


def test_a_neutral_in_other_light_shows_as_uneven_light(card: ReferenceCard, daylight_photo: RenderedPhoto) -> None:
    samples, centres, width = _samples_and_centres(card, daylight_photo)
    even = prepare(card, samples, load_virtual_skin(), centres, width)
    assert even.light.residual_spread < 0.1
    neutral = card.layout.patch_index(PatchKind.NEUTRAL)[2]
    brighter = samples.RGB_linear.copy()
    brighter[neutral] *= 1.35  # glare or a patch of sun on one grey
    patchy = prepare(card, replace(samples, RGB_linear=brighter), load_virtual_skin(), centres, width)
    assert patchy.light.residual_spread > MAX_NEUTRAL_EXPOSURE_SPREAD


def test_only_neutrals_spread_in_two_directions_tell_a_gradient_from_the_curve() -> None:
    def neutral_places(card_id: str) -> np.ndarray:
        card = load_card(card_id)
        return np.array([card.layout.patches[i].centre_mm for i in card.layout.patch_index(PatchKind.NEUTRAL)])

    own = neutral_places("tm-skin-v1")
    assert spans_two_directions(own)
    assert not spans_two_directions(neutral_places("colorchecker-classic-24"))  # one row
    on_one_line = own[np.isclose(own[:, 1], own[0, 1])]
    assert not spans_two_directions(on_one_line)


def test_centres_without_the_width_are_refused(card: ReferenceCard, daylight_photo: RenderedPhoto) -> None:
    samples, centres, _ = _samples_and_centres(card, daylight_photo)
    with pytest.raises(ValueError, match="together"):
        prepare(card, samples, load_virtual_skin(), centres)
