"""The phone's side of a de-identified capture: cut the card and the cheeks out of one photo, keep the face.

This is the reference implementation, and the specification, of what the app does before it sends anything;
the server's side is ``color.crops``. Pure functions: the photo comes in as bytes, the crops and their document
go out, and nothing here talks to the network. The steps, one function each:

1. **Decode the frame** (``decode_frame``): the camera's photo, upright (EXIF orientation applied), 8 bits per
   channel, at full resolution. Its size is the document's ``frame_size``; every coordinate below is in its
   pixels, x to the right and y down. (The server reads a whole photo the same way: ``color.decode``.)
2. **Find the card** (``card_box``): ``color.measure.find_card`` (its ArUco markers, or the chip grid of a
   ColorChecker), then its outline: the card's rectangle in millimetres mapped by the pose. The card's crop is
   the outline's bounding box widened on every side by ``CARD_MARGIN`` of its longer side (the detector needs a
   little of the surroundings to see the card's edge and the markers' quiet zone), clipped to the frame.
3. **Place the cheeks** (``cheek_regions_from_landmarks``): from the face landmarks the phone's own face detector
   gives (eye centres and mouth corners), as ``color.face.cheeks_from_landmarks`` places them; polygons clipped
   to the frame. An app that places its regions another way sends those polygons instead.
4. **Box each region** (``skin_box``): the pixels the measurement reads, from the floor of the polygon's smallest
   x and y to the ceiling of its largest (inclusive), widened by ``SKIN_MARGIN_PX`` and clipped to the frame.
5. **Cut and encode** (``encode_crop``): each box cut from the frame and saved as **PNG**, losslessly and
   without metadata (the crops are already upright). JPEG is accepted, but re-encoding changes every pixel by a
   few codes, most at its 8×8 block edges: the card's patches and the cheeks would be measured on altered
   colours, and overlapping crops could be checked only loosely.
6. **Describe them** (``CapturedCrops.document``): ``{"frame_size": [w, h], "card": {"part": "card_crop", "x",
   "y", "width", "height"}, "skin": [{"part": "skin_crop_1", "name", "x", "y", "width", "height", "polygon"},
   ...]}``.
7. **Send** ``POST /v1/measurements/`` as multipart/form-data: ``consent``, ``crops`` (the document as JSON),
   one image part per crop named by its ``part``, and optionally ``card``. Then drop the frame.

The server refuses crops bigger than these steps make them (see ``color.crops`` for the limits), so the face
never leaves the phone: what is sent is the card with a margin and the cheek patches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from color.crops import CARD_PART
from color.decode import DecodedPhoto, decode_photo
from color.detect import CardPose
from color.face import cheek_regions, cheeks_from_landmarks
from color.measure import candidate_cards, find_card
from color.skin import Region, parse_regions

# Around the card's outline, on every side, as a share of the outline box's longer side (about 8.6 mm on a
# credit-card-sized card). The server allows up to ``color.crops.CARD_CROP_MAX_MARGIN``.
CARD_MARGIN = 0.1
# Around a region's pixel box: rounding room only; the server allows up to ``color.crops.SKIN_CROP_MAX_MARGIN_PX``.
SKIN_MARGIN_PX = 2
JPEG_QUALITY = 95  # only when JPEG crops are asked for; PNG is the recommended format


@dataclass(frozen=True, slots=True)
class FaceLandmarks:
    """Eye centres and mouth corners in frame pixels; left and right as seen in the image."""

    eye_left: tuple[float, float]
    eye_right: tuple[float, float]
    mouth_left: tuple[float, float]
    mouth_right: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Box:
    """A crop's place in the frame: top-left pixel and size."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class CapturedCrops:
    """What the app sends: the crops document and each crop's encoded image by part name."""

    document: dict[str, Any]
    parts: dict[str, bytes] = field(repr=False)

    @property
    def crops_json(self) -> str:
        """The ``crops`` form field."""
        return json.dumps(self.document, separators=(",", ":"))


def decode_frame(photo: bytes) -> DecodedPhoto:
    """Step 1: the whole photo, upright, at full resolution."""
    return decode_photo(photo)


def _clipped_box(low: NDArray[np.float64], stop: NDArray[np.float64], frame_size: tuple[int, int]) -> Box:
    """The box from ``low`` (inclusive) to ``stop`` (exclusive), in whole pixels, clipped to the frame."""
    x0, y0 = np.maximum(np.floor(low).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(stop).astype(int), frame_size)
    return Box(int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def card_outline(pose: CardPose) -> NDArray[np.float64]:
    """The card's four corners in frame pixels (4, 2), from its pose."""
    width_mm, height_mm = pose.layout.size_mm
    return pose.to_image(np.array([[0, 0], [width_mm, 0], [width_mm, height_mm], [0, height_mm]], dtype=np.float64))


def card_box(frame: DecodedPhoto, card: str | None = None) -> Box:
    """Step 2: find the card and box its outline with ``CARD_MARGIN``; ``RetakeNeeded`` as for a whole photo."""
    _, pose = find_card(frame.BGR, candidate_cards(card))
    outline = card_outline(pose)
    low, high = outline.min(axis=0), outline.max(axis=0)
    margin = CARD_MARGIN * float(np.max(high - low))
    return _clipped_box(low - margin, high + 1 + margin, frame.size)


def cheek_regions_from_landmarks(landmarks: FaceLandmarks, frame_size: tuple[int, int]) -> list[dict[str, Any]]:
    """Step 3: left and right cheek polygons from the face landmarks, clipped to the frame."""
    width, height = frame_size
    regions = cheeks_from_landmarks(
        np.array(landmarks.eye_left, dtype=np.float64),
        np.array(landmarks.eye_right, dtype=np.float64),
        np.array(landmarks.mouth_left, dtype=np.float64),
        np.array(landmarks.mouth_right, dtype=np.float64),
    )
    return [
        {
            "name": region.name,
            "polygon": np.stack(
                [np.clip(region.polygon[:, 0], 0, width - 1), np.clip(region.polygon[:, 1], 0, height - 1)], axis=1
            ).tolist(),
        }
        for region in regions
    ]


def skin_box(region: Region, frame_size: tuple[int, int]) -> Box:
    """Step 4: the pixels a region's measurement reads, widened by ``SKIN_MARGIN_PX``, clipped to the frame."""
    low = np.floor(region.polygon.min(axis=0)) - SKIN_MARGIN_PX
    stop = np.ceil(region.polygon.max(axis=0)) + 1 + SKIN_MARGIN_PX
    return _clipped_box(low, stop, frame_size)


def encode_crop(frame: DecodedPhoto, box: Box, image_format: str = "png") -> bytes:
    """Step 5: cut ``box`` out of the frame and encode it (PNG, lossless and without metadata; or JPEG)."""
    pixels = frame.BGR[box.y : box.y + box.height, box.x : box.x + box.width]
    if image_format == "png":
        ok, encoded = cv2.imencode(".png", pixels)
    elif image_format == "jpeg":
        ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    else:
        raise ValueError(f"crops are encoded as 'png' or 'jpeg', not {image_format!r}")
    if not ok:
        raise RuntimeError("encoding a crop failed")
    return bytes(encoded.tobytes())


def capture_crops(
    photo: bytes,
    *,
    regions: Any = None,
    landmarks: FaceLandmarks | None = None,
    card: str | None = None,
    face_model: Path | None = None,
    image_format: str = "png",
) -> CapturedCrops:
    """Steps 1-6 for one photo: the crops of the card and of each cheek region, and their document.

    The regions are ``regions`` (``[{"name", "polygon"}]`` in frame pixels) when given, else placed from
    ``landmarks``, else from the face found in the frame by ``color.face.cheek_regions`` (a stand-in, here, for
    the phone's own face detector).
    """
    frame = decode_frame(photo)
    box = card_box(frame, card)
    if regions is None:
        if landmarks is not None:
            regions = cheek_regions_from_landmarks(landmarks, frame.size)
        else:
            regions = [{"name": r.name, "polygon": r.polygon.tolist()} for r in cheek_regions(frame.BGR, face_model)]
    parsed = parse_regions(regions, frame.size)
    parts = {CARD_PART: encode_crop(frame, box, image_format)}
    skin: list[dict[str, Any]] = []
    for index, (item, region) in enumerate(zip(regions, parsed, strict=True), start=1):
        part = f"skin_crop_{index}"
        region_box = skin_box(region, frame.size)
        parts[part] = encode_crop(frame, region_box, image_format)
        skin.append({"part": part, "name": region.name, **_box_fields(region_box), "polygon": item["polygon"]})
    document = {
        "frame_size": list(frame.size),
        "card": {"part": CARD_PART, **_box_fields(box)},
        "skin": skin,
    }
    return CapturedCrops(document=document, parts=parts)


def _box_fields(box: Box) -> dict[str, int]:
    return {"x": box.x, "y": box.y, "width": box.width, "height": box.height}
