"""How differently a flat card and the cheeks beside it are lit: the geometry behind ``CARD_FACE_LIGHT_SIGMA``.

No colour in one photo tells how brightly the cheek is lit compared with the card: a uniform change of the light
on the face scales its tristimulus values and leaves its chromaticity alone, and across the skin spectra the
benchmarks use, luminance given chromaticity still varies by about 20 % (log standard deviation), more than the
difference to be found. So the difference is carried as an uncertainty, sized here from the geometry of a selfie.

Model (Lambert's cosine law, a directional light plus an even ambient part): the cheeks face the camera turned
outwards by a yaw and a small pitch; the card faces the camera, tilted a little out of its plane in any
direction, as the app asks; the light comes from in front, within an azimuth and elevation range, and a share of
the irradiance is directional. The measured colour averages both cheeks, and a photo whose cheeks differ by more
than ``UNEVEN_CHEEKS`` (log) is one the app flags as unevenly lit, so it is left out. Printed per scenario: the
mean and standard deviation of log(E_cheeks / E_card), its root mean square (what the uncertainty must carry,
since the mean is not corrected) and the 95th percentile of its size.

Usage: ``python -m bench.bench_card_face_light [--samples N] [--seed S]``
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
from numpy.typing import NDArray

from color.measure import CARD_FACE_LIGHT_SIGMA

UNEVEN_CHEEKS = 0.3  # log units: the two cheeks lit more than about 35 % apart
CARD_TILT_MAX_DEG = 15.0
CHEEK_PITCH_DEG = (-10.0, 10.0)
LIGHT_ELEVATION_DEG = (0.0, 45.0)
LIGHT_AZIMUTHS_DEG = (30.0, 60.0)  # ± this, about the camera's axis
CHEEK_YAWS_DEG = ((15.0, 30.0), (25.0, 40.0))
DIRECTIONAL_SHARES = ((0.3, 0.7), (0.5, 0.9))


def _direction(yaw: NDArray[np.float64], pitch: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit vectors (n, 3); +z points at the camera."""
    return np.stack([np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)], axis=-1)


def log_ratios(
    rng: np.random.Generator,
    n: int,
    azimuth_deg: float,
    cheek_yaw_deg: tuple[float, float],
    directional: tuple[float, float],
) -> NDArray[np.float64]:
    """log(E_cheeks / E_card) for ``n`` drawn selfies, evenly lit ones only."""
    light = _direction(
        np.radians(rng.uniform(-azimuth_deg, azimuth_deg, n)), np.radians(rng.uniform(*LIGHT_ELEVATION_DEG, n))
    )
    yaw = np.radians(rng.uniform(*cheek_yaw_deg, n))
    pitch = np.radians(rng.uniform(*CHEEK_PITCH_DEG, n))
    tilt = np.radians(rng.uniform(0.0, CARD_TILT_MAX_DEG, n))
    turn = rng.uniform(0.0, 2 * np.pi, n)
    card = np.stack([np.sin(tilt) * np.cos(turn), np.sin(tilt) * np.sin(turn), np.cos(tilt)], axis=-1)
    share = rng.uniform(*directional, n)

    def irradiance(normal: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(share * np.clip(np.sum(normal * light, axis=-1), 0.0, None) + (1.0 - share))

    left, right, on_card = irradiance(_direction(yaw, pitch)), irradiance(_direction(-yaw, pitch)), irradiance(card)
    even = np.abs(np.log(left / right)) < UNEVEN_CHEEKS
    return np.asarray(np.log((left + right) / 2 / on_card)[even])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2027)
    arguments, _ = parser.parse_known_args(argv)
    rng = np.random.default_rng(arguments.seed)
    print(
        f"card and cheek light: {arguments.samples} selfies per scenario; card tilted ≤ {CARD_TILT_MAX_DEG:.0f}°, "
        f"cheek pitch {CHEEK_PITCH_DEG}°, light elevation {LIGHT_ELEVATION_DEG}°"
    )
    columns = ("light azimuth", 13), ("cheek yaw", 12), ("directional", 11), ("kept", 5), ("mean", 7), ("sd", 6)
    print("  " + " ".join(f"{name:>{width}}" for name, width in columns) + f" {'rms':>6} {'p95|.|':>7}")
    rms_values = []
    for azimuth, yaw, directional in itertools.product(LIGHT_AZIMUTHS_DEG, CHEEK_YAWS_DEG, DIRECTIONAL_SHARES):
        ratios = log_ratios(rng, arguments.samples, azimuth, yaw, directional)
        rms = float(np.sqrt(np.mean(ratios**2)))
        rms_values.append(rms)
        print(
            f"  {f'±{azimuth:.0f}°':>13} {f'{yaw[0]:.0f}-{yaw[1]:.0f}°':>12} "
            f"{f'{directional[0]:.1f}-{directional[1]:.1f}':>11} {len(ratios) / arguments.samples:5.2f} "
            f"{np.mean(ratios):+7.3f} {np.std(ratios):6.3f} {rms:6.3f} {np.percentile(np.abs(ratios), 95):7.3f}"
        )
    print(
        f"  rms over the scenarios: {min(rms_values):.3f} to {max(rms_values):.3f}, "
        f"median {np.median(rms_values):.3f}; "
        f"the measurement assumes {CARD_FACE_LIGHT_SIGMA:.3f} (color.measure.CARD_FACE_LIGHT_SIGMA)"
    )


if __name__ == "__main__":
    main()
