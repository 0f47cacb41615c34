"""Cheek regions: those the app sends, validated (``parse_regions``), or placed here from the face when it sends none.

The mobile app normally finds the face on the device and sends cheek polygons, so the server needs no
face detector (the privacy-first path). Without them: YuNet (Wu et al. 2023) when a model file is
configured, which also gives eye and mouth-corner landmarks, else OpenCV's bundled Haar cascade
(Viola & Jones 2001) and cheeks placed from the face box's proportions.

References:
    Wu, W., Peng, H., Yu, S. (2023). YuNet: A Tiny Millisecond-level Face Detector. Machine
    Intelligence Research 20, 656-665. doi:10.1007/s11633-023-1423-y
    Viola, P., Jones, M. (2001). Rapid object detection using a boosted cascade of simple features.
    CVPR 2001. doi:10.1109/CVPR.2001.990517
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from color.errors import InvalidRegions
from color.quality import Retake

MAX_REGIONS = 8
MAX_POLYGON_POINTS = 500
MAX_REGION_NAME = 40
MIN_REGION_PIXELS = 400
DETECTION_LONG_SIDE = 640  # both detectors work at this size; faces in selfies are large
YUNET_SCORE_THRESHOLD = 0.7
MIN_FACE_SHARE = 0.08  # the face box must span at least this share of the image's shorter side
# Cheek centres in a frontal face box (x, y as fractions of its width and height) and their half-axes,
# from the proportions of the Face Research Lab template's cheekbone points (points 164-169).
HAAR_CHEEK_CENTRES = ((0.29, 0.63), (0.71, 0.63))
HAAR_CHEEK_AXES = (0.10, 0.07)
# With landmarks: a cheek lies between the eye and the mouth corner on its side, pushed outward.
CHEEK_EYE_TO_MOUTH = 0.55
CHEEK_OUTWARD = 0.22  # of the distance between the eyes
CHEEK_RADIUS = 0.2  # of the distance between the eyes
# Forehead and chin, analysed (spots, evenness) but never averaged into the foundation tone
# (``ANALYSIS_ONLY_REGIONS``). With landmarks, in units of the distance between the eyes d: the brows lie about
# 0.3-0.4 d above the eye centres and the hairline about 1.2-1.4 d above them (a forehead of 5-6 cm, d of 6 cm:
# Farkas 1994, Anthropometry of the Head and Face), so an ellipse centred 0.75 d above the eyes, 0.18 d high,
# stays between brows and hairline; the chin's pad lies about 0.5 d below the mouth corners.
FOREHEAD_ABOVE_EYES = 0.75
FOREHEAD_AXES = (0.45, 0.18)
CHIN_BELOW_MOUTH = 0.5
CHIN_AXES = (0.28, 0.13)
# In a Haar face box (centre and half-axes, fractions of its width and height): the same places, from where
# YuNet puts the landmarks in OpenCV's Haar boxes of five faces of ../shared/data/photos/faces (eyes at
# y 0.37-0.42, mouth corners at 0.73-0.86, eyes 0.38 of the width apart): forehead 0.39 − 0.75·0.38, chin
# 0.8 + 0.5·0.38 = 0.99, taken a little higher (0.96): on the drawn photos the box varies, and below the chin
# lies the shadow of the jaw.
HAAR_FOREHEAD = ((0.5, 0.1), (0.17, 0.065))
HAAR_CHIN = ((0.5, 0.96), (0.11, 0.05))
ANALYSIS_ONLY_REGIONS = frozenset({"forehead", "chin"})  # regions by these names never enter the skin tone


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    polygon: NDArray[np.float64]  # (k, 2) x, y in pixels of the upright image


def is_simple_polygon(polygon: NDArray[np.float64]) -> bool:
    """True when no two non-adjacent edges properly cross (all edge pairs tested at once)."""
    start = polygon
    end = np.roll(polygon, -1, axis=0)
    k = len(polygon)

    def orient(a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        cross: NDArray[np.float64] = (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (
            c[..., 0] - a[..., 0]
        )
        return cross

    p1, p2 = start[:, None, :], end[:, None, :]
    q1, q2 = start[None, :, :], end[None, :, :]
    crossing = (orient(q1, q2, p1) * orient(q1, q2, p2) < 0) & (orient(p1, p2, q1) * orient(p1, p2, q2) < 0)
    i, j = np.indices((k, k))
    adjacent = (np.abs(i - j) <= 1) | (np.abs(i - j) == k - 1)
    return not bool(np.any(crossing & ~adjacent))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _polygon(name: str, points: list[Any]) -> NDArray[np.float64]:
    """The points as floats; numbers only: "304" or true is no coordinate, though NumPy would read it as one."""
    if not all(isinstance(point, list) and all(_is_number(v) for v in point) for point in points):
        raise InvalidRegions(f"Region {name!r}: every point must be [x, y] numbers.")
    try:
        return np.array(points, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an integer of hundreds of digits
        raise InvalidRegions(f"Region {name!r}: every point must be [x, y] numbers.") from exc


def parse_regions(document: Any, image_size: tuple[int, int]) -> list[Region]:
    """Validate ``[{"name": ..., "polygon": [[x, y], ...]}, ...]`` against the upright image size."""
    if not isinstance(document, list) or not document:
        raise InvalidRegions("Regions must be a non-empty list of {name, polygon}.")
    if len(document) > MAX_REGIONS:
        raise InvalidRegions(f"At most {MAX_REGIONS} regions are accepted.")
    width, height = image_size
    regions: list[Region] = []
    for index, item in enumerate(document):
        if not isinstance(item, dict) or set(item) != {"name", "polygon"}:
            raise InvalidRegions(f"Region {index} must have exactly the keys 'name' and 'polygon'.")
        name, points = item["name"], item["polygon"]
        if not isinstance(name, str) or not 0 < len(name) <= MAX_REGION_NAME or not name.isprintable():
            # printable: no control characters, and no lone surrogate, which no response or record can encode
            raise InvalidRegions(f"Region {index} needs a name of 1-{MAX_REGION_NAME} printable characters.")
        if not isinstance(points, list) or not 3 <= len(points) <= MAX_POLYGON_POINTS:
            raise InvalidRegions(f"Region {name!r} needs a polygon of 3-{MAX_POLYGON_POINTS} points.")
        polygon = _polygon(name, points)
        if polygon.shape != (len(points), 2) or not np.all(np.isfinite(polygon)):
            raise InvalidRegions(f"Region {name!r}: every point must be [x, y] finite numbers.")
        if np.any(polygon < 0) or np.any(polygon[:, 0] > width - 1) or np.any(polygon[:, 1] > height - 1):
            raise InvalidRegions(
                f"Region {name!r} reaches outside the {width}×{height} image (coordinates are pixels of the "
                "upright image, after EXIF orientation)."
            )
        if not is_simple_polygon(polygon):
            raise InvalidRegions(f"Region {name!r} is a self-intersecting polygon.")
        if abs(cv2.contourArea(polygon.astype(np.float32))) < MIN_REGION_PIXELS:
            raise InvalidRegions(f"Region {name!r} covers fewer than {MIN_REGION_PIXELS} pixels.")
        regions.append(Region(name=name, polygon=polygon))
    if len({r.name for r in regions}) != len(regions):
        raise InvalidRegions("Region names must be unique.")
    return regions


def _ellipse(centre: NDArray[np.float64], axes: tuple[float, float], n: int = 16) -> NDArray[np.float64]:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([centre[0] + axes[0] * np.cos(angles), centre[1] + axes[1] * np.sin(angles)], axis=1)


@cache
def _haar() -> cv2.CascadeClassifier:
    path = Path(cv2.__file__).parent / "data" / "haarcascade_frontalface_default.xml"
    classifier = cv2.CascadeClassifier(str(path))
    if classifier.empty():
        raise RuntimeError(f"OpenCV's Haar cascade is missing at {path}: opencv-python-headless 4.x is required")
    return classifier


def _downscale(BGR: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], float]:
    height, width = BGR.shape[:2]
    scale = min(1.0, DETECTION_LONG_SIDE / max(height, width))
    small = cv2.resize(BGR, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else BGR
    return np.asarray(small, dtype=np.uint8), scale


def _clip_inside(polygon: NDArray[np.float64], width: int, height: int) -> NDArray[np.float64]:
    return np.stack([np.clip(polygon[:, 0], 0, width - 1), np.clip(polygon[:, 1], 0, height - 1)], axis=1)


def _inside(regions: list[Region], width: int, height: int) -> list[Region]:
    """Cheeks clipped to the photo; forehead and chin only when wholly inside it (analysis needs all of them)."""
    inside = []
    for region in regions:
        wholly = bool(np.all((region.polygon >= 0) & (region.polygon <= [width - 1, height - 1])))
        if region.name in ANALYSIS_ONLY_REGIONS and not wholly:
            continue
        inside.append(Region(region.name, _clip_inside(region.polygon, width, height)))
    return inside


def cheeks_from_box(box: NDArray[np.float64]) -> list[Region]:
    """Cheek regions from a face box (x, y, w, h) in image pixels."""
    x, y, w, h = box
    return [
        Region(
            name=name,
            polygon=_ellipse(np.array([x + fx * w, y + fy * h]), (HAAR_CHEEK_AXES[0] * w, HAAR_CHEEK_AXES[1] * h)),
        )
        for name, (fx, fy) in zip(("left_cheek", "right_cheek"), HAAR_CHEEK_CENTRES, strict=True)
    ]


def cheeks_from_landmarks(
    eye_left: NDArray[np.float64],
    eye_right: NDArray[np.float64],
    mouth_left: NDArray[np.float64],
    mouth_right: NDArray[np.float64],
) -> list[Region]:
    """Cheek regions from eye centres and mouth corners (image pixels; "left" is the image's left)."""
    interocular = float(np.linalg.norm(eye_right - eye_left))
    across = (eye_right - eye_left) / max(interocular, 1e-9)
    regions = []
    for name, eye, mouth, outward in (
        ("left_cheek", eye_left, mouth_left, -across),
        ("right_cheek", eye_right, mouth_right, across),
    ):
        centre = eye + CHEEK_EYE_TO_MOUTH * (mouth - eye) + CHEEK_OUTWARD * interocular * outward
        radius = CHEEK_RADIUS * interocular
        regions.append(Region(name=name, polygon=_ellipse(centre, (radius, radius * 0.8))))
    return regions


def forehead_chin_from_box(box: NDArray[np.float64]) -> list[Region]:
    """Forehead and chin regions from a face box (x, y, w, h) in image pixels."""
    x, y, w, h = box
    return [
        Region(name, _ellipse(np.array([x + fx * w, y + fy * h]), (ax * w, ay * h)))
        for name, ((fx, fy), (ax, ay)) in (("forehead", HAAR_FOREHEAD), ("chin", HAAR_CHIN))
    ]


def forehead_chin_from_landmarks(
    eye_left: NDArray[np.float64],
    eye_right: NDArray[np.float64],
    mouth_left: NDArray[np.float64],
    mouth_right: NDArray[np.float64],
) -> list[Region]:
    """Forehead and chin regions from eye centres and mouth corners (image pixels), turned with the face."""
    interocular = float(np.linalg.norm(eye_right - eye_left))
    across = (eye_right - eye_left) / max(interocular, 1e-9)
    down = np.array([-across[1], across[0]])
    eyes, mouth = (eye_left + eye_right) / 2, (mouth_left + mouth_right) / 2
    if float((mouth - eyes) @ down) < 0:
        down = -down
    regions = []
    for name, centre, (a, b) in (
        ("forehead", eyes - FOREHEAD_ABOVE_EYES * interocular * down, FOREHEAD_AXES),
        ("chin", mouth + CHIN_BELOW_MOUTH * interocular * down, CHIN_AXES),
    ):
        unit = _ellipse(np.zeros(2), (a * interocular, b * interocular))
        regions.append(Region(name, centre + unit[:, :1] * across + unit[:, 1:] * down))
    return regions


def cheek_regions(BGR: NDArray[np.uint8], yunet_model: Path | None = None) -> list[Region]:
    """Left and right cheek regions of the largest face; ``RetakeNeeded("no_face")`` when there is none."""
    return [r for r in face_regions(BGR, yunet_model) if r.name not in ANALYSIS_ONLY_REGIONS]


def face_regions(BGR: NDArray[np.uint8], yunet_model: Path | None = None) -> list[Region]:
    """The cheeks of the largest face, then its forehead and chin (``ANALYSIS_ONLY_REGIONS``) where they lie
    in the photo; ``RetakeNeeded("no_face")`` when there is no face."""
    small, scale = _downscale(BGR)
    height, width = BGR.shape[:2]
    if yunet_model is not None:
        detector = cv2.FaceDetectorYN.create(
            str(yunet_model), "", (small.shape[1], small.shape[0]), YUNET_SCORE_THRESHOLD
        )
        _, faces = detector.detect(small)
        if faces is not None and len(faces):
            face = faces[int(np.argmax(faces[:, 2] * faces[:, 3]))] / scale
            if face[2] >= MIN_FACE_SHARE * min(height, width):
                # YuNet landmarks: right eye, left eye (of the person), nose tip, right and left mouth corner.
                points = face[4:14].reshape(5, 2)
                eyes = sorted([points[0], points[1]], key=lambda p: p[0])
                mouths = sorted([points[3], points[4]], key=lambda p: p[0])
                regions = cheeks_from_landmarks(eyes[0], eyes[1], mouths[0], mouths[1])
                regions += forehead_chin_from_landmarks(eyes[0], eyes[1], mouths[0], mouths[1])
                return _inside(regions, width, height)
    else:
        grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
        boxes = np.asarray(_haar().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5), dtype=np.float64)
        if len(boxes):
            box = boxes[int(np.argmax(boxes[:, 2] * boxes[:, 3]))] / scale
            if box[2] >= MIN_FACE_SHARE * min(height, width):
                return _inside(cheeks_from_box(box) + forehead_chin_from_box(box), width, height)
    raise Retake.NO_FACE.error("No face was found in the photo.")
