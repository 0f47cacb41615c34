"""The one place where packaged data is read: card layouts and print-batch spectra, and the skin prior.

The X-Rite ColorChecker Classic 24 takes its spectra from colour-science's BabelColor averages
(Pascale 2006), which ship in that package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import colour
import numpy as np
from numpy.typing import NDArray

from color.card import CardLayout, Marker, Patch, PatchKind, ReferenceCard
from color.colorimetry import XYZ_to_Lab_D65
from color.errors import ColorError
from color.spectral import reflectance_to_XYZ

COLORCHECKER_ID = "colorchecker-classic-24"
COLORCHECKER_BATCH = "babelcolor-average"


class UnknownCard(ColorError):
    code = "unknown_card"


DATA_DIR = Path(__file__).parent / "data"
CARDS_DIR = DATA_DIR / "cards"


def _card_dir(card_id: str) -> Path:
    return CARDS_DIR / card_id


@cache
def available_cards() -> tuple[str, ...]:
    return tuple(sorted(entry.name for entry in CARDS_DIR.iterdir() if entry.is_dir()))


def _rect(values: list[float]) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in values)
    return (x, y, w, h)


def _layout_from_json(document: dict[str, Any]) -> CardLayout:
    aruco = document.get("aruco")
    return CardLayout(
        card_id=document["card_id"],
        title=document["title"],
        size_mm=(float(document["size_mm"][0]), float(document["size_mm"][1])),
        aruco_dictionary=aruco["dictionary"] if aruco else None,
        markers=tuple(
            Marker(
                id=int(m["id"]), centre_mm=(float(m["centre_mm"][0]), float(m["centre_mm"][1])), size_mm=m["size_mm"]
            )
            for m in (aruco["markers"] if aruco else [])
        ),
        patches=tuple(
            Patch(name=p["name"], kind=PatchKind(p["kind"]), rect_mm=_rect(p["rect_mm"])) for p in document["patches"]
        ),
        default_batch=document["default_batch"],
        base=document.get("base", "white"),
    )


@cache
def load_layout(card_id: str) -> CardLayout:
    """The layout of a packaged card; ``UnknownCard`` when there is none of that id."""
    if card_id not in available_cards():
        raise UnknownCard(
            f"Unknown card {card_id!r}; known cards: {', '.join(available_cards())}.",
            hint="Check the card id printed on the back of your card.",
        )
    return _layout_from_json(json.loads((_card_dir(card_id) / "layout.json").read_text()))


def available_batches(card_id: str) -> list[str]:
    if card_id == COLORCHECKER_ID:
        return [COLORCHECKER_BATCH]
    return sorted(p.name.removesuffix(".json") for p in (_card_dir(card_id) / "batches").iterdir())


@cache
def load_card(card_id: str, batch: str | None = None) -> ReferenceCard:
    """A card with the spectra of one print batch (the layout's default batch when ``batch`` is None)."""
    layout = load_layout(card_id)
    batch = batch or layout.default_batch
    if batch not in available_batches(card_id):
        raise UnknownCard(
            f"Card {card_id!r} has no print batch {batch!r}; known: {', '.join(available_batches(card_id))}."
        )
    if card_id == COLORCHECKER_ID:
        sds = colour.SDS_COLOURCHECKERS["BabelColor Average"]
        wavelengths = sds[layout.patches[0].name].wavelengths
        reflectance = np.array([sds[p.name].values for p in layout.patches], dtype=np.float64)
        source = "BabelColor average of 30 ColorChecker charts (Pascale 2006), from colour-science"
    else:
        document = json.loads((_card_dir(card_id) / "batches" / f"{batch}.json").read_text())
        wavelengths = np.asarray(document["wavelengths_nm"], dtype=np.float64)
        reflectance = np.array([document["reflectance"][p.name] for p in layout.patches], dtype=np.float64)
        source = document["source"]
    reflectance.flags.writeable = False
    wavelengths.flags.writeable = False
    return ReferenceCard(layout=layout, batch=batch, wavelengths_nm=wavelengths, reflectance=reflectance, source=source)


def parse_card_reference(reference: str) -> tuple[str, str | None]:
    """``"tm-skin-v1"`` or ``"tm-skin-v1@batch"`` to (card id, batch or None)."""
    card_id, _, batch = reference.partition("@")
    return card_id.strip(), (batch.strip() or None)


@cache
def load_spectral_basis() -> NDArray[np.float64]:
    """Basis (k, n_λ) for spectral responses on the card's wavelength grid (see ``color.spectral_response``)."""
    document = json.loads((DATA_DIR / "spectral_basis.json").read_text())
    basis = np.asarray(document["components"], dtype=np.float64)
    basis.flags.writeable = False
    return basis


@dataclass(frozen=True)
class VirtualSkin:
    """Skin reflectance spectra (on the card's wavelength grid) and their CIE XYZ / CIELAB under D65."""

    names: tuple[str, ...]
    reflectance: NDArray[np.float64]
    XYZ_D65: NDArray[np.float64]
    Lab_D65: NDArray[np.float64]
    source: str


@cache
def load_virtual_skin() -> VirtualSkin:
    """The packaged skin prior (see ``color.skin_prior``)."""
    document = json.loads((DATA_DIR / "skin" / "virtual_skin.json").read_text())
    wavelengths = np.asarray(document["wavelengths_nm"], dtype=np.float64)
    names = tuple(document["reflectance"])
    reflectance = np.array([document["reflectance"][n] for n in names], dtype=np.float64)
    XYZ = reflectance_to_XYZ(wavelengths, reflectance)
    Lab = XYZ_to_Lab_D65(XYZ)
    for array in (reflectance, XYZ, Lab):
        array.flags.writeable = False
    return VirtualSkin(names=names, reflectance=reflectance, XYZ_D65=XYZ, Lab_D65=Lab, source=document["source"])
