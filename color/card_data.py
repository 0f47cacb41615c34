"""The one place where packaged card data is read: layouts and print-batch spectra under ``color/data/cards``.

The X-Rite ColorChecker Classic 24 takes its spectra from colour-science's BabelColor averages
(Pascale 2006), which ship in that package.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import colour
import numpy as np

from color.card import CardLayout, Marker, Patch, PatchKind, ReferenceCard
from color.errors import ColorError

COLORCHECKER_ID = "colorchecker-classic-24"
COLORCHECKER_BATCH = "babelcolor-average"


class UnknownCard(ColorError):
    code = "unknown_card"


CARDS_DIR = Path(__file__).parent / "data" / "cards"


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
