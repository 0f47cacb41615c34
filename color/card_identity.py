"""Which card, which print batch: read from the ArUco ids printed in the card's corners.

The scheme. A marker layout lists its corner markers with the ids of print batch 0 (``tm-skin-v1``: 0-3,
top-left, top-right, bottom-right, bottom-left) and a ``batch_id_step`` (4). The card of print batch ``n``
carries ``id + 4·n`` in each corner, so every marker tells both which corner it is and which batch the card
comes from, and the card needs no extra printed area. Ids 0-3 stay print batch 0: every card printed so far
is read as before. The batch's number is in its JSON (``batch_number``); the card id and batch are also
printed as text under the patches.

The dictionary is ``DICT_4X4_250``: its first 50 markers are ``DICT_4X4_50``'s, bit for bit, so a card
printed with the smaller dictionary reads the same, and it leaves room for print batches 0-61. Measured
before choosing (80 rendered card photos, a quarter of them mirrored, each searched at 1024 and 2048 px,
and the 40 real face and ColorChecker photos of ``shared/data/photos``): ``DICT_4X4_250`` found exactly the
markers ``DICT_4X4_50`` found and read nothing else on the rendered photos (again none on 80 photos of
cards of batches 0, 2, 5 and 40), and one stray id, 190, on one real face. ``DICT_4X4_1000`` (250 batches)
read the card's own patch grid as markers (ids 930 and 998, 31 times) and markers seen the wrong way round
as other ids (69 times: marker 0 mirrored is id 871), and its markers lie closer together: two flipped
bits turn one into another, where ``DICT_4X4_250`` needs three and ``DICT_4X4_50`` four. A QR code was no
option: the card's 5 mm margins cannot hold one, and in a patch's 8 mm cell its modules would be about a
pixel wide or less on the smallest card the photo checks accept.

Reading: the markers found are grouped by the batch number they carry. The largest group is the card, if
it is of a batch this service knows or has at least ``MIN_MARKERS`` markers (a whole card of a batch it
does not know is reported as such; one or two markers of an unknown batch are stray reads, as ids 0-3 were
the only ones read before). Two groups of at least ``MIN_MARKERS`` are two cards, and a marker of another
batch where one of the card's corner markers belongs means the card's markers disagree: in both cases the
photo is not of one card and a retake is asked for. Any other marker is a stray read (a pattern on a shirt,
on a face: one real face photo gave id 190) and is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import CardLayout, ReferenceCard
from color.errors import ColorError
from color.packaged_data import UnknownCard, card_batches
from color.quality import MIN_MARKERS, Retake

if TYPE_CHECKING:  # only for annotations: color.detect imports this module
    from color.detect import CardPose

# A marker of another batch within this many half marker sides of a marker's centre sits in that marker's
# cell (tm-skin-v1: a 6.4 mm marker in an 8 mm cell, so 1.25): it is printed on the card, not a stray read.
MARKER_CELL_HALF_SIDES = 1.25


class CardBatchMismatch(ColorError):
    """The caller named a print batch (``card@batch``) and the card in the photo is of another packaged batch."""

    code = "card_batch_mismatch"


def aruco_dictionary(name: str) -> cv2.aruco.Dictionary:
    """One of OpenCV's predefined ArUco dictionaries by its name (``DICT_4X4_250``)."""
    return cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, name))


@cache
def _dictionary_size(name: str) -> int:
    return int(aruco_dictionary(name).bytesList.shape[0])


def batch_number_limit(layout: CardLayout) -> int:
    """How many print batches a marker layout's ids can tell apart (numbers 0 to the limit − 1)."""
    if layout.aruco_dictionary is None:
        return 0
    if layout.batch_id_step <= 0:
        return 1  # the ids carry no batch: every batch prints the same markers
    return (_dictionary_size(layout.aruco_dictionary) - 1 - max(layout.marker_ids)) // layout.batch_id_step + 1


def printed_marker_ids(layout: CardLayout, batch_number: int) -> tuple[int, ...]:
    """The ArUco ids printed on the card of ``batch_number``, in the order of ``layout.markers``."""
    if not 0 <= batch_number < batch_number_limit(layout):
        raise ValueError(
            f"{layout.card_id} has room for print batch numbers 0-{batch_number_limit(layout) - 1}, not {batch_number}."
        )
    return tuple(marker.id + layout.batch_id_step * batch_number for marker in layout.markers)


def decode_marker_id(layout: CardLayout, printed_id: int) -> tuple[int, int] | None:
    """(layout marker id, print batch number) of a printed ArUco id; None when the id is not one of this layout."""
    if layout.batch_id_step <= 0:
        return (printed_id, 0) if printed_id in layout.marker_ids else None
    number, marker_id = divmod(printed_id, layout.batch_id_step)
    if marker_id not in layout.marker_ids or not 0 <= number < batch_number_limit(layout):
        return None
    return marker_id, number


@dataclass(frozen=True)
class MarkerReading:
    """One layout's markers found in a photo: those of the card (by layout marker id) and its batch number.

    ``others`` are this layout's markers of other batch numbers (printed id, batch number, corners), checked
    against the card's pose by ``check_one_card``. Corners are (4, 2) image pixels in ArUco order.
    """

    layout: CardLayout
    batch_number: int
    corners_px: dict[int, NDArray[np.float64]]
    others: tuple[tuple[int, int, NDArray[np.float64]], ...]

    @property
    def printed_ids(self) -> tuple[int, ...]:
        return tuple(i + self.layout.batch_id_step * self.batch_number for i in sorted(self.corners_px))


def _same_place(a: NDArray[np.float64], b: NDArray[np.float64]) -> bool:
    """Two detections of one marker (their centres closer than the marker's side)."""
    side = float(np.linalg.norm(a[1] - a[0]))
    return float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0))) < side


def read_markers(layout: CardLayout, detections: Sequence[tuple[int, NDArray[np.float64]]]) -> MarkerReading | None:
    """Group ``detections`` (printed id, corners) of ``layout`` by batch number; the largest group is the card.

    None when no group can be a card (see the module's docstring); ``RetakeNeeded("more_than_one_card")``
    when two groups are each a card or a marker is seen twice.
    """
    groups: dict[int, dict[int, NDArray[np.float64]]] = {}
    seen_twice: dict[int, int] = {}  # batch number → a printed id found at two places
    for printed_id, corners in detections:
        decoded = decode_marker_id(layout, printed_id)
        if decoded is None:
            continue
        marker_id, number = decoded
        group = groups.setdefault(number, {})
        if marker_id not in group:
            group[marker_id] = corners
        elif not _same_place(group[marker_id], corners):
            seen_twice[number] = printed_id
    known = {summary.batch_number for summary in card_batches(layout.card_id)}
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    cards = [(number, found) for number, found in ranked if number in known or len(found) >= MIN_MARKERS]
    if not cards:
        return None
    number, found = cards[0]
    if number in seen_twice:
        raise Retake.MORE_THAN_ONE_CARD.error(
            f"Marker {seen_twice[number]} is seen twice: more than one {layout.card_id} card is in the photo."
        )
    rest = [(other, markers) for other, markers in ranked if other != number]
    if rest and len(rest[0][1]) >= MIN_MARKERS:
        raise Retake.MORE_THAN_ONE_CARD.error(
            f"Two {layout.card_id} cards are in the photo (print batches {number} and {rest[0][0]})."
        )
    others = tuple(
        (marker_id + layout.batch_id_step * other, other, corners)
        for other, markers in rest
        for marker_id, corners in markers.items()
    )
    return MarkerReading(layout, number, found, others)


def check_one_card(pose: CardPose, reading: MarkerReading) -> None:
    """No marker of another batch lies in one of the card's marker cells (``RetakeNeeded`` if one does)."""
    if not reading.others:
        return
    layout = reading.layout
    inverse = np.linalg.inv(pose.homography)
    for printed_id, number, corners in reading.others:
        centre = cv2.perspectiveTransform(corners.mean(axis=0).reshape(1, 1, 2), inverse).reshape(2)
        for marker in layout.markers:
            reach = MARKER_CELL_HALF_SIDES * marker.size_mm / 2.0
            if np.all(np.abs(centre - np.asarray(marker.centre_mm)) <= reach):
                x, y = marker.centre_mm
                vertical = "top" if y < layout.size_mm[1] / 2 else "bottom"
                corner = f"{vertical}-{'left' if x < layout.size_mm[0] / 2 else 'right'}"
                raise Retake.CARD_MARKERS_DISAGREE.error(
                    f"The card's corner markers disagree on its print batch: markers {list(reading.printed_ids)} "
                    f"say batch {reading.batch_number}, marker {printed_id} at the {corner} corner says batch "
                    f"{number}."
                )


def card_for_pose(cards: Sequence[ReferenceCard], pose: CardPose) -> ReferenceCard:
    """The candidate card of the layout and print batch found in the photo.

    A batch missing from ``cards`` is a ``CardBatchMismatch`` when it is a packaged batch (the caller named
    another one) and ``UnknownCard`` when this service has no spectra for it.
    """
    layout = pose.layout
    same_card = [c for c in cards if c.card_id == layout.card_id]
    for card in same_card:
        if pose.batch_number is None or card.batch_number is None or card.batch_number == pose.batch_number:
            return card
    number = pose.batch_number
    printed = printed_marker_ids(layout, number) if number is not None else ()
    seen = f"print batch {number} (markers {', '.join(map(str, printed))})"
    packaged = {s.batch_number: s for s in card_batches(layout.card_id)}
    if number in packaged:
        named = ", ".join(card.reference for card in same_card)
        raise CardBatchMismatch(
            f"The card in the photo is {packaged[number].reference}, {seen}, not {named} as named.",
            hint=f"Name the card without a batch ({layout.card_id}): its batch is read from the card.",
        )
    raise UnknownCard(
        f"The card in the photo is {layout.card_id} {seen}; this service has no measured colours for that batch.",
        hint="Your card comes from a print run this service does not know yet: please contact us.",
    )
