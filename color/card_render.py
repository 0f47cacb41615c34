"""Draw a reference card: a label map of its printed face, a raster proof of it, and the print shop's PDF.

The card's face: patches, the four ArUco markers with the ids of its print batch (``color.card_identity``),
and its id and batch printed as text under the patches. The colours drawn are the sRGB (IEC 61966-2-1)
encoding of each patch's CIELAB D65/2° reference: a proof rendering. The card is printed professionally and
shipped in the kit; the print shop prints to the batch's spectra and CIELAB values (listed on the PDF's
second page) with its own press profile, and every batch is then measured (a home print's colours are
unknown).

The PDF is vector: each patch a filled rectangle, each marker one path, the text in an embedded font; no
image and so no JPEG. Its first page is the card at true size with 3 mm bleed (the card's ground extended),
crop marks at the trim, a 50 mm scale bar, "Print at 100 % (no scaling)", the card id and batch; its
TrimBox and BleedBox are set. The second page lists every patch's CIELAB and its sRGB proof values.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache

import colour
import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from color.card import ReferenceCard
from color.card_identity import aruco_dictionary, printed_marker_ids
from color.packaged_data import card_font_path

__all__ = [
    "INK",
    "PAPER",
    "aruco_dictionary",
    "card_label_text",
    "card_labels",
    "card_print_pdf",
    "card_sRGB_palette",
    "encode_card",
    "render_card_RGB",
]

PAPER = -1  # label of the card's white base
INK = -2  # label of the black marker ink (and of the printed text)
MM_PER_INCH = 25.4
IMAGE_FORMATS = ("png", "pdf")
# Bitstream Vera Sans's vertical extent per em (its hhea ascent and descent): the printed text is sized so
# that both fit the layout's label box.
FONT_ASCENT_EM = 0.928
FONT_DESCENT_EM = 0.236
FONT_NAME = "TonematchVera"
TEXT_COVERAGE_INK = 128  # a raster pixel is ink when the anti-aliased glyph covers at least half of it

# The print sheet (PDF page 1), in millimetres.
BLEED_MM = 3.0  # the print shop's usual bleed: the ground runs this far past the trim
SLUG_MM = 14.0  # free border around the bleed for the crop marks
CROP_MARK_OFFSET_MM = 3.0  # crop marks start outside the bleed, so no mark is printed on a card
CROP_MARK_LENGTH_MM = 6.0
CROP_MARK_WIDTH_PT = 0.25
NOTES_HEIGHT_MM = 42.0  # under the card: the instructions and the scale bar
NOTES_MARGIN_MM = 6.0
SCALE_BAR_MM = 50.0
PRINT_AT_100 = "Print at 100 % (no scaling)"
COLOUR_SPACE = "sRGB (IEC 61966-2-1)"


def card_label_text(card: ReferenceCard) -> str | None:
    """The card id and batch as printed on the card's face (None for cards we do not print)."""
    if card.layout.label_box_mm is None or card.batch_number is None:
        return None
    return f"{card.reference}  ·  print batch {card.batch_number}"


@lru_cache(maxsize=16)  # a few sizes: the proofs' resolutions and the simulator's canvases
def _font(size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(card_font_path()), size=size_px)


def _label_size_mm(box_mm: tuple[float, float, float, float], text: str) -> float:
    """Font size (em, mm) at which ``text`` fills the label box's height, or its width if that is smaller."""
    _, _, width_mm, height_mm = box_mm
    size_mm = height_mm / (FONT_ASCENT_EM + FONT_DESCENT_EM)
    width_em = _font(100.0).getlength(text) / 100.0
    return min(size_mm, width_mm / width_em)


def _marker_modules(card: ReferenceCard) -> list[tuple[float, float, float, NDArray[np.bool_]]]:
    """Each marker's top-left corner and size in mm and its module grid (True = ink), border included."""
    layout = card.layout
    if layout.aruco_dictionary is None:
        return []
    dictionary = aruco_dictionary(layout.aruco_dictionary)
    modules = dictionary.markerSize + 2  # the bits and a one-module black border
    ids = printed_marker_ids(layout, card.batch_number or 0)
    result = []
    for marker, printed_id in zip(layout.markers, ids, strict=True):
        grid = cv2.aruco.generateImageMarker(dictionary, printed_id, modules, borderBits=1) < 128
        x0 = marker.centre_mm[0] - marker.size_mm / 2
        y0 = marker.centre_mm[1] - marker.size_mm / 2
        result.append((x0, y0, marker.size_mm, np.asarray(grid, dtype=np.bool_)))
    return result


def card_labels(card: ReferenceCard, px_per_mm: float) -> NDArray[np.int16]:
    """Integer image of the card face: patch index, ``PAPER`` or ``INK``, at ``px_per_mm``."""
    width_mm, height_mm = card.layout.size_mm
    shape = (round(height_mm * px_per_mm), round(width_mm * px_per_mm))
    labels = np.full(shape, PAPER, dtype=np.int16)
    for index, patch in enumerate(card.layout.patches):
        x, y, w, h = (round(v * px_per_mm) for v in patch.rect_mm)
        labels[y : y + h, x : x + w] = index
    for x0_mm, y0_mm, size_mm, grid in _marker_modules(card):
        size = round(size_mm * px_per_mm)
        image = cv2.resize(grid.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST)
        x0, y0 = round(x0_mm * px_per_mm), round(y0_mm * px_per_mm)
        labels[y0 : y0 + size, x0 : x0 + size] = np.where(image > 0, INK, PAPER)
    text = card_label_text(card)
    if text is not None and card.layout.label_box_mm is not None:
        bx, by, bw, bh = card.layout.label_box_mm
        size_mm = _label_size_mm(card.layout.label_box_mm, text)
        x0, y0 = round(bx * px_per_mm), round(by * px_per_mm)
        box = Image.new("L", (round((bx + bw) * px_per_mm) - x0, round((by + bh) * px_per_mm) - y0), 0)
        baseline_px = (bh - FONT_DESCENT_EM * size_mm) * px_per_mm
        ImageDraw.Draw(box).text(
            (box.width / 2, baseline_px), text, fill=255, font=_font(size_mm * px_per_mm), anchor="ms"
        )
        ink = np.asarray(box) >= TEXT_COVERAGE_INK
        region = labels[y0 : y0 + ink.shape[0], x0 : x0 + ink.shape[1]]
        region[ink[: region.shape[0], : region.shape[1]]] = INK
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
    """PNG (a raster proof at ``dpi``, marked sRGB) or PDF (vector, for the print shop) bytes.

    Both print at true size; any other format is refused (JPEG would alter the colours).
    """
    if image_format == "pdf":
        return card_print_pdf(card)
    if image_format != "png":
        raise ValueError(f"unknown card image format {image_format!r}; use {' or '.join(IMAGE_FORMATS)}")
    image = Image.fromarray(render_card_RGB(card, dpi), mode="RGB")
    buffer = io.BytesIO()
    chunks = PngImagePlugin.PngInfo()
    chunks.add(b"sRGB", b"\x00")  # the PNG's own statement that its values are sRGB (perceptual intent)
    image.save(buffer, format="PNG", dpi=(dpi, dpi), pnginfo=chunks)
    return buffer.getvalue()


def _register_font() -> None:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(card_font_path())))


def _sRGB_fill(pdf: Canvas, code: NDArray[np.uint8]) -> None:
    red, green, blue = (float(v) / 255.0 for v in code)
    pdf.setFillColorRGB(red, green, blue)


def card_print_pdf(card: ReferenceCard) -> bytes:
    """The print shop's PDF of a card: page 1 the card at true size, page 2 its patches' reference values."""
    layout = card.layout
    if layout.aruco_dictionary is None:
        raise ValueError(f"{layout.card_id} is a commercial chart: it is bought, not printed from here.")
    _register_font()
    width, height = layout.size_mm
    page_width = width + 2 * SLUG_MM
    page_height = SLUG_MM + height + SLUG_MM + NOTES_HEIGHT_MM
    left, top = SLUG_MM, page_height - SLUG_MM  # the card's top-left corner, page millimetres from bottom-left

    def at(x_mm: float, y_mm: float) -> tuple[float, float]:
        """Card millimetres (y down) to page points (y up)."""
        return (left + x_mm) * mm, (top - y_mm) * mm

    buffer = io.BytesIO()
    pdf = Canvas(
        buffer,
        pagesize=(page_width * mm, page_height * mm),
        invariant=True,  # the same card gives the same bytes
        pageCompression=1,  # Flate: lossless
        initialFontName=FONT_NAME,  # embedded: a print shop's preflight refuses fonts it must substitute
    )
    pdf.setTitle(f"{card.reference}: print sheet")
    pdf.setAuthor("tonematch")
    pdf.setCreator("tonematch card render")
    pdf.setSubject(
        f"{layout.title}, print batch {card.batch_number}. Trim {width:g} x {height:g} mm, {BLEED_MM:g} mm bleed. "
        f"{PRINT_AT_100}. Patch fills are {COLOUR_SPACE} proof values of each patch's CIELAB D65/2 deg reference; "
        "print the CIELAB values (page 2) through a profile of the press."
    )
    pdf.setViewerPreference("PrintScaling", "None")  # viewers' print dialogs default to no scaling
    pdf.setKeywords([layout.card_id, card.batch, f"batch {card.batch_number}", COLOUR_SPACE, "CIELAB D65/2"])
    trim = (*at(0, height), *at(width, 0))
    pdf.setTrimBox(trim)
    pdf.setBleedBox(
        (trim[0] - BLEED_MM * mm, trim[1] - BLEED_MM * mm, trim[2] + BLEED_MM * mm, trim[3] + BLEED_MM * mm)
    )

    patches, ground, _ = card_sRGB_palette(card)
    _sRGB_fill(pdf, ground)
    x, y = at(-BLEED_MM, height + BLEED_MM)
    pdf.rect(x, y, (width + 2 * BLEED_MM) * mm, (height + 2 * BLEED_MM) * mm, stroke=0, fill=1)
    for index, patch in enumerate(layout.patches):
        px, py, pw, ph = patch.rect_mm
        _sRGB_fill(pdf, patches[index])
        x, y = at(px, py + ph)
        pdf.rect(x, y, pw * mm, ph * mm, stroke=0, fill=1)

    pdf.setFillColorRGB(0, 0, 0)
    for x0, y0, size_mm, grid in _marker_modules(card):
        module = size_mm / grid.shape[0]
        path = pdf.beginPath()  # one path per marker: no seams between its modules
        for row, col in zip(*np.nonzero(grid), strict=True):
            x, y = at(x0 + col * module, y0 + (row + 1) * module)
            path.rect(x, y, module * mm, module * mm)
        pdf.drawPath(path, stroke=0, fill=1)

    text = card_label_text(card)
    if text is not None and layout.label_box_mm is not None:
        bx, by, bw, bh = layout.label_box_mm
        size_mm = _label_size_mm(layout.label_box_mm, text)
        pdf.setFont(FONT_NAME, size_mm * mm)
        pdf.drawCentredString(*at(bx + bw / 2, by + bh - FONT_DESCENT_EM * size_mm), text)

    _crop_marks(pdf, at, width, height)
    _notes(pdf, card, top - height - SLUG_MM, page_width)
    pdf.showPage()
    pdf.setTrimBox(None)
    pdf.setBleedBox(None)
    _reference_page(pdf, card)
    pdf.save()
    return buffer.getvalue()


def _crop_marks(pdf: Canvas, at: Callable[[float, float], tuple[float, float]], width: float, height: float) -> None:
    """Two thin lines at each trim corner, pointing outward and starting outside the bleed."""
    pdf.setStrokeColorRGB(0, 0, 0)
    pdf.setLineWidth(CROP_MARK_WIDTH_PT)
    start, end = CROP_MARK_OFFSET_MM, CROP_MARK_OFFSET_MM + CROP_MARK_LENGTH_MM
    for cx, sx in ((0.0, -1.0), (width, 1.0)):
        for cy, sy in ((0.0, -1.0), (height, 1.0)):
            pdf.line(*at(cx + sx * start, cy), *at(cx + sx * end, cy))
            pdf.line(*at(cx, cy + sy * start), *at(cx, cy + sy * end))


def _notes(pdf: Canvas, card: ReferenceCard, top_mm: float, page_width_mm: float) -> None:
    """Under the card: id and batch, 'print at 100 %', the colour statement and the 50 mm scale bar."""
    layout = card.layout
    x = NOTES_MARGIN_MM * mm
    text_width = (page_width_mm - 2 * NOTES_MARGIN_MM) * mm
    y = top_mm * mm
    pdf.setFillColorRGB(0, 0, 0)

    def write(line: str, size_pt: float, leading: float = 1.25) -> None:
        nonlocal y
        for part in simpleSplit(line, FONT_NAME, size_pt, text_width):
            y -= size_pt * leading
            pdf.setFont(FONT_NAME, size_pt)
            pdf.drawString(x, y, part)

    ids = ", ".join(str(i) for i in printed_marker_ids(layout, card.batch_number or 0))
    write(f"{card.reference}: {layout.title}, print batch {card.batch_number}", 7.5)
    write(PRINT_AT_100, 10.0, leading=1.4)
    write(
        f"Trim {layout.size_mm[0]:.1f} × {layout.size_mm[1]:.1f} mm (ISO/IEC 7810 ID-1), {BLEED_MM:g} mm bleed, crop "
        f"marks at the trim. Corner markers: ArUco {layout.aruco_dictionary} ids {ids} (they tell the print batch).",
        6.0,
    )
    write(
        f"Colours: patch fills are {COLOUR_SPACE} values of each patch's CIELAB reference (D65, CIE 1931 2°), "
        "for proofing only. Print the batch's CIELAB values (page 2; spectra: tonematch card export "
        f"{card.reference}) through a profile of your press, then measure the printed batch (45:0).",
        6.0,
    )
    bar_y = y - 9.0 * mm
    pdf.setLineWidth(0.5)
    pdf.setStrokeColorRGB(0, 0, 0)
    pdf.line(x, bar_y, x + SCALE_BAR_MM * mm, bar_y)
    for tick in range(0, int(SCALE_BAR_MM) + 1, 10):
        tall = 2.0 if tick in {0, int(SCALE_BAR_MM)} else 1.2
        pdf.line(x + tick * mm, bar_y, x + tick * mm, bar_y + tall * mm)
    pdf.setFont(FONT_NAME, 6.0)
    pdf.drawString(x + (SCALE_BAR_MM + 2.0) * mm, bar_y, f"{SCALE_BAR_MM:g} mm: check with a ruler")


def _reference_page(pdf: Canvas, card: ReferenceCard) -> None:
    """Page 2 (A4): each patch's place, CIELAB D65/2° and sRGB proof value, with a swatch."""
    layout = card.layout
    pdf.setPageSize(A4)
    page_width, page_height = A4
    x0, y = 18 * mm, page_height - 20 * mm
    pdf.setFillColorRGB(0, 0, 0)
    pdf.setFont(FONT_NAME, 11)
    pdf.drawString(x0, y, f"{card.reference}: patch reference values (print batch {card.batch_number})")
    notes = (
        "CIELAB: CIE 1976 L*a*b*, D65 white, CIE 1931 2° observer, from the batch's spectral reflectance "
        f"({card.source}). sRGB: {COLOUR_SPACE} 8-bit values used on page 1, a proof rendering of the same "
        "references; the card's white ground is drawn in the colour of its white patch. Positions: millimetres "
        "from the card's top-left corner to each patch's top-left corner.",
    )
    pdf.setFont(FONT_NAME, 7)
    for note in notes:
        for part in simpleSplit(note, FONT_NAME, 7, page_width - 2 * x0):
            y -= 9
            pdf.drawString(x0, y, part)
    # (title, right edge in mm from the left margin, right-aligned); text columns are left-aligned at the edge.
    columns = (
        ("#", 5, True),
        ("patch", 9, False),
        ("kind", 31, False),
        ("x mm", 62, True),
        ("y mm", 74, True),
        ("L*", 92, True),
        ("a*", 107, True),
        ("b*", 122, True),
        ("R", 137, True),
        ("G", 147, True),
        ("B", 157, True),
    )
    y -= 16
    for title, edge, right in columns:
        (pdf.drawRightString if right else pdf.drawString)(x0 + edge * mm, y, title)
    pdf.drawString(x0 + 162 * mm, y, "sRGB proof")
    patches, _, _ = card_sRGB_palette(card)
    for index, patch in enumerate(layout.patches):
        y -= 4.6 * mm
        L, a, b = card.Lab_D65[index]
        px, py, _, _ = patch.rect_mm
        values = [str(index + 1), patch.name, patch.kind.value, f"{px:.1f}", f"{py:.1f}", f"{L:.2f}", f"{a:.2f}"]
        values += [f"{b:.2f}", *(str(int(v)) for v in patches[index])]
        pdf.setFillColorRGB(0, 0, 0)
        for (_, edge, right), value in zip(columns, values, strict=True):
            (pdf.drawRightString if right else pdf.drawString)(x0 + edge * mm, y, value)
        _sRGB_fill(pdf, patches[index])
        pdf.rect(x0 + 162 * mm, y - 0.8 * mm, 12 * mm, 3.6 * mm, stroke=0, fill=1)
