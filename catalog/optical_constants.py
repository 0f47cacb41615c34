"""Complex refractive indices n + ik of cosmetic pigment minerals on a wavelength grid, from published tables.

The tables are the CC0 extract of the refractiveindex.info database (``../shared/data/pigments``, columns
``material,source_dataset,wavelength_nm,n,k``); this module parses the text and never reads files. Each
pigment's index is built from the table by one stated rule, and every rule that is not a plain
interpolation is an approximation, written down here and in the library file:

- **Hematite** (α-Fe2O3, red iron oxide CI 77491): Querry (1985), ordinary and extraordinary rays. A powder
  of randomly oriented uniaxial crystals is given the orientation average (2·o + e)/3 of n and of k, the usual
  approximation for randomly oriented birefringent particles (Bohren & Huffman 1983, §5.7 treat anisotropic
  spheres only approximately too).
- **Magnetite** (Fe3O4, black iron oxide CI 77499): n from Querry (1985); cubic, isotropic. Querry's k
  (0.03-0.14 over 380-730 nm, least in the blue) is not used: it comes from a pressed pellet (like Querry's
  ZnO pellet, whose n of 1.55 is far below the crystal's 2.0) and gives a blue-black masstone (L* 28, b* −21),
  while black iron oxide is an opaque, near-neutral black whose Fe²⁺-Fe³⁺ intervalence absorption is broad
  across the visible. k is set flat at ``MAGNETITE_K`` = 0.5 (an assumed magnitude; the masstone is then
  L* 13.5, a* 0.5, b* 1.5, and hardly changes above k = 0.5): a measured magnetite k should replace it.
- **Zinc oxide** (CI 77947) is left out: the table's ZnO sets are a pressed pellet (Querry: n ≈ 1.55, a
  porous compact, not the crystal's 2.0) and thin films with absorption tails that bulk ZnO has not.
- **Rutile** (TiO2, CI 77891): n from Devore (1951), ordinary and extraordinary rays (orientation average as
  above); Devore's table starts at 430 nm, so the one-term Sellmeier form n² = A + B/(λ² − C) is fitted to
  the tabulated rows and extrapolated to 380 nm (an approximation near the band edge). Devore gives no k.
  k is the measured edge of an anatase film (Jolivet et al. 2023) moved in photon energy so that the film's
  edge (k = 0.003 at 3.41 eV) falls at rutile's band gap, 3.0 eV (Diebold 2003): a shift of 0.40 eV. Below
  410 nm this is an approximation; above it rutile is transparent in every source.
- **Goethite** (α-FeOOH, yellow iron oxide CI 77492): **not in the data**. n is hematite's read at λ·535/480
  (the Fe³⁺ pair-excitation band lies near 480 nm in goethite and near 535 nm in hematite: Sherman & Waite
  1985; Scheinost et al. 1998), scaled so that its 700-1000 nm mean equals goethite's mean principal index,
  2.35 (nα 2.260, nβ 2.393, nγ 2.398; Anthony et al., Handbook of Mineralogy). k is an absorption edge at that
  band, k(λ) = k_edge / (1 + exp((λ − 480 nm)/w)) + k_tail. phys-2026.1 used hematite's own k shifted, which
  makes a brown (masstone L* 31, a* 14, b* 30) where pigment-grade yellow iron oxide is a bright yellow;
  scaling that k down to a masstone of L* 60 still gives only b* 40, because hematite's edge is too gradual.
  The three numbers k_edge = 0.138, w = 25.7 nm and k_tail = 0.0039 are fitted (``catalog.physical_bases``
  grade "yellow", 0.2 µm, σg 1.5, medium 1.47) so that the masstone (R∞ with Saunderson's correction, D65,
  2°) is L* 60, a* 10, b* 50: the middle of the masstone range for pigment-grade yellow iron oxide quoted in
  issue 14 (L* 55-65, b* 45-60), with a* assumed. Those targets are not read from a datasheet here: a
  supplier's measured masstone (or goethite's measured n, k) should replace them.

References:
    Querry, M. R. (1985). Optical constants. Contractor Report CRDC-CR-85034.
    Devore, J. R. (1951). Refractive indices of rutile and sphalerite. J. Opt. Soc. Am. 41, 416-419.
    Jolivet, A. et al. (2023). Structural, optical, and electrical properties of TiO2 thin films deposited by
    ALD. Appl. Surf. Sci. 608, 155214.
    Diebold, U. (2003). The surface science of titanium dioxide. Surf. Sci. Rep. 48, 53-229.
    Sherman, D. M., Waite, T. D. (1985). Electronic spectra of Fe3+ oxides and oxide hydroxides in the near IR
    to near UV. Am. Mineral. 70, 1262-1269.
    Scheinost, A. C., Chavernas, A., Barrón, V., Torrent, J. (1998). Use and limitations of second-derivative
    diffuse reflectance spectroscopy in the visible to near-infrared range to identify and quantify Fe oxide
    minerals in soils. Clays Clay Miner. 46, 528-536.
    Bohren, C. F., Huffman, D. R. (1983). Absorption and Scattering of Light by Small Particles. Wiley.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import curve_fit

HC_EV_NM = 1239.84198  # photon energy (eV) times wavelength (nm)
RUTILE_EDGE_SHIFT_EV = 0.40  # anatase film's edge (3.41 eV) to rutile's band gap (3.0 eV, Diebold 2003)
GOETHITE_EDGE_RATIO = 535.0 / 480.0  # hematite's and goethite's pair-excitation bands (Sherman & Waite 1985)
GOETHITE_MEAN_INDEX = 2.35  # mean of nα 2.260, nβ 2.393, nγ 2.398 (Handbook of Mineralogy)
# Goethite's k: an edge at the pair band, fitted to a masstone of L* 60, a* 10, b* 50 (see the text).
GOETHITE_EDGE_NM = 480.0
GOETHITE_K_EDGE = 0.138
GOETHITE_EDGE_WIDTH_NM = 25.7
GOETHITE_K_TAIL = 0.0039
# Magnetite's k across 380-730 nm (flat; Querry's pellet k of 0.03-0.14 is replaced, see the text).
MAGNETITE_K = 0.5
REQUIRED_COLUMNS = ("material", "source_dataset", "wavelength_nm", "n", "k")


class OpticalConstantsError(ValueError):
    """A table of optical constants that cannot be used: missing columns, datasets or wavelengths."""

    code = "invalid_optical_constants"


@dataclass(frozen=True)
class Dataset:
    wavelengths_nm: NDArray[np.float64]
    n: NDArray[np.float64]
    k: NDArray[np.float64]  # nan where the source gives n only


Table = dict[tuple[str, str], Dataset]


def parse_optical_constants(text: str) -> Table:
    """Datasets by (material, source_dataset) from the CSV text, sorted by wavelength."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise OpticalConstantsError(f"The optical constants table lacks the column(s) {', '.join(missing)}.")
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for line, row in enumerate(reader, start=2):
        try:
            values = (float(row["wavelength_nm"]), float(row["n"]), float(row["k"]) if row["k"] else float("nan"))
        except (TypeError, ValueError) as exc:
            raise OpticalConstantsError(f"Line {line}: wavelength, n and k must be numbers ({exc}).") from exc
        if not (values[0] > 0 and values[1] > 0 and not values[2] < 0):
            raise OpticalConstantsError(f"Line {line}: wavelength and n must be positive and k not negative.")
        rows.setdefault((row["material"], row["source_dataset"]), []).append(values)
    table: Table = {}
    for key, measured in rows.items():
        array = np.array(sorted(measured))
        table[key] = Dataset(array[:, 0], array[:, 1], array[:, 2])
    return table


def _dataset(table: Table, material: str, source: str, wavelengths_nm: NDArray[np.float64]) -> Dataset:
    data = table.get((material, source))
    if data is None:
        raise OpticalConstantsError(f"The optical constants table has no {material} {source} data.")
    if data.wavelengths_nm[0] > wavelengths_nm.min() or data.wavelengths_nm[-1] < wavelengths_nm.max():
        raise OpticalConstantsError(
            f"{material} {source} covers {data.wavelengths_nm[0]:g}-{data.wavelengths_nm[-1]:g} nm, "
            f"not {wavelengths_nm.min():g}-{wavelengths_nm.max():g} nm."
        )
    return data


def _interpolated(
    table: Table, material: str, source: str, wavelengths_nm: NDArray[np.float64]
) -> NDArray[np.complex128]:
    data = _dataset(table, material, source, wavelengths_nm)
    n = np.interp(wavelengths_nm, data.wavelengths_nm, data.n)
    k = np.interp(wavelengths_nm, data.wavelengths_nm, np.nan_to_num(data.k))
    return np.asarray(n + 1j * k, dtype=np.complex128)


def _orientation_average(
    ordinary: NDArray[np.complex128], extraordinary: NDArray[np.complex128]
) -> NDArray[np.complex128]:
    return np.asarray((2.0 * ordinary + extraordinary) / 3.0, dtype=np.complex128)


def hematite_index(table: Table, wavelengths_nm: NDArray[np.float64]) -> NDArray[np.complex128]:
    """α-Fe2O3: Querry (1985), orientation average of the ordinary and extraordinary rays."""
    return _orientation_average(
        _interpolated(table, "Fe2O3", "Querry-o", wavelengths_nm),
        _interpolated(table, "Fe2O3", "Querry-e", wavelengths_nm),
    )


def magnetite_index(table: Table, wavelengths_nm: NDArray[np.float64]) -> NDArray[np.complex128]:
    """Fe3O4: Querry's (1985) n; k flat at ``MAGNETITE_K`` (Querry's pellet k is implausibly small)."""
    n = _interpolated(table, "Fe3O4", "Querry", wavelengths_nm).real
    return np.asarray(n + 1j * MAGNETITE_K, dtype=np.complex128)


def _sellmeier(wavelength_um: NDArray[np.float64], A: float, B: float, C: float) -> NDArray[np.float64]:
    result: NDArray[np.float64] = np.sqrt(A + B / (wavelength_um**2 - C))
    return result


def _devore_n(table: Table, source: str, wavelengths_nm: NDArray[np.float64]) -> NDArray[np.float64]:
    data = table.get(("TiO2", source))
    if data is None or data.wavelengths_nm.size < 4:
        raise OpticalConstantsError(f"The optical constants table has no TiO2 {source} data (rutile n).")
    parameters, _ = curve_fit(_sellmeier, data.wavelengths_nm / 1000.0, data.n, p0=(6.0, 0.3, 0.08), maxfev=20000)
    return _sellmeier(wavelengths_nm / 1000.0, *parameters)


def rutile_index(table: Table, wavelengths_nm: NDArray[np.float64]) -> NDArray[np.complex128]:
    """Rutile: Devore's n (Sellmeier refit, orientation average), k from an anatase film's edge moved 0.40 eV."""
    n = (2.0 * _devore_n(table, "Devore-o", wavelengths_nm) + _devore_n(table, "Devore-e", wavelengths_nm)) / 3.0
    film = table.get(("TiO2", "Jolivet-anatase"))
    if film is None:
        raise OpticalConstantsError("The optical constants table has no TiO2 Jolivet-anatase data (rutile's k).")
    film_energy = HC_EV_NM / film.wavelengths_nm
    energy = HC_EV_NM / wavelengths_nm + RUTILE_EDGE_SHIFT_EV
    order = np.argsort(film_energy)
    k = np.interp(energy, film_energy[order], np.nan_to_num(film.k[order]), right=float(np.nanmax(film.k)))
    return np.asarray(n + 1j * k, dtype=np.complex128)


def goethite_k(wavelengths_nm: NDArray[np.float64]) -> NDArray[np.float64]:
    """Goethite's approximated k: a logistic edge at the pair-excitation band and a flat tail."""
    edge = GOETHITE_K_EDGE / (1.0 + np.exp((wavelengths_nm - GOETHITE_EDGE_NM) / GOETHITE_EDGE_WIDTH_NM))
    result: NDArray[np.float64] = edge + GOETHITE_K_TAIL
    return result


def goethite_index(table: Table, wavelengths_nm: NDArray[np.float64]) -> NDArray[np.complex128]:
    """Goethite, approximated: hematite's n at λ·535/480 scaled to goethite's mean index 2.35; k an edge."""
    shifted = hematite_index(table, wavelengths_nm * GOETHITE_EDGE_RATIO)
    reference = hematite_index(table, np.arange(700.0, 1000.1, 10.0)).real.mean()
    n = shifted.real * GOETHITE_MEAN_INDEX / reference
    return np.asarray(n + 1j * goethite_k(wavelengths_nm), dtype=np.complex128)


MATERIALS: dict[str, Callable[[Table, NDArray[np.float64]], NDArray[np.complex128]]] = {
    "rutile": rutile_index,
    "goethite": goethite_index,
    "hematite": hematite_index,
    "magnetite": magnetite_index,
}


def complex_index(table: Table, material: str, wavelengths_nm: NDArray[np.float64]) -> NDArray[np.complex128]:
    """n + ik of one of ``MATERIALS`` on ``wavelengths_nm`` (vacuum wavelengths, nm)."""
    if material not in MATERIALS:
        raise OpticalConstantsError(f"Unknown pigment material {material!r}; known: {', '.join(MATERIALS)}.")
    return MATERIALS[material](table, np.asarray(wavelengths_nm, dtype=np.float64))
