"""Rendered photos shared by the colour tests (physically rendered, see color.simulate)."""

from __future__ import annotations

import colour
import numpy as np
import pytest

from bench.datasets import GRID_NM, skin_set
from color.card import ReferenceCard
from color.packaged_data import load_card
from color.simulate import Phone, RenderedPhoto, Scene, Shot, render_photo


@pytest.fixture(scope="session")
def card() -> ReferenceCard:
    return load_card("tm-skin-v1")


def render(
    card: ReferenceCard,
    *,
    illuminant: str = "D65",
    camera: str = "Nikon 5100 (NPL)",
    skin_index: int = 1,
    seed: int = 0,
    shot: Shot | None = None,
    **scene_options: object,
) -> RenderedPhoto:
    skin = skin_set()[skin_index]
    scene = Scene(
        illuminant=colour.SDS_ILLUMINANTS[illuminant],
        card=card,
        skin_wavelengths_nm=GRID_NM,
        skin_reflectance=skin.reflectance,
        **scene_options,  # type: ignore[arg-type]
    )
    phone = Phone(name=camera, sensitivities=colour.MSDS_CAMERA_SENSITIVITIES[camera], tone_curve="filmic")
    return render_photo(scene, phone, shot or Shot(size=(1000, 750), card_width_px=440), np.random.default_rng(seed))


@pytest.fixture(scope="session")
def daylight_photo(card: ReferenceCard) -> RenderedPhoto:
    return render(card)
