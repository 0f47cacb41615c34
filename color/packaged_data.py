"""The one place where packaged data is read: card layouts and print-batch spectra, and the skin prior.

The X-Rite ColorChecker Classic 24 takes its spectra from colour-science's BabelColor averages
(Pascale 2006), which ship in that package. A print batch of a marker card is
``cards/<card>/batches/<batch>.json``: its spectra, its ``batch_number`` (which the card's marker ids carry,
see ``color.card_identity``) and, once measured, ``measured_on`` (ISO date) and ``instrument``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import colour
import numpy as np
import reportlab
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
    label_box = document.get("label_box_mm")
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
        batch_id_step=int(aruco.get("batch_id_step", 0)) if aruco else 0,
        label_box_mm=_rect(label_box) if label_box else None,
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


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What is known of one print batch of a card, without its spectra."""

    card_id: str
    batch: str
    batch_number: int | None  # carried by the card's marker ids; None for cards without markers
    source: str
    measured_on: str | None  # ISO date of the spectrophotometer measurement; None for a design prediction
    instrument: str | None
    geometry: str | None  # measurement geometry, e.g. 45:0

    @property
    def reference(self) -> str:
        return f"{self.card_id}@{self.batch}"


def _batch_document(card_id: str, batch: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((_card_dir(card_id) / "batches" / f"{batch}.json").read_text())
    return document


@cache
def card_batches(card_id: str) -> tuple[BatchSummary, ...]:
    """Every print batch of a packaged card, by batch number (``UnknownCard`` for an unknown card).

    A marker card's batches must each carry a distinct ``batch_number``: the number is how a photo of the card
    tells which batch's spectra to use. ``ValueError`` names a packaged batch file that breaks this.
    """
    layout = load_layout(card_id)
    if card_id == COLORCHECKER_ID:
        source = "BabelColor average of 30 ColorChecker charts (Pascale 2006), from colour-science"
        return (BatchSummary(card_id, COLORCHECKER_BATCH, None, source, None, None, None),)
    summaries = []
    for batch in available_batches(card_id):
        document = _batch_document(card_id, batch)
        if document.get("batch") != batch or document.get("card_id") != card_id:
            raise ValueError(f"{card_id}/batches/{batch}.json names another card or batch.")
        number = document.get("batch_number")
        if layout.aruco_dictionary is not None and (not isinstance(number, int) or number < 0):
            raise ValueError(f"{card_id}/batches/{batch}.json needs a batch_number (an integer from 0).")
        summaries.append(
            BatchSummary(
                card_id=card_id,
                batch=batch,
                batch_number=number if layout.aruco_dictionary is not None else None,
                source=document["source"],
                measured_on=document.get("measured_on"),
                instrument=document.get("instrument"),
                geometry=document.get("geometry"),
            )
        )
    numbers = [s.batch_number for s in summaries if s.batch_number is not None]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"Two print batches of {card_id} have the same batch_number: {sorted(numbers)}.")
    return tuple(sorted(summaries, key=lambda s: (s.batch_number is None, s.batch_number or 0, s.batch)))


@cache
def load_card(card_id: str, batch: str | None = None) -> ReferenceCard:
    """A card with the spectra of one print batch (the layout's default batch when ``batch`` is None)."""
    layout = load_layout(card_id)
    batch = batch or layout.default_batch
    summaries = {s.batch: s for s in card_batches(card_id)}
    if batch not in summaries:
        raise UnknownCard(
            f"Card {card_id!r} has no print batch {batch!r}; known: {', '.join(summaries)}.",
            hint="Leave out the batch: it is read from the card in the photo.",
        )
    if card_id == COLORCHECKER_ID:
        sds = colour.SDS_COLOURCHECKERS["BabelColor Average"]
        wavelengths = sds[layout.patches[0].name].wavelengths
        reflectance = np.array([sds[p.name].values for p in layout.patches], dtype=np.float64)
        source = "BabelColor average of 30 ColorChecker charts (Pascale 2006), from colour-science"
    else:
        document = _batch_document(card_id, batch)
        wavelengths = np.asarray(document["wavelengths_nm"], dtype=np.float64)
        reflectance = np.array([document["reflectance"][p.name] for p in layout.patches], dtype=np.float64)
        source = document["source"]
    reflectance.flags.writeable = False
    wavelengths.flags.writeable = False
    return ReferenceCard(
        layout=layout,
        batch=batch,
        wavelengths_nm=wavelengths,
        reflectance=reflectance,
        source=source,
        batch_number=summaries[batch].batch_number,
    )


def load_card_batches(card_id: str) -> list[ReferenceCard]:
    """A packaged card with the spectra of each of its print batches, in batch-number order."""
    return [load_card(card_id, summary.batch) for summary in card_batches(card_id)]


def card_font_path() -> Path:
    """The TrueType font printed on our cards (Bitstream Vera Sans, shipped with ReportLab; its licence allows
    embedding), used alike for the PDF (embedded) and for raster proofs and simulated photos."""
    return Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"


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
