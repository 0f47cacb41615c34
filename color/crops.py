"""Measure from crops cut on the phone: the card and the skin regions of one photo, never the face.

The app finds the card and the cheeks on the device and sends only those parts of the photo, each with its
place in the upright frame (``color.device_capture`` is the reference implementation of that side). Here the
crops are checked to come from one exposure and to be no bigger than they need to be, pasted at their places
onto a black canvas of the frame's size, and measured by ``color.measure.measure_image`` as the whole photo
would be: the card is found, sampled and fitted on the same pixels, and the regions read the same pixels.

The document (the ``crops`` form field)::

    {"frame_size": [w, h],
     "card": {"part": "card_crop", "x": 2310, "y": 1604, "width": 1180, "height": 820},
     "skin": [{"part": "skin_crop_1", "name": "left_cheek", "x": 1050, "y": 1400, "width": 310,
               "height": 250, "polygon": [[x, y], ...]}, ...]}

Coordinates are pixels of the upright frame (EXIF orientation applied), x to the right and y down; ``x, y``
is a crop's top-left pixel and ``width, height`` its size; ``polygon`` is the region in frame pixels, as
``regions`` are for a whole photo. Each ``part`` names the multipart part holding that crop's image.

The checks, in this order (nothing is decoded before the first four have passed):

1. the document's shape; the frame within the photo size limits (``color.quality.check_image_size``);
2. every crop inside the frame, every region's pixel box inside its own crop;
3. sizes (``crop_too_large``): the card crop at most ``CARD_CROP_MAX_FRAME_SHARE`` of the frame, a skin crop at
   most its region's pixel box plus ``SKIN_CROP_MAX_MARGIN_PX``, the skin crops together at most
   ``SKIN_CROPS_MAX_FRAME_SHARE`` of the frame;
4. the image parts are exactly the declared ones;
5. from the headers: PNG or JPEG, 8-bit colour, and one format, colour type and EXIF orientation for all crops
   (one exposure saved one way); each crop's upright pixel size equal to its declared size;
6. where crops overlap they show the same pixels (identical for PNG; within JPEG's re-encoding error);
7. the card is found in its crop, and the crop reaches at most ``CARD_CROP_MAX_MARGIN`` of the card's size beyond
   the card's outline (``crop_too_large``): the card crop holds the card, not the face next to it.

Memory: the canvas is 3 bytes a pixel of the frame (36 MB for 12 megapixels, as a whole photo decoded at full
size); it lives only while ``measure_crops`` runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from color.card import ReferenceCard
from color.crop_images import CROPS_HINT, CropHeader, decode_crop, read_crop_header
from color.decode import DecodedPhoto
from color.errors import CropTooLarge, InvalidCrops
from color.measure import Measurement, candidate_cards, find_card, measure_image
from color.quality import check_image_size
from color.skin import MAX_REGIONS, Region, parse_regions

CARD_PART = "card_crop"
SKIN_PART = re.compile(r"skin_crop_[A-Za-z0-9_]{1,32}")
CROP_FORMATS = ("png", "jpeg")
# The card crop, before anything is decoded: at most this share of the frame's area. The reference cropper's card
# crops cover 6-17 % of the 12-megapixel test renders and 31-41 % of the 1000×750 ones, whose card spans 44 % of
# the width (41 %: turned 25°). The whole frame sent as the card crop is refused here; the outline check
# (``CARD_CROP_MAX_MARGIN``) is the tight one.
CARD_CROP_MAX_FRAME_SHARE = 0.5
# Once the card is found in its crop, the crop may reach beyond the card's outline's bounding box by at most this
# share of the box's longer side, on each side. The reference cropper uses 0.1 (``color.device_capture``); the
# rest allows for an app whose card finder puts the outline a little elsewhere.
CARD_CROP_MAX_MARGIN = 0.25
# A skin crop holds its region's pixel box (the pixels the measurement reads) and at most this much around it:
# enough for rounding and for an app's own margin, far too little to show an eye or a mouth.
SKIN_CROP_MAX_MARGIN_PX = 16
# All skin crops together: at most this share of the frame's area. The two cheek crops of the test renders cover
# 2.0-2.2 % of it (a cheek is about a fifth of the eyes' distance across); "regions" tiling the face need far more.
SKIN_CROPS_MAX_FRAME_SHARE = 0.10
# Where two JPEG crops overlap, each was re-encoded on its own 8×8 grid: their pixels differ by the two encodings'
# errors (measured: 1.4 codes mean absolute difference at quality 95). On smooth skin a crop cut a few pixels off
# its declared place differs by little more (2.3-2.8 codes for 1-5 px), so for JPEG this check catches gross
# misplacement only (20 px: 10.7 codes). Lossless PNG crops must agree exactly, which sensor noise makes a strict
# test of one exposure.
JPEG_OVERLAP_MAX_MEAN_CODE_DIFFERENCE = 4.0
MAX_FIELD_NAME = 40


@dataclass(frozen=True, slots=True)
class CropBox:
    """Where a crop lies in the upright frame: top-left pixel ``x, y`` and its size, in pixels."""

    part: str
    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def stop(self) -> tuple[int, int]:
        """The first column and row past the crop."""
        return self.x + self.width, self.y + self.height

    def intersection(self, other: CropBox) -> tuple[int, int, int, int] | None:
        """``(x0, y0, x1, y1)`` of the frame pixels both crops hold, or None."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.stop[0], other.stop[0]), min(self.stop[1], other.stop[1])
        return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


@dataclass(frozen=True, slots=True)
class CropLayout:
    """The checked crops document: the frame, the card's crop, and one crop per skin region."""

    frame_size: tuple[int, int]
    card: CropBox
    skin: tuple[CropBox, ...]
    regions: tuple[Region, ...]  # one per skin crop, polygons in frame pixels
    regions_document: list[dict[str, Any]]  # the same, as ``measure_image`` takes them

    @property
    def boxes(self) -> tuple[CropBox, ...]:
        return (self.card, *self.skin)


def _integer(value: Any, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidCrops(f"{what} must be an integer of at least {minimum}.", hint=CROPS_HINT)
    return value


def _box(item: Any, keys: set[str], what: str) -> CropBox:
    """The box of a crop entry that has exactly ``keys`` (``part``, ``x``, ``y``, ``width``, ``height`` and more)."""
    if not isinstance(item, dict) or set(item) != keys:
        raise InvalidCrops(f"{what} must have exactly the keys {', '.join(sorted(keys))}.", hint=CROPS_HINT)
    part = item["part"]
    if not isinstance(part, str) or not 0 < len(part) <= MAX_FIELD_NAME:
        raise InvalidCrops(f"{what}: 'part' must name the form part holding the crop.", hint=CROPS_HINT)
    return CropBox(
        part=part,
        x=_integer(item["x"], f"{what}: 'x'", minimum=0),
        y=_integer(item["y"], f"{what}: 'y'", minimum=0),
        width=_integer(item["width"], f"{what}: 'width'", minimum=1),
        height=_integer(item["height"], f"{what}: 'height'", minimum=1),
    )


def _pixel_box(polygon: NDArray[np.float64]) -> tuple[int, int, int, int]:
    """The frame pixels a region's measurement reads (as ``color.skin.region_pixels``): x0, y0, x1, y1 exclusive."""
    x0, y0 = np.floor(polygon.min(axis=0)).astype(int)
    x1, y1 = np.ceil(polygon.max(axis=0)).astype(int) + 1
    return int(x0), int(y0), int(x1), int(y1)


def _check_inside_frame(box: CropBox, frame_size: tuple[int, int]) -> None:
    width, height = frame_size
    if box.stop[0] > width or box.stop[1] > height:
        raise InvalidCrops(
            f"The crop {box.part!r} ({box.width}×{box.height} at {box.x}, {box.y}) reaches outside the "
            f"{width}×{height} frame.",
            hint=CROPS_HINT,
        )


def _check_skin_box(box: CropBox, region: Region) -> None:
    x0, y0, x1, y1 = _pixel_box(region.polygon)
    if box.x > x0 or box.y > y0 or box.stop[0] < x1 or box.stop[1] < y1:
        raise InvalidCrops(
            f"The crop {box.part!r} does not hold all of region {region.name!r}: its pixels span x {x0}-{x1 - 1} "
            f"and y {y0}-{y1 - 1} of the frame.",
            hint=CROPS_HINT,
        )
    margin = max(x0 - box.x, y0 - box.y, box.stop[0] - x1, box.stop[1] - y1)
    if margin > SKIN_CROP_MAX_MARGIN_PX:
        raise CropTooLarge(
            f"The crop {box.part!r} reaches {margin} px beyond region {region.name!r}; at most "
            f"{SKIN_CROP_MAX_MARGIN_PX} px are allowed.",
            hint=CROPS_HINT,
        )


def parse_crops(document: Any) -> CropLayout:
    """Check the crops document's shape and geometry (steps 1-3 above), before any image is read."""
    if not isinstance(document, dict) or set(document) != {"frame_size", "card", "skin"}:
        raise InvalidCrops("The crops document must have exactly the keys card, frame_size and skin.", hint=CROPS_HINT)
    frame = document["frame_size"]
    if not isinstance(frame, list) or len(frame) != 2:
        raise InvalidCrops("'frame_size' must be [width, height] of the upright photo.", hint=CROPS_HINT)
    frame_size = (_integer(frame[0], "frame width", minimum=1), _integer(frame[1], "frame height", minimum=1))
    check_image_size(*frame_size)  # the photo the crops come from obeys the limits of a whole photo
    frame_area = frame_size[0] * frame_size[1]

    card = _box(document["card"], {"part", "x", "y", "width", "height"}, "The card crop")
    if card.part != CARD_PART:
        raise InvalidCrops(f"The card crop's part must be {CARD_PART!r}.", hint=CROPS_HINT)
    _check_inside_frame(card, frame_size)
    if card.area > CARD_CROP_MAX_FRAME_SHARE * frame_area:
        raise CropTooLarge(
            f"The card crop covers {card.area / frame_area:.0%} of the frame; at most "
            f"{CARD_CROP_MAX_FRAME_SHARE:.0%} is allowed (the card and a margin, not the photo).",
            hint=CROPS_HINT,
        )

    items = document["skin"]
    if not isinstance(items, list) or not 0 < len(items) <= MAX_REGIONS:
        raise InvalidCrops(f"'skin' must list 1-{MAX_REGIONS} skin crops.", hint=CROPS_HINT)
    keys = {"part", "name", "x", "y", "width", "height", "polygon"}
    skin = [_box(item, keys, f"Skin crop {index}") for index, item in enumerate(items)]
    for box in skin:
        if not SKIN_PART.fullmatch(box.part):
            raise InvalidCrops(
                f"Skin crop part {box.part!r} must be 'skin_crop_' and 1-32 letters, digits or '_'.", hint=CROPS_HINT
            )
    parts = [card.part, *(box.part for box in skin)]
    if len(set(parts)) != len(parts):
        raise InvalidCrops("Every crop needs its own part.", hint=CROPS_HINT)
    regions_document = [{"name": item["name"], "polygon": item["polygon"]} for item in items]
    regions = parse_regions(regions_document, frame_size)  # names, polygons inside the frame, simple, big enough
    for box, region in zip(skin, regions, strict=True):
        _check_inside_frame(box, frame_size)
        _check_skin_box(box, region)
    skin_area = sum(box.area for box in skin)
    if skin_area > SKIN_CROPS_MAX_FRAME_SHARE * frame_area:
        raise CropTooLarge(
            f"The skin crops cover {skin_area / frame_area:.0%} of the frame together; at most "
            f"{SKIN_CROPS_MAX_FRAME_SHARE:.0%} is allowed.",
            hint=CROPS_HINT,
        )
    return CropLayout(frame_size, card, tuple(skin), tuple(regions), regions_document)


def _check_parts(layout: CropLayout, parts: Mapping[str, bytes]) -> None:
    declared = {box.part for box in layout.boxes}
    missing, undeclared = declared - set(parts), set(parts) - declared
    if missing or undeclared:
        raise InvalidCrops(
            "The image parts must be exactly the crops the document declares"
            + (f"; missing: {', '.join(sorted(missing))}" if missing else "")
            + (f"; not declared: {', '.join(sorted(undeclared))}" if undeclared else "")
            + ".",
            hint=CROPS_HINT,
        )


def _check_one_encoding(headers: Mapping[str, CropHeader]) -> None:
    kinds = {(h.image_format, h.mode, h.bit_depth) for h in headers.values()}
    if len(kinds) > 1:
        found = ", ".join(f"{fmt} {mode} {depth}-bit" for fmt, mode, depth in sorted(kinds))
        raise InvalidCrops(
            f"The crops are saved in different ways ({found}); one photo gives one kind.", hint=CROPS_HINT
        )
    orientations = {h.orientation for h in headers.values()}
    if len(orientations) > 1:
        raise InvalidCrops(
            f"The crops carry different EXIF orientations ({', '.join(map(str, sorted(orientations)))}); crops of "
            "one photo carry the same one (or none).",
            hint=CROPS_HINT,
        )


def _check_overlaps(layout: CropLayout, pixels: Mapping[str, NDArray[np.uint8]], image_format: str) -> None:
    """Where two crops hold the same frame pixels, those pixels must agree: they were cut from one frame."""
    for first, second in combinations(layout.boxes, 2):
        overlap = first.intersection(second)
        if overlap is None:
            continue
        x0, y0, x1, y1 = overlap
        a = pixels[first.part][y0 - first.y : y1 - first.y, x0 - first.x : x1 - first.x].astype(np.int16)
        b = pixels[second.part][y0 - second.y : y1 - second.y, x0 - second.x : x1 - second.x].astype(np.int16)
        difference = np.abs(a - b)
        agree = (
            float(difference.mean()) <= JPEG_OVERLAP_MAX_MEAN_CODE_DIFFERENCE
            if image_format == "jpeg"
            else not difference.any()
        )
        if not agree:
            raise InvalidCrops(
                f"The crops {first.part!r} and {second.part!r} overlap at x {x0}-{x1 - 1}, y {y0}-{y1 - 1} but show "
                f"different pixels there (mean difference {difference.mean():.1f} codes): they are not cut from one "
                "photo at the places declared.",
                hint=CROPS_HINT,
            )


def _check_card_crop(card_BGR: NDArray[np.uint8], cards: list[ReferenceCard]) -> ReferenceCard:
    """Find the card in its own crop; refuse a crop reaching further beyond the card than ``CARD_CROP_MAX_MARGIN``."""
    reference, pose = find_card(card_BGR, cards)
    width_mm, height_mm = pose.layout.size_mm
    outline = pose.to_image(np.array([[0, 0], [width_mm, 0], [width_mm, height_mm], [0, height_mm]], dtype=float))
    low, high = outline.min(axis=0), outline.max(axis=0)
    allowed = CARD_CROP_MAX_MARGIN * float(np.max(high - low))
    height, width = card_BGR.shape[:2]
    beyond = max(float(low[0]), float(low[1]), width - 1 - float(high[0]), height - 1 - float(high[1]))
    if beyond > allowed:
        raise CropTooLarge(
            f"The card crop reaches {beyond:.0f} px beyond the card; at most {allowed:.0f} px "
            f"({CARD_CROP_MAX_MARGIN:.0%} of the card's size) are allowed.",
            hint=CROPS_HINT,
        )
    return reference


def assemble_crops(
    layout: CropLayout, parts: Mapping[str, bytes], cards: list[ReferenceCard]
) -> tuple[DecodedPhoto, ReferenceCard]:
    """Check the crops' images (steps 4-7 above) and paste them onto a black canvas of the frame's size.

    Returns the canvas as a ``DecodedPhoto`` at scale 1 and the card found in the card crop.
    """
    _check_parts(layout, parts)
    headers = {box.part: read_crop_header(parts[box.part], box.part) for box in layout.boxes}
    for box in layout.boxes:
        if headers[box.part].upright_size != (box.width, box.height):
            size = headers[box.part].upright_size
            raise InvalidCrops(
                f"The crop {box.part!r} is {size[0]}×{size[1]} pixels (upright) but declared {box.width}×{box.height}.",
                hint=CROPS_HINT,
            )
    _check_one_encoding(headers)
    image_format = headers[CARD_PART].image_format
    pixels = {box.part: decode_crop(parts[box.part], headers[box.part], box.part) for box in layout.boxes}
    _check_overlaps(layout, pixels, image_format)
    reference = _check_card_crop(pixels[CARD_PART], cards)
    width, height = layout.frame_size
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    for box in layout.boxes:  # the skin crops last: a region reads its own crop's pixels
        canvas[box.y : box.stop[1], box.x : box.stop[0]] = pixels.pop(box.part)
    return DecodedPhoto(BGR=canvas, image_format=image_format, size=layout.frame_size, scale=1.0), reference


def measure_crops(document: Any, parts: Mapping[str, bytes], *, card: str | None = None) -> Measurement:
    """Measure skin colour from the crops of one photo, as ``measure_photo`` measures the whole photo.

    ``document`` is the parsed ``crops`` JSON, ``parts`` the crops' encoded images by part name, ``card`` a card id
    (optionally ``id@batch``) or None to recognise it. Raises ``InvalidCrops`` / ``CropTooLarge`` for crops that
    are not one photo's card and skin, and every error a whole photo can raise otherwise.
    """
    cards = candidate_cards(card)
    layout = parse_crops(document)
    canvas, reference = assemble_crops(layout, parts, cards)
    return measure_image(canvas, cards=[reference], regions=layout.regions_document, face_model=None)
