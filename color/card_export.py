"""A card's full definition as plain data: enough to print it, find it and recompute every reference."""

from __future__ import annotations

from typing import Any

from color.card import ReferenceCard


def card_definition(card: ReferenceCard) -> dict[str, Any]:
    """Geometry in millimetres (origin top-left, y down), ArUco markers, and each patch's spectrum and CIELAB."""
    layout = card.layout
    return {
        "card_id": layout.card_id,
        "title": layout.title,
        "batch": card.batch,
        "source": card.source,
        "size_mm": list(layout.size_mm),
        "aruco": None
        if layout.aruco_dictionary is None
        else {
            "dictionary": layout.aruco_dictionary,
            "markers": [
                {
                    "id": m.id,
                    "centre_mm": list(m.centre_mm),
                    "size_mm": m.size_mm,
                    "corners_mm": m.corners_mm().tolist(),
                }
                for m in layout.markers
            ],
        },
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
