"""Skin metrics from one photo (color.skin_map, color.skin_spots): spots, evenness, left/right, forehead and chin.

Photos are rendered physically with marks of known size and content (color.simulate_marks) and measured through
the whole pipeline. Small renders (1000 × 750, the card 440 px: 5 px a millimetre) keep the file fast.
"""

from __future__ import annotations

import colour
import numpy as np
import pytest

from bench.datasets import GRID_NM, cameras, skin_set
from color.card import ReferenceCard
from color.face import forehead_chin_from_box, forehead_chin_from_landmarks
from color.measure import Measurement, measure_photo
from color.simulate import Phone, Scene, Shadow, Shine, Shot
from color.simulate_marks import Hair, Mark, MarkedPhoto, face_region_polygons, render_marked_photo
from color.skin_map import EVENNESS_95_DE00, MIN_ANALYSED_MM2, SPOT_AREA_SHARE_95, SkinMap, evenness_dE00
from color.skin_spots import MIN_SPOT_AREA_MM2, MIN_SPOT_CONTRAST_DE00, find_spots

SHOT = Shot(size=(1000, 750), card_width_px=440)
CAMERAS = ("Nikon 5100 (NPL)", "Nokia N900", "mobile phone average (Tominaga 2021)")  # the last two: shared data


def marked(
    card: ReferenceCard,
    *,
    marks: tuple[Mark, ...] = (),
    hairs: tuple[Hair, ...] = (),
    camera: str = CAMERAS[0],
    illuminant: str = "D65",
    skin_index: int = 1,
    seed: int = 3,
    **scene_options: object,
) -> MarkedPhoto:
    scene = Scene(
        illuminant=colour.SDS_ILLUMINANTS[illuminant],
        card=card,
        skin_wavelengths_nm=GRID_NM,
        skin_reflectance=skin_set()[skin_index].reflectance,
        **scene_options,  # type: ignore[arg-type]
    )
    if camera not in cameras():
        pytest.skip(f"camera {camera!r} needs ../shared/data")
    phone = Phone(name=camera, sensitivities=cameras()[camera], tone_curve="filmic")
    return render_marked_photo(scene, phone, SHOT, np.random.default_rng(seed), marks=marks, hairs=hairs)


def measured(
    photo: MarkedPhoto, names: tuple[str, ...] = ("left_cheek", "right_cheek", "forehead", "chin")
) -> Measurement:
    polygons = face_region_polygons(SHOT)
    return measure_photo(photo.photo.jpeg, regions=[{"name": n, "polygon": polygons[n]} for n in names])


def spots_by_region(measurement: Measurement) -> dict[str, int]:
    return {a.name: a.spots.count for a in measurement.region_analyses}


def test_known_spots_are_found_where_they_are(card: ReferenceCard) -> None:
    spots = (Mark((-0.56, 0.1), 3.0, melanin_od=0.08), Mark((-0.42, 0.22), 2.5, melanin_od=0.08))
    photo = marked(card, marks=(*spots, Mark((0.05, -0.5), 3.0, melanin_od=0.08)))
    assert all(t.contrast_dE00 > 2 * MIN_SPOT_CONTRAST_DE00 for t in photo.marks)
    result = measured(photo)
    assert spots_by_region(result) == {"left_cheek": 2, "right_cheek": 0, "forehead": 1, "chin": 0}
    left = next(a for a in result.region_analyses if a.name == "left_cheek")
    assert left.spots.mean_contrast_dE00 is not None
    assert left.spots.mean_contrast_dE00 > MIN_SPOT_CONTRAST_DE00
    true_share = sum(t.area_mm2 for t in photo.marks[:2]) / left.analysed_area_mm2
    assert 0.5 * true_share < left.spots.area_share < 1.6 * true_share
    assert (left.spots.min_area_mm2, left.spots.min_contrast_dE00) == (MIN_SPOT_AREA_MM2, MIN_SPOT_CONTRAST_DE00)


@pytest.mark.parametrize(
    ("camera", "illuminant", "skin_index"),
    [(CAMERAS[0], "D65", 1), (CAMERAS[1], "A", 40), (CAMERAS[2], "FL11", -1)],
)
def test_spotless_skin_has_no_spots(card: ReferenceCard, camera: str, illuminant: str, skin_index: int) -> None:
    result = measured(marked(card, camera=camera, illuminant=illuminant, skin_index=skin_index))
    assert spots_by_region(result) == {"left_cheek": 0, "right_cheek": 0, "forehead": 0, "chin": 0}
    assert all(a.analysed_area_mm2 > 100 for a in result.region_analyses)


def test_shine_shadow_hair_and_redness_are_not_spots(card: ReferenceCard) -> None:
    hairs = tuple(Hair((-0.2 + 0.05 * k, -0.62), (-0.1 + 0.06 * k, -0.4)) for k in range(6))
    photo = marked(
        card,
        marks=(Mark((-0.5, 0.12), 4.0, blood_uM_cm=2.0), Mark((0.05, 0.7), 3.0, blood_uM_cm=2.5)),
        hairs=hairs,
        shine=(Shine((0.45, 0.12), 0.05, 0.5),),
        shadows=(Shadow((0.55, 0.0), 0.0, 0.35),),
    )
    result = measured(photo)
    assert spots_by_region(result) == {"left_cheek": 0, "right_cheek": 0, "forehead": 0, "chin": 0}


def test_the_card_is_never_a_spot(card: ReferenceCard) -> None:
    """A region reaching over the card: the card's dark patches and markers are left out, not counted."""
    polygons = face_region_polygons(SHOT)
    x0, y0, x1, y1 = 560.0, 380.0, 700.0, 480.0  # over the face's right edge and the card's left part
    region = {"name": "right_cheek", "polygon": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}
    photo = marked(card)
    result = measure_photo(
        photo.photo.jpeg, regions=[{"name": "left_cheek", "polygon": polygons["left_cheek"]}, region]
    )
    assert all(a.spots.count == 0 for a in result.region_analyses)


def test_evenness_does_not_depend_on_the_camera(card: ReferenceCard) -> None:
    evenness = [
        [a.evenness_dE00 for a in measured(marked(card, camera=c), ("left_cheek", "right_cheek")).region_analyses]
        for c in CAMERAS
    ]
    assert np.all(np.isfinite(evenness))
    assert np.ptp(evenness) < 0.3  # smoothing at 0.5 mm leaves each phone's noise well under a JND
    blotchy = measured(marked(card, marks=(Mark((-0.5, 0.15), 8.0, melanin_od=0.02),)), ("left_cheek", "right_cheek"))
    assert blotchy.region_analyses[0].evenness_dE00 > np.max(evenness) + 0.5  # a blotch makes the tone uneven


def test_evenness_and_spot_area_do_not_depend_on_the_light_or_camera(card: ReferenceCard) -> None:
    """The same spotted face under D65, A and FL11 and through two cameras: each cheek's evenness and spot area stay
    within the stated one-photo half-widths of their mean (``EVENNESS_95_DE00``, ``SPOT_AREA_SHARE_95``)."""
    spots = (Mark((-0.56, 0.1), 3.5, melanin_od=0.1), Mark((0.5, 0.2), 3.5, melanin_od=0.1))
    shots = [("D65", CAMERAS[0]), ("A", CAMERAS[0]), ("FL11", CAMERAS[0]), ("D65", CAMERAS[2])]
    results = [
        measured(marked(card, marks=spots, illuminant=light, camera=camera), ("left_cheek", "right_cheek"))
        for light, camera in shots
    ]
    evenness = np.array([[a.evenness_dE00 for a in r.region_analyses] for r in results])
    area = np.array([[a.spots.area_share for a in r.region_analyses] for r in results])
    assert np.all(area > 0)  # each cheek's spot found in every shot
    assert np.all(np.abs(evenness - evenness.mean(axis=0)) <= EVENNESS_95_DE00)
    assert np.all(np.abs(area - area.mean(axis=0)) <= SPOT_AREA_SHARE_95)


def test_left_right_difference_has_the_sign_of_the_darker_cheek(card: ReferenceCard) -> None:
    darker_right = Mark((0.5, 0.15), 40.0, melanin_od=0.03)  # covers the whole right cheek
    result = measured(marked(card, marks=(darker_right,)), ("left_cheek", "right_cheek"))
    assert result.left_right is not None
    assert result.left_right.melanin_od > 0.01
    assert result.left_right.difference_dE00 > 1.0
    single = measured(marked(card), ("left_cheek",))
    assert single.left_right is None


def test_forehead_and_chin_are_analysed_but_not_in_the_tone(card: ReferenceCard) -> None:
    photo = marked(card, marks=(Mark((0.0, -0.5), 30.0, melanin_od=0.2),))  # a much darker forehead
    cheeks = measured(photo, ("left_cheek", "right_cheek"))
    everything = measured(photo)
    np.testing.assert_allclose(everything.Lab_D65, cheeks.Lab_D65, atol=1e-9)
    assert everything.uncertainty_dE00_95 == pytest.approx(cheeks.uncertainty_dE00_95)
    assert [r.name for r in everything.regions] == ["left_cheek", "right_cheek"]
    analyses = {a.name: a for a in everything.region_analyses}
    assert set(analyses) == {"left_cheek", "right_cheek", "forehead", "chin"}
    assert not analyses["forehead"].in_skin_tone
    assert not analyses["chin"].in_skin_tone
    assert analyses["left_cheek"].in_skin_tone
    assert analyses["forehead"].melanin_od > analyses["left_cheek"].melanin_od + 0.1
    alone = measured(photo, ("forehead",))  # only analysis regions asked for: they make the tone
    assert alone.region_analyses[0].name == "forehead"


def test_forehead_and_chin_are_placed_from_landmarks_and_box() -> None:
    eye_left, eye_right = np.array([400.0, 500.0]), np.array([600.0, 500.0])
    mouth_left, mouth_right = np.array([430.0, 720.0]), np.array([570.0, 720.0])
    forehead, chin = forehead_chin_from_landmarks(eye_left, eye_right, mouth_left, mouth_right)
    assert (forehead.name, chin.name) == ("forehead", "chin")
    assert forehead.polygon[:, 1].max() < 500 - 0.3 * 200  # above the brows
    assert forehead.polygon[:, 1].min() > 500 - 1.2 * 200  # below the hairline
    assert chin.polygon[:, 1].min() > 720
    tilted = forehead_chin_from_landmarks(eye_left[::-1], eye_right[::-1], mouth_left[::-1], mouth_right[::-1])
    assert tilted[0].polygon[:, 0].mean() < 500  # turned with the face: the forehead on the eyes' far side
    box_forehead, box_chin = forehead_chin_from_box(np.array([300.0, 300.0, 400.0, 400.0]))
    assert box_forehead.polygon[:, 1].mean() < 400  # the box's upper quarter
    assert box_chin.polygon[:, 1].mean() > 650


def test_empty_input_gives_a_clear_result() -> None:
    empty = SkinMap(np.full((4, 4, 3), np.nan), np.full((4, 4, 3), np.nan), np.zeros((4, 4), dtype=bool))
    summary = find_spots(empty)
    assert (summary.count, summary.area_share, summary.mean_contrast_dE00) == (0, 0.0, None)
    assert find_spots(None).count == 0
    assert np.isnan(evenness_dE00(empty))
    assert empty.area_mm2 == 0.0 < MIN_ANALYSED_MM2


def test_a_region_mostly_masked_is_reported_not_raised(card: ReferenceCard) -> None:
    """A chin region drawn mostly off the face (on the wall): measured or refused, never an exception."""
    polygons = face_region_polygons(SHOT)
    off_face = [[30.0, 30.0], [120.0, 30.0], [120.0, 100.0], [30.0, 100.0]]
    regions = [{"name": "left_cheek", "polygon": polygons["left_cheek"]}, {"name": "chin", "polygon": off_face}]
    result = measure_photo(marked(card).photo.jpeg, regions=regions)
    assert [a.name for a in result.region_analyses if a.in_skin_tone] == ["left_cheek"]
    for analysis in result.region_analyses:
        assert analysis.spots.count == 0


def test_the_spots_contrast_skips_only_samples_surely_under_the_outline() -> None:
    """``_darker`` computes CIEDE2000 only where its bound says it can reach ``EXTENT_CONTRAST_DE00``: wherever the
    full CIEDE2000 of a darker sample reaches it, the value is the full one, and samples not darker have none."""
    from color.colorimetry import XYZ_to_Lab_D65, delta_E00
    from color.skin_spots import EXTENT_CONTRAST_DE00, _darker

    rng = np.random.default_rng(11)
    background = np.full((40, 50, 3), [0.30, 0.28, 0.20]) * rng.uniform(0.95, 1.05, (40, 50, 1))
    XYZ = background * rng.uniform(0.85, 1.1, (40, 50, 1)) * rng.uniform(0.97, 1.03, (40, 50, 3))
    kept = rng.random((40, 50)) > 0.1
    skin = SkinMap(XYZ, XYZ_to_Lab_D65(XYZ), kept)
    contrast, darker = _darker(skin, background)
    full = delta_E00(skin.Lab, XYZ_to_Lab_D65(background))
    expected_darker = kept & (skin.Lab[..., 0] < XYZ_to_Lab_D65(background)[..., 0])
    np.testing.assert_array_equal(darker, expected_darker)
    reaching = expected_darker & (full >= EXTENT_CONTRAST_DE00)
    # both sides of the outline are tested
    assert reaching.sum() > 50
    assert (expected_darker & ~reaching).sum() > 50
    np.testing.assert_allclose(contrast[reaching], full[reaching], atol=1e-9)
    assert (contrast[~reaching] < EXTENT_CONTRAST_DE00).all()
    assert (contrast[~expected_darker] == 0).all()
