"""Colour science from the command line: measure a photo, print a card, formulate a recipe, fit base libraries."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from api.cli.common import load_settings, write_whole

if TYPE_CHECKING:
    from api.storage.libraries import LibraryStore
    from catalog.bases import BaseLibrary
    from color.card import ReferenceCard


@click.command()
@click.argument("photo", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--card", "card_reference", default=None, help="Card id, optionally id@batch (default: recognised).")
@click.option(
    "--regions",
    "regions_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='JSON list of {"name", "polygon": [[x, y], ...]} in pixels of the upright photo.',
)
@click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="text", show_default=True)
def measure(photo: Path, card_reference: str | None, regions_file: Path | None, output_format: str) -> None:
    """Measure skin colour (CIELAB D65, 2°) from PHOTO of a face next to the reference card."""
    from api.measurements.service import photo_result
    from color.errors import ColorError
    from color.measure import measure_photo

    regions = None
    if regions_file is not None:
        try:
            regions = json.loads(regions_file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{regions_file} is not valid JSON: {exc}") from exc
    settings = load_settings()
    try:
        measured = measure_photo(
            photo.read_bytes(), card=card_reference, regions=regions, face_model=settings.face_model
        )
    except ColorError as exc:
        problem = {"code": exc.code, "detail": exc.detail, "hint": exc.hint}
        if output_format == "json":
            click.echo(json.dumps({"error": problem}, ensure_ascii=False), err=True)
            sys.exit(1)
        raise click.ClickException(f"[{exc.code}] {exc.detail}" + (f"\nHint: {exc.hint}" if exc.hint else "")) from exc
    result = photo_result(measured).model_dump(mode="json")
    if output_format == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    lab, tone = result["lab"], result["skin_tone"]
    click.echo(f"L*a*b* (D65, CIE 1931 2°): {lab['L']:.2f} {lab['a']:.2f} {lab['b']:.2f}")
    widths = result["lab_95"]
    click.echo(
        f"uncertainty (95 %): ±{result['uncertainty_dE00']:.2f} ΔE00; each on its own: L* ±{widths['L']:.2f}, "
        f"a* ±{widths['a']:.2f}, b* ±{widths['b']:.2f}, ITA ±{widths['ita_deg']:.1f}°"
    )
    click.echo(
        f"ITA {tone['ita_deg']:.1f}° ({tone['ita_class']}), hue {tone['hue_deg']:.1f}°, {tone['undertone']} "
        f"undertone, Monk tone {tone['monk_tone']}"
    )
    calibration = result["calibration"]
    click.echo(f"calibration: {calibration['card_id']}, {calibration['model']}")
    for check in result["quality"]:
        click.echo(f"  {'ok ' if check['passed'] else 'BAD'} {check['check']}: {check['value']} ({check['detail']})")
    from api.cli.skin import region_lines

    for line in region_lines(result):
        click.echo(line)


@click.group()
def card() -> None:
    """Reference cards: list them with their print batches, print them, and export their definitions."""


def _reference_card(card_id: str) -> ReferenceCard:
    from color.errors import ColorError
    from color.packaged_data import load_card, parse_card_reference

    identifier, batch = parse_card_reference(card_id)
    try:
        return load_card(identifier, batch)
    except ColorError as exc:
        raise click.ClickException(exc.detail) from exc


@card.command("list")
@click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="text", show_default=True)
def card_list(output_format: str) -> None:
    """Every packaged card and its print batches: batch number, printed marker ids, when and how measured."""
    from color.card_identity import printed_marker_ids
    from color.packaged_data import available_cards, card_batches, load_layout

    rows: list[dict[str, Any]] = []
    for card_id in available_cards():
        layout = load_layout(card_id)
        for summary in card_batches(card_id):
            number = summary.batch_number
            rows.append(
                {
                    "card_id": card_id,
                    "batch": summary.batch,
                    "reference": summary.reference,
                    "default": summary.batch == layout.default_batch,
                    "batch_number": number,
                    "aruco_dictionary": layout.aruco_dictionary,
                    "marker_ids": list(printed_marker_ids(layout, number)) if number is not None else [],
                    "measured_on": summary.measured_on,
                    "instrument": summary.instrument,
                    "geometry": summary.geometry,
                    "source": summary.source,
                }
            )
    if output_format == "json":
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    header = ("card", "batch", "no.", "marker ids", "measured", "instrument", "source")
    table = [
        (
            row["card_id"],
            row["batch"] + (" (default)" if row["default"] else ""),
            "-" if row["batch_number"] is None else str(row["batch_number"]),
            " ".join(map(str, row["marker_ids"])) or "-",
            row["measured_on"] or "-",
            row["instrument"] or "-",
            row["source"],
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *table)) for i in range(len(header) - 1)]
    for line in (header, *table):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1])


# A print shop gets the vector PDF; a PNG is a lossless proof. JPEG (or any other format) would alter colours.
CARD_OUTPUT_FORMATS = {".pdf": "pdf", ".png": "png"}


@card.command("render")
@click.argument("card_id")
@click.option("--dpi", type=click.FloatRange(72, 2400), default=600, show_default=True, help="Resolution of a PNG.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="card.pdf: vector, for the print shop; card.png: a proof.",
)
def card_render(card_id: str, dpi: float, output: Path) -> None:
    """Draw the card at true size: a print shop's PDF or a PNG proof, by OUTPUT's extension.

    The PDF is vector, with 3 mm bleed, crop marks, a 50 mm scale bar, "print at 100 %", the card id and
    batch, and a second page of every patch's CIELAB (D65, 2°). CARD_ID is a card id or card_id@batch.
    """
    from color.card_render import encode_card

    image_format = CARD_OUTPUT_FORMATS.get(output.suffix.lower())
    if image_format is None:
        raise click.BadParameter(
            f"{output.name!r} has an unknown extension; use .pdf (vector, for the print shop) or .png (a proof). "
            "JPEG is refused: it would alter the colours.",
            param_hint="'-o' / '--output'",
        )
    if not output.parent.is_dir():
        raise click.BadParameter(f"the folder {str(output.parent)!r} does not exist.", param_hint="'-o' / '--output'")
    reference = _reference_card(card_id)
    try:
        data = encode_card(reference, dpi, image_format)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    write_whole(output, data)  # never leave a half-written card behind
    what = "vector PDF for the print shop" if image_format == "pdf" else f"{dpi:g} dpi PNG proof"
    click.echo(f"wrote {output} ({reference.reference}, print batch {reference.batch_number}, {what})")


@card.command("export")
@click.argument("card_id")
def card_export(card_id: str) -> None:
    """Print the card's full definition as JSON: geometry in mm, markers, and every patch's spectrum."""
    from color.card_export import card_definition

    click.echo(json.dumps(card_definition(_reference_card(card_id)), indent=1))


@click.command()
@click.option("--lab", "Lab", nargs=3, type=float, required=True, metavar="L A B", help="Target CIELAB (D65, 2°).")
@click.option("--coverage", type=click.Choice(["sheer", "medium", "full"]), default="medium", show_default=True)
@click.option("--size-g", type=float, default=30.0, show_default=True, help="Bottle size in grams.")
@click.option("--resolution-g", type=float, default=0.01, show_default=True, help="Dispenser resolution.")
@click.option("--library", "library_version", default=None, help="Base library version (default: shipped).")
@click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="text", show_default=True)
def formulate(  # noqa: PLR0917 - click passes each option by position
    Lab: tuple[float, float, float],
    coverage: str,
    size_g: float,
    resolution_g: float,
    library_version: str | None,
    output_format: str,
) -> None:
    """A custom-blend recipe for a skin colour: grams of each base for the bottle size."""
    from catalog.recipe import predict_recipe

    try:
        library = _libraries().resolve(library_version)
        recipe = predict_recipe(library, Lab, coverage=coverage, size_g=size_g, resolution_g=resolution_g)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    metamerism = {k: round(v, 3) for k, v in recipe.metamerism_dE00.items()}
    result: dict[str, Any] = {
        "library_version": recipe.library_version,
        "coverage": recipe.coverage,
        "size_g": recipe.size_g,
        "bases": [
            {"base": name, "grams": round(float(grams), 4), "fraction": round(float(grams) / recipe.size_g, 6)}
            for name, grams in zip(recipe.base_names, recipe.grams, strict=True)
        ],
        "vehicle_g": round(recipe.vehicle_g, 4),
        "target_lab": dict(zip("Lab", (round(float(v), 3) for v in recipe.target_Lab_D65), strict=True)),
        "predicted_lab": dict(zip("Lab", (round(float(v), 3) for v in recipe.predicted_Lab_D65), strict=True)),
        "colour_space": {"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"},
        "delta_E00": round(recipe.delta_E00, 3),
        "metamerism_dE00": metamerism,
        "in_gamut": recipe.in_gamut,
        "out_of_gamut": None if recipe.gap is None else recipe.gap.to_dict(),
    }
    if output_format == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for base in result["bases"]:
        click.echo(f"{base['base']:>8s}  {base['grams']:8.2f} g")
    click.echo(f"{'vehicle':>8s}  {result['vehicle_g']:8.2f} g   (total {size_g:g} g, {coverage} coverage)")
    click.echo(f"ΔE00 to target under D65: {result['delta_E00']:.3f}{'' if recipe.in_gamut else '  (out of gamut)'}")
    click.echo("metamerism (ΔE00 on skin): " + ", ".join(f"{k} {v:.2f}" for k, v in metamerism.items()))
    if recipe.gap is not None:
        click.echo(recipe.gap.describe())


def _libraries() -> LibraryStore:
    from api.storage.libraries import LibraryStore

    settings = load_settings()
    return LibraryStore(settings.data_dir, settings.base_library)


@click.group()
def bases() -> None:
    """Pigment base libraries."""


@bases.command("export")
@click.argument("version", required=False)
def bases_export(version: str | None) -> None:
    """Print a base library as JSON: wavelengths, K and S per base, Saunderson constants, load limits."""
    try:
        click.echo(json.dumps(_libraries().resolve(version).to_dict(), indent=1))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@bases.command("fit")
@click.argument("drawdowns", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "new_version", required=True, help="Version name of the fitted library.")
@click.option("--template", "template_version", default=None, help="Library giving limits and the white's S.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the fitted library's JSON to this file (for review or version control).",
)
@click.option("--force", is_flag=True, help="Store a fit whose residuals are beyond the limit (not advised).")
def bases_fit(
    drawdowns: Path, new_version: str, template_version: str | None, output: Path | None, force: bool
) -> None:
    """Fit K and S of every base from drawdown spectra (CSV) and store the new library version.

    DRAWDOWNS has the header base,base_fraction,white_fraction,wavelength_nm,reflectance: one row per drawdown
    and wavelength, on the template library's wavelength grid (catalog/examples/drawdowns-example.csv). Prints,
    per base, how far the fitted library's drawdowns are from the measured ones (CIEDE2000, D65) and refuses a fit
    whose worst drawdown misses by more than the limit unless --force. The library is written to
    DATA_DIR/bases/VERSION.json; set TONEMATCH_BASE_LIBRARY=VERSION to use it.
    """
    from api.storage.libraries import check_version_name
    from catalog.drawdowns import MAX_FIT_RESIDUAL_DE00, fit_library, fit_residuals, parse_drawdowns

    if output is not None and not output.parent.is_dir():
        raise click.BadParameter(f"the folder {str(output.parent)!r} does not exist.", param_hint="'-o' / '--output'")
    libraries = _libraries()
    try:
        check_version_name(new_version)
        template = libraries.resolve(template_version)
        wavelengths, samples = parse_drawdowns(drawdowns.read_text())
        library = fit_library(wavelengths, samples, template.S[template.names.index("white")], template, new_version)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{drawdowns}: {exc}") from exc
    residuals = fit_residuals(library, samples)
    click.echo("fit residuals, CIEDE2000 (D65) of the fitted drawdowns against the measured:")
    click.echo(f"  {'base':<12s} {'drawdowns':>9s} {'mean':>7s} {'max':>7s}  worst at line")
    for row in residuals:
        flag = "  TOO LARGE" if row.max_dE00 > MAX_FIT_RESIDUAL_DE00 else ""
        click.echo(
            f"  {row.base:<12s} {row.drawdowns:>9d} {row.mean_dE00:>7.3f} {row.max_dE00:>7.3f}  {row.worst_line}{flag}"
        )
    worst = max(residuals, key=lambda row: row.max_dE00)
    if worst.max_dE00 > MAX_FIT_RESIDUAL_DE00:
        message = (
            f"the fitted library misses the drawdowns of {worst.base!r} by up to ΔE00 {worst.max_dE00:.2f} (line "
            f"{worst.worst_line}); the limit is {MAX_FIT_RESIDUAL_DE00:g}, half the batch QC tolerance. Check that "
            "drawdown's fractions and that the film hides the substrate."
        )
        if not force:
            raise click.ClickException(f"Not stored: {message} --force stores it anyway.")
        click.echo(f"Warning: {message} Stored anyway (--force).", err=True)
        # the stored library says so itself: whoever selects it later sees that its fit was over the limit
        library = dataclasses.replace(library, description=f"{library.description} Stored with --force: {message}")
    _store_fitted(libraries, library, output)
    click.echo(f"{len(library.names)} bases fitted from {len(samples)} drawdowns")


@bases.command("build")
@click.option(
    "--constants",
    "constants_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV of optical constants: material,source_dataset,wavelength_nm,n,k (../shared/data/pigments).",
)
@click.option(
    "--version", "new_version", default=None, help="Library version (default: catalog.physical_bases.VERSION)."
)
@click.option("--medium-index", type=click.FloatRange(1.3, 1.7), default=None, help="Vehicle's refractive index.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write the library's JSON here (catalog/data/bases/VERSION.json to ship it).",
)
def bases_build(constants_file: Path, new_version: str | None, medium_index: float | None, output: Path) -> None:
    """Compute the physical base library from published optical constants (Mie theory, Kubelka-Munk).

    Sources, particle sizes, the medium's index, every approximation and each colourant's limits and regulatory
    status are written into the library's metadata (catalog/physical_bases.py).
    """
    from api.storage.libraries import check_version_name
    from catalog.physical_bases import N_MEDIUM, VERSION, physical_library

    if not constants_file.is_file():
        raise click.ClickException(f"{constants_file}: no such file (the optical constants CSV).")
    if not output.parent.is_dir():
        raise click.BadParameter(f"the folder {str(output.parent)!r} does not exist.", param_hint="'-o' / '--output'")
    try:
        version = check_version_name(new_version or VERSION)
        library = physical_library(constants_file.read_text(), version=version, n_medium=medium_index or N_MEDIUM)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{constants_file}: {exc}") from exc
    write_whole(output, json.dumps(library.to_dict(), indent=1, ensure_ascii=False) + "\n")
    click.echo(f"wrote {output} ({library.version}: {len(library.names)} bases, {', '.join(library.names)})")


def _store_fitted(libraries: LibraryStore, library: BaseLibrary, output: Path | None) -> None:
    """Store the library under its version and, with ``output``, write the same JSON there; never half-written."""
    document = json.dumps(library.to_dict(), indent=1) + "\n"
    temporary = output.with_name(output.name + ".partial") if output is not None else None
    try:
        if temporary is not None:
            temporary.write_text(document)
        path = libraries.store(library)
        click.echo(f"stored {path}")
        if temporary is not None and output is not None:
            temporary.replace(output)
            click.echo(f"wrote {output}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"Cannot write {exc.filename or output}: {exc.strerror or exc}.") from exc
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
