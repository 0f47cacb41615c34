"""The reference card as data: geometry, spectra, printability, export and rendering."""

from __future__ import annotations

import dataclasses
import io
import json
import re

import cv2
import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from color.card import PatchKind, ReferenceCard
from color.card_export import card_definition
from color.card_render import (
    BLEED_MM,
    INK,
    PAPER,
    PRINT_AT_100,
    card_label_text,
    card_labels,
    card_sRGB_palette,
    encode_card,
    render_card_RGB,
)
from color.detect import locate_card
from color.errors import ColorError
from color.kubelka_munk import mixture_KS, reflectance_infinite, saunderson_to_measured
from color.packaged_data import available_cards, load_card, parse_card_reference
from color.pigments import demo_pigment_KS
from color.skin_tone import ITA_from_Lab


def test_credit_card_size_with_four_markers_inside(card: ReferenceCard) -> None:
    width, height = card.layout.size_mm
    assert (width, height) == (85.6, 54.0)
    assert card.layout.marker_ids == (0, 1, 2, 3)
    for marker in card.layout.markers:
        corners = marker.corners_mm()
        assert corners.min() >= 0
        assert corners[:, 0].max() <= width
        assert corners[:, 1].max() <= height


def test_patches_lie_on_the_card_and_do_not_overlap(card: ReferenceCard) -> None:
    width, height = card.layout.size_mm
    boxes = [p.rect_mm for p in card.layout.patches]
    for x, y, w, h in boxes:
        assert x >= 0
        assert y >= 0
        assert x + w <= width
        assert y + h <= height
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1


def test_patch_kinds_and_skin_range(card: ReferenceCard) -> None:
    kinds = [p.kind for p in card.layout.patches]
    assert kinds.count(PatchKind.NEUTRAL) == 8
    assert kinds.count(PatchKind.SKIN) == 26
    skin = card.Lab_D65[card.layout.patch_index(PatchKind.SKIN)]
    assert skin[:, 0].min() < 20
    assert skin[:, 0].max() > 80
    ita = ITA_from_Lab(skin)
    assert ita.min() < -50
    assert ita.max() > 60
    hue = np.degrees(np.arctan2(skin[:, 2], skin[:, 1]))
    assert hue.max() - hue.min() > 15  # cool to warm


def test_reflectances_are_physical(card: ReferenceCard) -> None:
    assert card.wavelengths_nm[0] == 380
    assert card.wavelengths_nm[-1] == 730
    assert np.all(card.reflectance >= 0)
    assert np.all(card.reflectance <= 1)


def test_skin_and_neutral_patches_are_real_pigment_mixtures(card: ReferenceCard) -> None:
    """Each skin or neutral patch's spectrum is the Kubelka-Munk spectrum of its stored pigment recipe."""
    from color.packaged_data import CARDS_DIR

    batch = json.loads((CARDS_DIR / "tm-skin-v1" / "batches" / "nominal.json").read_text())
    K_unit, S_unit = demo_pigment_KS(card.wavelengths_nm)
    for index, patch in enumerate(card.layout.patches):
        if patch.kind is PatchKind.CHROMATIC:
            continue
        recipe = np.array(list(batch["pigment_mass_fractions"][patch.name].values()))
        assert np.all(recipe >= 0)
        assert recipe.sum() == pytest.approx(1.0, abs=1e-5)
        predicted = saunderson_to_measured(reflectance_infinite(*mixture_KS(recipe, K_unit, S_unit)))
        assert card.reflectance[index] == pytest.approx(predicted, abs=2e-4)


def test_both_cards_are_available_and_batches_are_data() -> None:
    assert set(available_cards()) == {"tm-skin-v1", "colorchecker-classic-24"}
    checker = load_card("colorchecker-classic-24")
    assert len(checker.layout.patches) == 24
    assert checker.layout.aruco_dictionary is None
    assert parse_card_reference("tm-skin-v1@nominal") == ("tm-skin-v1", "nominal")


@pytest.mark.parametrize(("card_id", "batch"), [("nope", None), ("tm-skin-v1", "B9999")])
def test_unknown_card_or_batch_is_a_clear_error(card_id: str, batch: str | None) -> None:
    with pytest.raises(ColorError, match=r"Unknown card|no print batch"):
        load_card(card_id, batch)


def test_export_has_everything_to_recompute_references(card: ReferenceCard) -> None:
    definition = card_definition(card)
    assert definition["aruco"]["dictionary"] == "DICT_4X4_250"
    assert [m["id"] for m in definition["aruco"]["markers"]] == [0, 1, 2, 3]
    assert definition["batch_number"] == 0
    assert len(definition["patches"]) == 41
    patch = definition["patches"][0]
    assert set(patch) == {"name", "kind", "rect_mm", "reflectance", "lab_D65"}
    assert len(patch["reflectance"]) == len(definition["wavelengths_nm"])
    json.dumps(definition)


def test_rendered_card_has_true_size_and_is_found_by_the_detector(card: ReferenceCard) -> None:
    image = render_card_RGB(card, dpi=300)
    assert image.shape[1] == round(85.6 / 25.4 * 300)
    framed = cv2.copyMakeBorder(image[..., ::-1], 80, 80, 80, 80, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    pose = locate_card(framed, [card.layout])
    assert pose.markers_found == (0, 1, 2, 3)
    assert pose.px_per_mm == pytest.approx(300 / 25.4, rel=0.01)


def test_png_and_pdf_encodings(card: ReferenceCard) -> None:
    assert encode_card(card, 150, "png").startswith(b"\x89PNG")
    assert encode_card(card, 150, "pdf").startswith(b"%PDF")
    for image_format in ("gif", "jpeg", "jpg"):
        with pytest.raises(ValueError, match="unknown card image format"):
            encode_card(card, 150, image_format)


def test_id_and_batch_are_printed_between_the_bottom_markers_off_every_patch(card: ReferenceCard) -> None:
    layout = card.layout
    assert layout.label_box_mm is not None
    x, y, w, h = layout.label_box_mm
    assert layout.size_mm[1] - (y + h) >= 2.0  # inside the trim tolerance
    cells = [p.rect_mm for p in layout.patches]
    cells += [(*(m.corners_mm()[0] - 0.8), m.size_mm + 1.6, m.size_mm + 1.6) for m in layout.markers]  # quiet zone
    for cx, cy, cw, ch in cells:
        assert x + w <= cx or cx + cw <= x or y + h <= cy or cy + ch <= y
    assert card_label_text(card) == "tm-skin-v1@nominal  ·  print batch 0"

    px_per_mm = 20.0
    labels = card_labels(card, px_per_mm)
    assert set(np.unique(labels)) == {INK, PAPER, *range(len(layout.patches))}
    text = np.zeros(labels.shape, dtype=bool)
    rows, cols = slice(round(y * px_per_mm), round((y + h) * px_per_mm)), slice(round(x * px_per_mm), None)
    text[rows, cols] = labels[rows, cols] == INK
    assert text.sum() > 500  # the glyphs
    inside_box = np.zeros_like(text)
    inside_box[rows, round(x * px_per_mm) : round((x + w) * px_per_mm)] = True
    assert not (text & ~inside_box).any()


def test_rendered_card_of_another_batch_is_read_as_that_batch(card: ReferenceCard) -> None:
    later = dataclasses.replace(card, batch="test-5", batch_number=5)
    framed = cv2.copyMakeBorder(
        render_card_RGB(later, dpi=200)[..., ::-1], 60, 60, 60, 60, cv2.BORDER_CONSTANT, value=(128, 128, 128)
    )
    pose = locate_card(framed, [card.layout])
    assert (pose.batch_number, pose.markers_found) == (5, (0, 1, 2, 3))
    assert card_definition(later)["aruco"]["markers"][0]["id"] == 20


def test_png_proof_is_lossless_srgb_at_true_size(card: ReferenceCard) -> None:
    image = Image.open(io.BytesIO(encode_card(card, 300, "png")))
    assert image.format == "PNG"
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert image.info["srgb"] == 0  # the PNG's sRGB chunk
    assert image.size == (round(85.6 / 25.4 * 300), round(54.0 / 25.4 * 300))


def test_print_shop_pdf_is_vector_with_bleed_crop_marks_and_reference_values(card: ReferenceCard) -> None:
    data = encode_card(card, 600, "pdf")
    assert b"/DCTDecode" not in data  # no JPEG
    assert b"/Subtype /Image" not in data  # no raster at all: the patches are vector
    assert b"/FontFile2" in data  # the font is embedded
    assert b"/PrintScaling /None" in data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    sheet, values = reader.pages
    mm = 72 / 25.4
    trim, bleed = sheet.trimbox, sheet.bleedbox
    assert (float(trim.width) / mm, float(trim.height) / mm) == pytest.approx((85.6, 54.0), abs=0.01)
    assert float(trim.left - bleed.left) / mm == pytest.approx(BLEED_MM, abs=0.01)
    assert float(bleed.top - trim.top) / mm == pytest.approx(BLEED_MM, abs=0.01)
    text = sheet.extract_text()
    for expected in (PRINT_AT_100, "tm-skin-v1@nominal", "print batch 0", "50 mm", "sRGB (IEC 61966-2-1)"):
        assert expected in text
    assert "print at 100 % (no scaling)" in text.lower()
    page_two = values.extract_text()
    for index, patch in enumerate(card.layout.patches):
        assert patch.name in page_two
        assert f"{card.Lab_D65[index, 0]:.2f}" in page_two
    assert "D65" in page_two
    # Every patch is a filled rectangle in its sRGB proof colour.
    content = sheet.get_contents().get_data()
    assert content.count(b" re") >= len(card.layout.patches)
    patches, _, _ = card_sRGB_palette(card)
    fills = [[float(v) * 255 for v in m.groups()] for m in re.finditer(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", content)]
    for code in patches:
        assert any(np.allclose(fill, code, atol=0.01) for fill in fills), code
    assert card.reference in (reader.metadata.title or "")
    assert "sRGB" in (reader.metadata.subject or "")


def test_pdf_is_only_for_cards_we_print() -> None:
    with pytest.raises(ValueError, match="bought, not printed"):
        encode_card(load_card("colorchecker-classic-24"), 150, "pdf")
