"""Draw a reference card: a label map of its printed face, and a printable sRGB image of it.

The printable colours are the sRGB (IEC 61966-2-1) encoding of each patch's D65 reference: a display
approximation for proofs. A production print goes through the printer's own colour management from the
spectra, and every batch is then measured.
"""

from __future__ import annotations

import io

import colour
import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from color.card import ReferenceCard

PAPER = -1  # label of the card's white base
INK = -2  # label of the black marker ink
MM_PER_INCH = 25.4


def aruco_dictionary(name: str) -> cv2.aruco.Dictionary:
    return cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, name))


def card_labels(card: ReferenceCard, px_per_mm: float) -> NDArray[np.int16]:
    """Integer image of the card face: patch index, ``PAPER`` or ``INK``, at ``px_per_mm``."""
    width_mm, height_mm = card.layout.size_mm
    shape = (round(height_mm * px_per_mm), round(width_mm * px_per_mm))
    labels = np.full(shape, PAPER, dtype=np.int16)
    for index, patch in enumerate(card.layout.patches):
        x, y, w, h = (round(v * px_per_mm) for v in patch.rect_mm)
        labels[y : y + h, x : x + w] = index
    if card.layout.aruco_dictionary is not None:
        dictionary = aruco_dictionary(card.layout.aruco_dictionary)
        for marker in card.layout.markers:
            size = round(marker.size_mm * px_per_mm)
            image = cv2.aruco.generateImageMarker(dictionary, marker.id, size, borderBits=1)
            x0 = round((marker.centre_mm[0] - marker.size_mm / 2) * px_per_mm)
            y0 = round((marker.centre_mm[1] - marker.size_mm / 2) * px_per_mm)
            labels[y0 : y0 + size, x0 : x0 + size] = np.where(image < 128, INK, PAPER)
    return labels


def card_sRGB_palette(card: ReferenceCard) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]:
    """8-bit sRGB of every patch, of the card's ground and of the marker ink (the darkest neutral)."""
    RGB = np.clip(colour.XYZ_to_sRGB(card.XYZ_D65), 0.0, 1.0)
    codes = np.round(RGB * 255).astype(np.uint8)
    Y = card.XYZ_D65[:, 1]
    ground = int(np.argmax(Y)) if card.layout.base == "white" else int(np.argmin(Y))
    return codes, codes[ground], codes[int(np.argmin(Y))]


def render_card_RGB(card: ReferenceCard, dpi: float = 600.0) -> NDArray[np.uint8]:
    """The printable card as an 8-bit sRGB image (rows, columns, RGB) at ``dpi``."""
    labels = card_labels(card, dpi / MM_PER_INCH)
    patches, ground, _ = card_sRGB_palette(card)
    image = np.empty((*labels.shape, 3), dtype=np.uint8)
    image[labels == PAPER] = ground
    image[labels == INK] = (0, 0, 0)
    inside = labels >= 0
    image[inside] = patches[labels[inside]]
    return image


def encode_card(card: ReferenceCard, dpi: float = 600.0, image_format: str = "png") -> bytes:
    """PNG or PDF bytes of the printable card; both carry the resolution so it prints at true size."""
    image = Image.fromarray(render_card_RGB(card, dpi), mode="RGB")
    buffer = io.BytesIO()
    if image_format == "pdf":
        image.save(buffer, format="PDF", resolution=dpi)
    elif image_format == "png":
        image.save(buffer, format="PNG", dpi=(dpi, dpi))
    else:
        raise ValueError(f"unknown card image format {image_format!r}; use png or pdf")
    return buffer.getvalue()
