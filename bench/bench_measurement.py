"""Accuracy and speed of the photo measurement, on physically rendered phone photos.

Accuracy: CIEDE2000 between the measured skin colour and what a spectrophotometer gives (the skin
spectrum under D65, CIE 1931 2°), across cameras, illuminants and skin from light to very dark, beside
two baselines measured on the same photos: no calibration (the photo read as sRGB) and a white balance
on the card's white patch only. Skin is held out from the skin prior: odd-numbered NIST subjects and their
melanin-darkened versions. Also: how often the reported 95 % uncertainty covers the true error.

Speed: the whole measurement of a 12-megapixel JPEG against a plain ``cv2.imdecode`` of the same file.

Usage: ``python -m bench.bench_measurement [--quick] [--no-speed | --speed-only] [--card CARD]``
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from collections import defaultdict
from collections.abc import Callable

import colour
import cv2
import numpy as np

from bench.datasets import GRID_NM, cameras, illuminant, shared_data, skin_set
from color import measure
from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.decode import decode_photo
from color.errors import PhotoError
from color.measure import find_card, measure_photo
from color.packaged_data import load_card
from color.sampling import sample_patches, sRGB_decoding_LUT
from color.simulate import Phone, RenderedPhoto, Scene, Shot, render_photo, skin_truth_Lab
from color.skin import parse_regions, region_pixels
from color.skin_prior import is_training_subject
from color.skin_tone import ITA_class, ITA_from_Lab

CAMERAS = (
    "Nikon 5100 (NPL)",
    "canon eos 5d mark ii",
    "sony ilce-7rm2",
    "nikon d7000",
    "Nokia N900",
    "Canon 600D",
    "Nikon D50",
    "Pentax Q",
    "Olympus E-PL2",
    "mobile phone average (Tominaga 2021)",
)
ILLUMINANTS = ("incandescent (A)", "daylight (D65)", "fluorescent (FL2)", "fluorescent (FL11)", "LED (LED-B3)")
TONE_CURVES = ("sRGB", "filmic", "gamma_2.2")
CARDS = ("tm-skin-v1", "colorchecker-classic-24")


def _baselines(jpeg: bytes, regions: list[dict[str, object]], card_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Skin CIELAB with no calibration (sRGB as shot) and with a white balance on the card's white patch."""
    photo = decode_photo(jpeg)
    parsed = parse_regions(regions, photo.size)
    lut = sRGB_decoding_LUT()
    RGB = np.mean([lut[region_pixels(photo.BGR, r)[0]].mean(axis=0) for r in parsed], axis=0)
    sRGB = colour.RGB_COLOURSPACES["sRGB"]
    as_shot = XYZ_to_Lab_D65(colour.RGB_to_XYZ(RGB, sRGB, apply_cctf_decoding=False))
    card = load_card(card_id)
    _, pose = find_card(photo.BGR, [card])
    samples = sample_patches(photo.BGR, pose)
    white = int(np.argmax(card.XYZ_D65[:, 1]))
    reference_white = colour.XYZ_to_RGB(card.XYZ_D65[white], sRGB, apply_cctf_encoding=False)
    balanced = RGB * reference_white / samples.RGB_linear[white]
    white_only = XYZ_to_Lab_D65(colour.RGB_to_XYZ(balanced, sRGB, apply_cctf_decoding=False))
    return as_shot, white_only


def _summary(values: list[float]) -> str:
    if not values:
        return "      -       -"
    array = np.asarray(values)
    return f"{np.median(array):7.2f} {np.percentile(array, 95):7.2f}"


def accuracy(quick: bool, card_id: str = "tm-skin-v1") -> None:
    card = load_card(card_id)
    all_cameras = cameras()
    camera_names = [c for c in CAMERAS if c in all_cameras]
    held_out = [s for s in skin_set() if not is_training_subject(s.name.split("+")[0])]
    # Draw evenly across ITA classes, so very dark and very light skin are measured as often as the rest.
    by_class: dict[str, list[int]] = defaultdict(list)
    for index, sample in enumerate(held_out):
        by_class[ITA_class(float(ITA_from_Lab(skin_truth_Lab(GRID_NM, sample.reflectance))))].append(index)
    classes = sorted(by_class)
    rng = np.random.default_rng(2026)
    per_case = 2 if quick else 5
    cams = camera_names[:4] if quick else camera_names
    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    coverage: list[bool] = []
    retakes: dict[str, int] = defaultdict(int)
    count = drawn = 0
    started = time.perf_counter()
    for illuminant_name in ILLUMINANTS:
        for camera in cams:
            for _ in range(per_case):
                members = by_class[classes[drawn % len(classes)]]
                drawn += 1
                sample = held_out[members[int(rng.integers(len(members)))]]
                scene = Scene(
                    illuminant=illuminant(illuminant_name),
                    card=card,
                    skin_wavelengths_nm=GRID_NM,
                    skin_reflectance=sample.reflectance,
                )
                phone = Phone(
                    name=camera,
                    sensitivities=all_cameras[camera],
                    tone_curve=str(rng.choice(TONE_CURVES)),
                    awb_error=0.04,
                    jpeg_quality=int(rng.integers(85, 96)),
                )
                shot = Shot(
                    size=(1200, 900),
                    card_width_px=float(rng.uniform(420, 520)),
                    card_centre=(0.73, 0.62) if card.layout.aruco_dictionary else (0.75, 0.6),
                    card_rotation_deg=float(rng.uniform(-25, 25)),
                    card_tilt=float(rng.uniform(0.0, 0.12)),
                )
                photo = render_photo(scene, phone, shot, rng)
                count += 1
                truth = photo.truth_Lab_D65
                skin_class = ITA_class(float(ITA_from_Lab(truth)))
                try:
                    measured = measure_photo(photo.jpeg, regions=photo.regions)
                except PhotoError as error:
                    retakes[error.code] += 1
                    continue
                error_dE00 = float(delta_E00(measured.Lab_D65, truth))
                as_shot, white_only = _baselines(photo.jpeg, photo.regions, card.card_id)
                coverage.append(error_dE00 <= measured.uncertainty_dE00_95)
                for key in ("all", f"camera: {camera}", f"light: {illuminant_name}", f"skin: {skin_class}"):
                    rows[key]["card"].append(error_dE00)
                    rows[key]["as_shot"].append(float(delta_E00(as_shot, truth)))
                    rows[key]["white"].append(float(delta_E00(white_only, truth)))
    elapsed = time.perf_counter() - started
    print(f"accuracy with {card_id}: {count} rendered photos in {elapsed:.0f} s; held-out skin; ΔE00 to the truth")
    print(f"{'group':48s} {'n':>4s}  {card_id[:15]:>15s}  {'no calibration':>15s}  {'white patch':>15s}")
    print(f"{'':48s} {'':>4s}  {'median    p95':>15s}  {'median    p95':>15s}  {'median    p95':>15s}")
    for key in sorted(rows, key=lambda k: (k != "all", k)):
        group = rows[key]
        print(
            f"{key:48s} {len(group['card']):4d}  {_summary(group['card'])}  {_summary(group['as_shot'])}  "
            f"{_summary(group['white'])}"
        )
    if coverage:
        print(f"95 % uncertainty covers the true error in {100 * np.mean(coverage):.1f} % of photos")
    print(f"retakes asked: {dict(retakes) or 'none'}")


def _render_for_speed(size: tuple[int, int], card_width_px: float) -> RenderedPhoto:
    card = load_card("tm-skin-v1")
    sensitivities = colour.MSDS_CAMERA_SENSITIVITIES["Nikon 5100 (NPL)"]
    scene = Scene(colour.SDS_ILLUMINANTS["D65"], card, GRID_NM, skin_set()[0].reflectance)
    shot = Shot(size=size, card_width_px=card_width_px, card_centre=(0.72, 0.62))
    phone = Phone("Nikon 5100 (NPL)", sensitivities, tone_curve="filmic")
    return render_photo(scene, phone, shot, np.random.default_rng(1))


def _median_seconds(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def _time_by_step(data: bytes, regions: list[dict[str, object]], repeats: int) -> dict[str, float]:
    """Seconds per measurement spent in each function ``color.measure`` calls from the other ``color`` modules
    (decoding, finding the card, sampling, the fits, the skin regions...), and in the rest of ``measure_photo``.

    Each such function is wrapped in ``color.measure``'s namespace for the time of the runs: a call between two
    other modules is not seen twice, and a step measure.py adds or renames shows up without changes here.
    """
    steps = {
        name: function
        for name, function in vars(measure).items()
        if inspect.isfunction(function)
        and function.__module__.startswith("color.")
        and function.__module__ != measure.__name__
    }
    spent: dict[str, float] = defaultdict(float)

    def timed(name: str, function: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return wrapper

    try:
        for name, function in steps.items():
            setattr(measure, name, timed(name, function))
        total = repeats * _median_seconds(lambda: measure.measure_photo(data, regions=regions), repeats)
    finally:
        for name, function in steps.items():
            setattr(measure, name, function)
    shares = {name: seconds / repeats for name, seconds in spent.items()}
    shares["(the rest of measure_photo)"] = max(total / repeats - sum(shares.values()), 0.0)
    return shares


def _print_steps(steps: dict[str, float], total_s: float) -> None:
    print("    where the time goes (ms per measurement, steps over 2 % of it):")
    for name, seconds in sorted(steps.items(), key=lambda item: -item[1]):
        if seconds >= 0.02 * total_s:
            print(f"      {name:34s} {1000 * seconds:6.2f}  {100 * seconds / total_s:3.0f} %")


def _interleaved_medians(actions: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median seconds of each action, run in turn ``repeats`` times: a burst of load from another process
    slows all of them, so their ratio holds better than with one action timed after the other."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(repeats):
        for action, spent in zip(actions, times, strict=True):
            started = time.perf_counter()
            action()
            spent.append(time.perf_counter() - started)
    return [float(np.median(spent)) for spent in times]


def _speed_case(label: str, size: tuple[int, int], card_width_px: float, goal: float, repeats: int) -> None:
    photo = _render_for_speed(size, card_width_px)
    data, buffer = photo.jpeg, np.frombuffer(photo.jpeg, dtype=np.uint8)
    reduced = measure_photo(data, regions=photo.regions)  # also warms caches (packaged data, detector)
    decode_s, measure_s = _interleaved_medians(
        [lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR), lambda: measure_photo(data, regions=photo.regions)], repeats
    )
    print(f"  {label} {size[0]}×{size[1]} JPEG of {len(data) / 1e6:.1f} MB")
    print(f"    cv2.imdecode, full resolution   {1000 * decode_s:7.1f} ms")
    ratio = measure_s / decode_s
    print(f"    measure_photo                   {1000 * measure_s:7.1f} ms  {ratio:5.2f}×  (goal ≤ {goal}×)")
    _print_steps(_time_by_step(data, photo.regions, repeats), measure_s)
    if min(size) < 3000:
        return
    full = measure_photo(data, regions=photo.regions, working_long_side=None)
    full_s = _median_seconds(lambda: measure_photo(data, regions=photo.regions, working_long_side=None), 3)
    print(f"    measure_photo, full resolution  {1000 * full_s:7.1f} ms  {full_s / decode_s:5.2f}×")
    errors = [float(delta_E00(r.Lab_D65, photo.truth_Lab_D65)) for r in (reduced, full)]
    difference = float(delta_E00(reduced.Lab_D65, full.Lab_D65))
    print(f"    half-scale and full results differ by {difference:.2f} ΔE00 (errors {errors[0]:.2f}, {errors[1]:.2f})")


def speed(repeats: int = 7) -> None:
    """A whole measurement against a plain ``cv2.imdecode`` of the same JPEG, timed in turn in the same run."""
    print(
        f"speed: median of {repeats} runs (the 2 MP photo 3 × as many), decoding and measuring in turn in one "
        "process; goals: 12 MP ≤ 1.5×, 2 MP ≤ 2× cv2.imdecode"
    )
    _speed_case("12 MP", (4032, 3024), 1300.0, 1.5, repeats)
    _speed_case("2 MP", (1632, 1224), 520.0, 2.0, 3 * repeats)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer cameras and photos")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="the speed part alone (seconds)")
    parser.add_argument("--card", choices=CARDS, default=None, help="one card only")
    arguments = parser.parse_args(argv if argv is not None else [])
    if shared_data() is None:
        print("note: ../shared/data is absent: only colour-science's cameras and ColorChecker skin are used")
    for card_id in [] if arguments.speed_only else [arguments.card] if arguments.card else CARDS:
        accuracy(arguments.quick, card_id)
    if not arguments.no_speed:
        speed()


if __name__ == "__main__":
    main(sys.argv[1:])
