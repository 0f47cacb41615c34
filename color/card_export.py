"""A card's full definition as plain data: enough to print it, find it and recompute every reference."""

from __future__ import annotations

from typing import Any

from color.card import ReferenceCard
from color.card_identity import printed_marker_ids
from color.card_render import card_label_text


def card_definition(card: ReferenceCard) -> dict[str, Any]:
    """Geometry in millimetres (origin top-left, y down), ArUco markers, and each patch's spectrum and CIELAB.

    A marker's ``id`` is the one printed on this batch's cards; ``layout_id`` is its id on print batch 0.
    """
    layout = card.layout
    printed = printed_marker_ids(layout, card.batch_number or 0) if layout.aruco_dictionary else ()
    return {
        "card_id": layout.card_id,
        "title": layout.title,
        "batch": card.batch,
        "batch_number": card.batch_number,
        "source": card.source,
        "size_mm": list(layout.size_mm),
        "aruco": None
        if layout.aruco_dictionary is None
        else {
            "dictionary": layout.aruco_dictionary,
            "batch_id_step": layout.batch_id_step,
            "markers": [
                {
                    "id": printed_id,
                    "layout_id": m.id,
                    "centre_mm": list(m.centre_mm),
                    "size_mm": m.size_mm,
                    "corners_mm": m.corners_mm().tolist(),
                }
                for m, printed_id in zip(layout.markers, printed, strict=True)
            ],
        },
        "label": None
        if layout.label_box_mm is None
        else {"text": card_label_text(card), "box_mm": list(layout.label_box_mm)},
        "colour_space": {"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"},
        "wavelengths_nm": card.wavelengths_nm.tolist(),
        "patches": [
            {
                "name": patch.name,
                "kind": patch.kind.value,
                "rect_mm": list(patch.rect_mm),
                "reflectance": [round(float(v), 6) for v in card.reflectance[index]],
                "lab_D65": [round(float(v), 3) for v in card.Lab_D65[index]],
            }
            for index, patch in enumerate(layout.patches)
        ],
    }
