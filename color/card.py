"""Reference cards: layout in millimetres, ArUco markers, and each patch's spectral reflectance.

A card's geometry (``CardLayout``) is fixed by its printed design; its colours (``ReferenceCard``) come from
a measured print batch, so each batch of a layout carries its own spectra. Card coordinates are millimetres
from the top-left corner of the card, x to the right and y down, as seen on the printed face.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from color.colorimetry import XYZ_to_Lab_D65
from color.spectral import reflectance_to_XYZ


class PatchKind(StrEnum):
    NEUTRAL = "neutral"  # white balance and tone-curve recovery
    CHROMATIC = "chromatic"  # anchors that keep the correction well conditioned
    SKIN = "skin"  # skin-like colours: the correction is weighted toward these


@dataclass(frozen=True, slots=True)
class Patch:
    name: str
    kind: PatchKind
    rect_mm: tuple[float, float, float, float]  # x, y, width, height

    @property
    def centre_mm(self) -> tuple[float, float]:
        x, y, w, h = self.rect_mm
        return (x + w / 2.0, y + h / 2.0)


@dataclass(frozen=True, slots=True)
class Marker:
    id: int
    centre_mm: tuple[float, float]
    size_mm: float

    def corners_mm(self) -> NDArray[np.float64]:
        """Corners in ArUco order (top-left, top-right, bottom-right, bottom-left), shape (4, 2)."""
        cx, cy = self.centre_mm
        h = self.size_mm / 2.0
        return np.array([[cx - h, cy - h], [cx + h, cy - h], [cx + h, cy + h], [cx - h, cy + h]], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class CardLayout:
    """The printed design of a card. ``aruco_dictionary`` is None for cards found without markers."""

    card_id: str
    title: str
    size_mm: tuple[float, float]
    aruco_dictionary: str | None
    markers: tuple[Marker, ...]
    patches: tuple[Patch, ...]
    default_batch: str
    base: str = "white"  # the card's ground between patches: "white" paper or a "black" frame
    # A marker's printed ArUco id is its ``markers`` id (print batch 0) + ``batch_id_step`` × the print batch
    # number (``color.card_identity``); 0 for cards without markers.
    batch_id_step: int = 0
    label_box_mm: tuple[float, float, float, float] | None = None  # where the card id and batch are printed

    def patch_index(self, kind: PatchKind) -> NDArray[np.intp]:
        return np.array([i for i, p in enumerate(self.patches) if p.kind is kind], dtype=np.intp)

    @property
    def marker_ids(self) -> tuple[int, ...]:
        return tuple(m.id for m in self.markers)


@dataclass(frozen=True)
class ReferenceCard:
    """A card layout with the measured reflectance of one print batch (rows follow ``layout.patches``).

    ``batch_number`` is the print batch's number, carried by the card's marker ids; None for cards without
    markers.
    """

    layout: CardLayout
    batch: str
    wavelengths_nm: NDArray[np.float64]
    reflectance: NDArray[np.float64]  # (n_patches, n_wavelengths), 0-1, specular excluded
    source: str
    batch_number: int | None = None

    @property
    def card_id(self) -> str:
        return self.layout.card_id

    @property
    def reference(self) -> str:
        """``card_id@batch``, as the API and the command line take it and as it is printed on the card."""
        return f"{self.layout.card_id}@{self.batch}"

    @cached_property
    def XYZ_D65(self) -> NDArray[np.float64]:
        """Reference CIE XYZ under D65, CIE 1931 2° (Y of white = 1), shape (n_patches, 3)."""
        XYZ = reflectance_to_XYZ(self.wavelengths_nm, self.reflectance)
        XYZ.flags.writeable = False
        return XYZ

    @cached_property
    def Lab_D65(self) -> NDArray[np.float64]:
        """Reference CIELAB, D65 white, CIE 1931 2°, shape (n_patches, 3)."""
        Lab = XYZ_to_Lab_D65(self.XYZ_D65)
        Lab.flags.writeable = False
        return Lab
