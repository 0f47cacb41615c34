"""Skin metrics from one photo, through the camera pipeline: indices, redness change, spots and evenness.

Faces are rendered physically (``color.simulate``: spectra × light × camera sensitivities, white balance, matrix,
tone curve, noise, JPEG) from held-out NIST skin spectra (odd-numbered subjects, never in the skin prior) with
melanin and blood added by the skin prior's model, and marks of known size and content
(``color.simulate_marks``); each photo is measured by ``color.measure.measure_photo`` with the two cheeks,
forehead and chin as regions. Cameras: colour-science's and ../shared/data's (phones and DSLRs); lights D65, A,
FL11 and LED-B3. Photos 1,200 × 900 with the card 460 px wide (5.4 px a millimetre on the face, a 2 MP selfie's
working resolution).

Printed:
1. ranking: Spearman ρ of the cheeks' melanin and erythema indices with the added and the total content;
2. redness step: the same face photographed twice (another camera noise, the same phone and light), blood added
   to the whole face; counted as a change when the measurement's erythema index rises beyond the two stated 95 %
   half-widths in quadrature (``color.trend.change``);
3. spots: on spotless faces, false spots per region, by camera and light; on faces with spots (stated diameter and
   contrast), redness patches and hairs, recall and precision (a found spot within 1.5 mm of a true one's edge);
4. evenness of spotless cheeks by camera and by light (median, and spread across them);
5. repeatability: one face with spots photographed with every camera and light; one photo's 95 % half-width of
   evenness and spot area, against the ones ``color.skin_map`` states.

Usage: ``python -m bench.bench_skin_maps [--quick] [--seed 12]``
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import colour
import numpy as np
from numpy.typing import NDArray

from bench.bench_skin_indices import add_content, held_out_spectra, rho, spectral_content
from bench.datasets import GRID_NM, cameras, shared_data
from color.calibrate import fit, prepare
from color.decode import decode_photo
from color.measure import Measurement, card_outline_px, find_card, measure_photo
from color.packaged_data import load_card, load_virtual_skin
from color.sampling import sample_patches
from color.simulate import Phone, Scene, Shot
from color.simulate_marks import Hair, Mark, MarkedPhoto, face_region_polygons, render_marked_photo
from color.skin_indices import skin_indices_from_Lab
from color.skin_map import EVENNESS_95_DE00, SPOT_AREA_SHARE_95, face_px_per_mm, skin_map
from color.skin_spots import MIN_SPOT_AREA_MM2, MIN_SPOT_CONTRAST_DE00, Spot, detect_spots
from color.trend import change

SHOT = Shot(size=(1200, 900), card_width_px=460)
CAMERAS = (
    "Nikon 5100 (NPL)",
    "mobile phone average (Tominaga 2021)",
    "Nokia N900",
    "Canon 5DMarkII",
    "Pentax Q",
    "SONY NEX-5N",
)
LIGHTS = ("D65", "A", "FL11", "LED-B3")
REGIONS = ("left_cheek", "right_cheek", "forehead", "chin")
# Spots placed on each spotted face (face coordinates): two per cheek, two on the forehead, one on the chin.
SPOT_PLACES = ((-0.58, 0.08), (-0.42, 0.24), (0.42, 0.08), (0.6, 0.22), (-0.12, -0.5), (0.14, -0.46), (0.05, 0.7))
SPOT_DIAMETERS_MM = (2.0, 3.0, 4.0)
SPOT_MELANIN_OD = (0.05, 0.08, 0.12)  # 4-10 ΔE00 on light skin, 2-5 on dark: lentigines and freckles
REDNESS_STEPS = (0.0, 1.0, 2.0, 3.0, 4.0)  # µM·cm of haemoglobin added to the whole face


def render(
    reflectance: NDArray[np.float64], camera: str, light: str, seed: int, marks: tuple[Mark, ...] = (), **kwargs: object
) -> MarkedPhoto:
    card = load_card("tm-skin-v1")
    scene = Scene(colour.SDS_ILLUMINANTS[light], card, GRID_NM, reflectance)
    phone = Phone(name=camera, sensitivities=cameras()[camera], tone_curve=("sRGB", "filmic", "gamma_2.2")[seed % 3])
    hairs = kwargs.get("hairs", ())
    return render_marked_photo(scene, phone, SHOT, np.random.default_rng(seed), marks=marks, hairs=hairs)  # type: ignore[arg-type]


def regions() -> list[dict[str, object]]:
    polygons = face_region_polygons(SHOT)
    return [{"name": n, "polygon": polygons[n]} for n in REGIONS]


def measure(photo: MarkedPhoto) -> Measurement:
    return measure_photo(photo.photo.jpeg, regions=regions())


def found_spots(photo: MarkedPhoto) -> dict[str, list[Spot]]:
    """Each region's spots with their places (the measurement's summaries do not carry them)."""
    decoded = decode_photo(photo.photo.jpeg)
    reference, pose = find_card(decoded.BGR, [load_card("tm-skin-v1")])
    calibration = fit(prepare(reference, sample_patches(decoded.BGR, pose), load_virtual_skin()))
    polygons = face_region_polygons(SHOT)
    result = {}
    for name in REGIONS:
        mapped = skin_map(
            decoded.BGR, np.array(polygons[name]), calibration, face_px_per_mm(pose), exclude=card_outline_px(pose)
        )
        result[name] = detect_spots(mapped)
    return result


def ranking(bases: NDArray[np.float64], count: int, rng: np.random.Generator, available: list[str]) -> None:
    shared = shared_data()
    assert shared is not None
    picks = rng.integers(0, len(bases), count)
    melanin, blood = rng.uniform(0.0, 0.5, count), rng.uniform(0.0, 3.0, count)
    own = spectral_content(bases[picks])
    indices = []
    for k in range(count):
        spectrum = add_content(bases[picks[k]], melanin[k], blood[k], shared)
        result = measure(render(spectrum, available[k % len(available)], LIGHTS[k % len(LIGHTS)], seed=k))
        cheeks = [a for a in result.region_analyses if a.in_skin_tone]
        indices.append([np.mean([a.melanin_od for a in cheeks]), np.mean([a.erythema_uM_cm for a in cheeks])])
    measured = np.array(indices)
    print(f"  {count} faces: {len(set(picks))} held-out NIST subjects + melanin 0-0.5 OD, blood 0-3 µM·cm")
    print(f"  {'':>28} {'vs added':>9} {'vs total':>9}")
    for k, (name, added) in enumerate((("melanin index (cheeks)", melanin), ("erythema index (cheeks)", blood))):
        print(f"  {name:>28} {rho(measured[:, k], added):9.3f} {rho(measured[:, k], added + own[:, k]):9.3f}")


def redness_step(bases: NDArray[np.float64], faces: int, rng: np.random.Generator, available: list[str]) -> None:
    shared = shared_data()
    assert shared is not None
    print(f"  {faces} faces per step, each photographed before and after with the same phone and light")
    print(f"  {'blood added':>12} {'Δ index median':>15} {'combined ±95 %':>15} {'called a change':>16}")
    for step in REDNESS_STEPS:
        rises, widths, called = [], [], []
        for k in range(faces):
            base = add_content(bases[int(rng.integers(len(bases)))], float(rng.uniform(0, 0.3)), 0.0, shared)
            camera, light = available[k % len(available)], LIGHTS[k % len(LIGHTS)]
            before, after = (
                measure(render(add_content(base, 0.0, b, shared), camera, light, seed=1000 * k + i))
                for i, b in ((1, 0.0), (2, step))
            )
            first, second = (
                skin_indices_from_Lab(m.Lab_D65, covariance_Lab=m.uncertainty.covariance(m.Lab_D65))
                for m in (before, after)
            )
            difference = change(
                float(first.blood_uM_cm),
                float(first.blood_uM_cm_95),
                float(second.blood_uM_cm),
                float(second.blood_uM_cm_95),
            )
            rises.append(difference.difference)
            widths.append(difference.combined_95)
            called.append(bool(difference.beyond_noise))
        print(
            f"  {step:9.1f} µM {np.median(rises):15.2f} {np.median(widths):15.2f} {np.mean(called):15.0%}"
            + ("  (false alarms)" if step == 0 else "")
        )


def spotless(bases: NDArray[np.float64], available: list[str], lights: tuple[str, ...]) -> None:
    false: dict[str, list[int]] = defaultdict(list)
    evenness: dict[str, list[float]] = defaultdict(list)
    picks = (bases[0], add_content(bases[7], 0.25, 0.5, shared_data()), add_content(bases[20], 0.5, 1.0, shared_data()))  # type: ignore[arg-type]
    for c, camera in enumerate(available):
        for light in lights:
            for s, skin in enumerate(picks):
                result = measure(render(skin, camera, light, seed=100 * c + 10 * s + len(light)))
                for analysis in result.region_analyses:
                    false[f"{camera}|{light}"].append(analysis.spots.count)
                    if analysis.in_skin_tone:
                        evenness[camera].append(analysis.evenness_dE00)
                        evenness[light].append(analysis.evenness_dE00)
    counts = np.concatenate([np.array(v) for v in false.values()])
    print(
        f"  {len(counts)} regions of {len(counts) // 4} spotless photos ({len(available)} cameras × "
        f"{len(lights)} lights × 3 skins, light to dark): false spots in {np.mean(counts > 0):.1%} of regions, "
        f"{counts.sum()} in all"
    )
    print(f"  evenness of spotless cheeks (ΔE00, P90 at 1 mm): {'by camera / light':<40} median   p90")
    for key in [*available, *lights]:
        values = np.array(evenness[key])
        print(f"  {'':>48} {key:<40} {np.median(values):6.2f} {np.percentile(values, 90):5.2f}")
    medians = [np.median(evenness[c]) for c in available]
    print(f"  spread of the cameras' medians: {min(medians):.2f}-{max(medians):.2f} ΔE00")


def spotted(
    bases: NDArray[np.float64], available: list[str], lights: tuple[str, ...], rng: np.random.Generator
) -> None:
    shared = shared_data()
    assert shared is not None
    recall: dict[tuple[float, str], list[bool]] = defaultdict(list)
    wrong, right = 0, 0
    redness_as_spot, hair_as_spot = 0, 0
    for c, camera in enumerate(available):
        for light in lights:
            skin = add_content(bases[int(rng.integers(len(bases)))], float(rng.uniform(0, 0.4)), 0.5, shared)
            marks = tuple(
                Mark(place, float(rng.choice(SPOT_DIAMETERS_MM)), melanin_od=float(rng.choice(SPOT_MELANIN_OD)))
                for place in SPOT_PLACES
            )
            patches = (Mark((-0.48, 0.02), 5.0, blood_uM_cm=2.0), Mark((0.0, -0.6), 5.0, blood_uM_cm=2.0))
            hairs = tuple(Hair((0.2 + 0.04 * k, -0.62), (0.28 + 0.05 * k, -0.42)) for k in range(4))
            photo = render(skin, camera, light, seed=7 * c + len(light), marks=marks + patches, hairs=hairs)
            found = [spot for spots in found_spots(photo).values() for spot in spots]
            matched = set()
            px_per_mm = photo.px_per_mm
            for truth in photo.marks:
                reach = (truth.mark.diameter_mm / 2 + 1.5) * px_per_mm
                near = [i for i, s in enumerate(found) if np.linalg.norm(s.centre_px - truth.centre_px) <= reach]
                if truth.mark.melanin_od > 0:
                    band = "≥ 6" if truth.contrast_dE00 >= 6 else "4-6" if truth.contrast_dE00 >= 4 else "< 4"
                    recall[(truth.mark.diameter_mm, band)].append(bool(near))
                    matched |= set(near)
                elif near:
                    redness_as_spot += 1
            hair_zone = [i for i, s in enumerate(found) if s.centre_px[1] < SHOT.size[1] * (0.48 - 0.42 * 0.34)]
            hair_as_spot += len([i for i in hair_zone if i not in matched])
            right += len(matched)
            wrong += len(found) - len(matched)
    print(
        f"  {len(available) * len(lights)} photos, {len(SPOT_PLACES)} spots each (diameter {SPOT_DIAMETERS_MM} mm, "
        f"melanin +{SPOT_MELANIN_OD} OD), two redness patches (5 mm, +2 µM·cm) and four hairs"
    )
    print(f"  thresholds: contrast ≥ {MIN_SPOT_CONTRAST_DE00} ΔE00, area ≥ {MIN_SPOT_AREA_MM2} mm²")
    print(f"  {'diameter':>10} {'true contrast ΔE00':>19} {'spots':>6} {'recall':>7}")
    for (diameter, band), hits in sorted(recall.items()):
        print(f"  {diameter:7.1f} mm {band:>19} {len(hits):6d} {np.mean(hits):7.0%}")
    total = sum(len(h) for h in recall.values())
    hits = sum(sum(h) for h in recall.values())
    print(
        f"  all: recall {hits / max(total, 1):.0%} ({hits}/{total}); precision {right / max(right + wrong, 1):.0%} "
        f"({wrong} found where no spot is); redness patches counted as spots: {redness_as_spot}; "
        f"spots found among the hairs: {hair_as_spot}"
    )


def repeatability(
    bases: NDArray[np.float64], faces: int, available: list[str], lights: tuple[str, ...], rng: np.random.Generator
) -> None:
    """The same face (spots and all) photographed with every camera and light: each region's evenness and spot
    area vary by this much from photo to photo; their pooled standard deviation × 1.96 is one photo's 95 %
    half-width, which ``color.skin_map`` states (``EVENNESS_95_DE00``, ``SPOT_AREA_SHARE_95``)."""
    shared = shared_data()
    assert shared is not None
    deviations: dict[str, list[float]] = defaultdict(list)
    for face in range(faces):
        skin = add_content(bases[int(rng.integers(len(bases)))], float(rng.uniform(0, 0.4)), 0.5, shared)
        marks = tuple(
            Mark(place, float(rng.choice(SPOT_DIAMETERS_MM)), melanin_od=float(rng.choice(SPOT_MELANIN_OD)))
            for place in SPOT_PLACES[: 2 + 2 * face]
        )
        values: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for c, camera in enumerate(available):
            for light in lights:
                result = measure(render(skin, camera, light, seed=1000 + 31 * face + 7 * c + len(light), marks=marks))
                for analysis in result.region_analyses:
                    values[analysis.name].append((analysis.evenness_dE00, analysis.spots.area_share))
        for per_photo in values.values():
            array = np.array(per_photo)
            deviations["evenness"].extend(array[:, 0] - np.nanmean(array[:, 0]))
            deviations["spot area"].extend(array[:, 1] - array[:, 1].mean())
    photos = len(available) * len(lights)
    print(f"  {faces} faces with 2-{2 * faces} spots, each photographed {photos} times ({len(available)} cameras ×")
    print(f"  {len(lights)} lights); one photo's 95 % half-width (1.96 × pooled SD) and the stated one:")
    evenness = np.array(deviations["evenness"])
    area = np.array(deviations["spot area"])
    print(
        f"    evenness   ±{1.96 * np.nanstd(evenness):.2f} ΔE00 (stated ±{EVENNESS_95_DE00}); "
        f"within the stated: {np.nanmean(np.abs(evenness) <= EVENNESS_95_DE00):.0%} of region photos"
    )
    print(
        f"    spot area  ±{100 * 1.96 * np.std(area):.2f} % of the region (stated ±{100 * SPOT_AREA_SHARE_95:.1f} %); "
        f"within the stated: {np.mean(np.abs(area) <= SPOT_AREA_SHARE_95):.0%} of region photos"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run (about 30 s)")
    parser.add_argument("--seed", type=int, default=12)
    arguments, _ = parser.parse_known_args(argv)
    bases = held_out_spectra()
    if bases is None:
        print("skin maps: skipped, ../shared/data is absent (held-out NIST skin spectra, cameras)")
        return
    available = [c for c in CAMERAS if c in cameras()]
    rng = np.random.default_rng(arguments.seed)
    quick = arguments.quick
    start = time.perf_counter()
    print(
        f"skin maps: renders {SHOT.size[0]}×{SHOT.size[1]}, cameras {', '.join(available)}; lights {', '.join(LIGHTS)}"
    )
    print("1. ranking by the indices, through the camera pipeline")
    ranking(bases, 16 if quick else 48, rng, available)
    print("2. redness step, whole face, the change rule of color.trend")
    redness_step(bases, 4 if quick else 12, rng, available)
    print("3a. spotless faces")
    spotless(bases, available[:3] if quick else available, LIGHTS[:2] if quick else LIGHTS)
    print("3b. faces with spots, redness patches and hairs")
    spotted(bases, available[:3] if quick else available, LIGHTS[:2] if quick else LIGHTS, rng)
    print("4. repeatability of evenness and spot area")
    repeatability(bases, 2 if quick else 4, available[:3] if quick else available, LIGHTS[:2] if quick else LIGHTS, rng)
    print(f"  ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
