"""The ``tonematch`` command line: ``serve``, ``worker``, ``token``, ``measure``, ``card``, ``formulate``, ``bases``,
``catalog`` and ``orders``."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from api.settings import Settings, get_settings
from api.tokens import Role, mint_token

if TYPE_CHECKING:
    from color.card import ReferenceCard


def _load_settings(**overrides: object) -> Settings:
    try:
        base = get_settings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid settings in the environment:\n{exc}") from exc
    updates = {key: value for key, value in overrides.items() if value is not None}
    if not updates:
        return base
    try:
        return Settings.model_validate({**base.model_dump(), **updates})
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """tonematch: skin tone measurement and made-to-order foundation."""


@cli.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="TCP port (default 8000).")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None, help="Local state folder.")
@click.option("--worker/--no-worker", default=True, show_default=True, help="Also run a webhook delivery worker.")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="API processes (uvicorn workers). Recipes are bound by the GIL: more processes, more recipes per second.",
)
def serve(host: str | None, port: int | None, data_dir: Path | None, worker: bool, processes: int) -> None:
    """Run the API and a webhook worker. Without REDIS_URL, start an embedded Redis under DATA_DIR/redis."""
    import uvicorn

    from api.app import create_app
    from infra.redis_server import RedisServer, RedisServerError

    settings = _load_settings(host=host, port=port, data_dir=data_dir)
    with ExitStack() as stack:
        if settings.redis_url is None:
            server = RedisServer(data_dir=settings.data_dir.resolve() / "redis", binary=settings.redis_server_binary)
            try:
                stack.enter_context(server)
            except RedisServerError as exc:
                raise click.ClickException(str(exc)) from exc
            settings = settings.model_copy(update={"redis_url": server.url})
            click.echo(f"Embedded Redis (AOF persistence) at {server.url}")
        if worker:
            assert settings.redis_url is not None  # noqa: S101 - set just above when it was missing
            stack.enter_context(_worker_process(settings.redis_url, settings.data_dir))
            click.echo("Webhook worker started (tonematch worker)")
        try:
            app = create_app(settings)
        except (RuntimeError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        base = f"http://{settings.host}:{settings.port}"
        click.echo(f"API docs:   {base}/schema  (OpenAPI JSON at {base}/schema/openapi.json)")
        click.echo(f"Readiness:  {base}/readyz")
        click.echo("Get a token: .venv/bin/tonematch token create --role customer --subject cus_demo")
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal into the handler that was
        # installed before it: make that a clean exit so the ExitStack stops the embedded Redis (AOF flushed).
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _exit_cleanly)
        if processes == 1:
            uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on")
            return
        # Each process builds its own app from the environment: hand it the Redis and data folder chosen here.
        os.environ.update(
            {"REDIS_URL": str(settings.redis_url), "TONEMATCH_DATA_DIR": str(settings.data_dir.resolve())}
        )
        uvicorn.run("api.app:create_app", factory=True, workers=processes, host=settings.host, port=settings.port,
                    log_level=settings.log_level, lifespan="on")  # fmt: skip


def _exit_cleanly(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


@contextmanager
def _worker_process(redis_url: str, data_dir: Path) -> Iterator[None]:
    """``tonematch worker`` as a child process that dies with this one; stopped with SIGTERM on the way out."""
    import subprocess

    from infra.redis_server import die_with_parent

    environment = {**os.environ, "REDIS_URL": redis_url, "TONEMATCH_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "api.cli", "worker"]
    process = subprocess.Popen(command, env=environment, preexec_fn=die_with_parent)  # noqa: PLW1509
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@cli.group()
def orders() -> None:
    """Maintenance of stored orders."""


@orders.command("reseal")
def orders_reseal() -> None:
    """Seal every stored name and address with the current data key (TONEMATCH_DATA_KEY_ID), so that a
    retired key can then be removed from TONEMATCH_DATA_KEYS."""
    import asyncio

    from api.order_store import reseal_all
    from api.redis_client import connect
    from api.sealing import Sealer, SealingError

    settings = _load_settings()
    if settings.redis_url is None:
        raise click.ClickException("REDIS_URL is not set: point it at the service's Redis")
    try:
        sealer = Sealer(*settings.resolved_data_keys())
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc

    async def run() -> tuple[int, int]:
        client = connect(settings)
        try:
            return await reseal_all(client, sealer.reseal)
        finally:
            await client.aclose()

    try:
        resealed, seen = asyncio.run(run())
    except SealingError as exc:
        raise click.ClickException(f"stopped: {exc} (is a key still in use missing from TONEMATCH_DATA_KEYS?)") from exc
    click.echo(f"resealed {resealed} of {seen} orders with data key {sealer.current!r}")


@cli.command()
def worker() -> None:
    """Deliver outbox events (orders ready to ship) to the fulfilment partner until stopped (SIGTERM/SIGINT)."""
    import asyncio

    from api.redis_client import connect
    from api.sealing import Sealer
    from api.webhooks import DeliverySettings, DeliveryWorker

    settings = _load_settings()
    if settings.redis_url is None:
        raise click.ClickException("REDIS_URL is not set: the worker needs the service's Redis")
    try:
        sealer = Sealer(*settings.resolved_data_keys())
        delivery = DeliverySettings(
            url=settings.fulfilment_webhook_url,
            secret=settings.resolved_webhook_secret(inbound=False),
            max_attempts=settings.webhook_max_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            backoff_max_seconds=settings.webhook_backoff_max_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
        )
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        client = connect(settings)
        runner = DeliveryWorker(client, sealer, delivery)
        try:
            await runner.run(stop, settings.worker_poll_seconds)
        finally:
            await runner.aclose()
            await client.aclose()

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(run())


@cli.group()
def token() -> None:
    """Bearer tokens for the API."""


@token.command("create")
@click.option("--role", "role", type=click.Choice([r.value for r in Role]), required=True, help="Role of the caller.")
@click.option("--subject", default=None, help="Customer id (required for --role customer).")
@click.option("--ttl", "ttl_seconds", type=int, default=None, help="Lifetime in seconds (default from settings).")
def token_create(role: str, subject: str | None, ttl_seconds: int | None) -> None:
    """Mint a signed token with the server's secret and print it."""
    settings = _load_settings()
    try:
        value = mint_token(
            secret=settings.resolved_secret_key(),
            issuer=settings.token_issuer,
            role=Role(role),
            subject=subject,
            ttl_seconds=ttl_seconds if ttl_seconds is not None else settings.token_ttl_seconds,
        )
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(value)


@cli.command()
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
    from color.errors import ColorError
    from color.measure import measure_photo

    regions = None
    if regions_file is not None:
        try:
            regions = json.loads(regions_file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{regions_file} is not valid JSON: {exc}") from exc
    settings = _load_settings()
    try:
        result = measure_photo(
            photo.read_bytes(), card=card_reference, regions=regions, face_model=settings.face_model
        ).as_dict()
    except ColorError as exc:
        problem = {"code": exc.code, "detail": exc.detail, "hint": exc.hint}
        if output_format == "json":
            click.echo(json.dumps({"error": problem}, ensure_ascii=False), err=True)
            sys.exit(1)
        raise click.ClickException(f"[{exc.code}] {exc.detail}" + (f"\nHint: {exc.hint}" if exc.hint else "")) from exc
    if output_format == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    lab, tone = result["lab"], result["skin_tone"]
    click.echo(f"L*a*b* (D65, CIE 1931 2°): {lab['L']:.2f} {lab['a']:.2f} {lab['b']:.2f}")
    click.echo(f"uncertainty (95 %): ±{result['uncertainty_dE00']:.2f} ΔE00")
    click.echo(
        f"ITA {tone['ita_deg']:.1f}° ({tone['ita_class']}), hue {tone['hue_deg']:.1f}°, {tone['undertone']} "
        f"undertone, Monk tone {tone['monk_tone']}"
    )
    calibration = result["calibration"]
    click.echo(f"calibration: {calibration['card_id']}, {calibration['model']}")
    for check in result["quality"]:
        click.echo(f"  {'ok ' if check['passed'] else 'BAD'} {check['check']}: {check['value']} ({check['detail']})")


@cli.group()
def card() -> None:
    """Reference cards: print them, and export their definitions."""


def _reference_card(card_id: str) -> ReferenceCard:
    from color.errors import ColorError
    from color.packaged_data import load_card, parse_card_reference

    identifier, batch = parse_card_reference(card_id)
    try:
        return load_card(identifier, batch)
    except ColorError as exc:
        raise click.ClickException(exc.detail) from exc


@card.command("render")
@click.argument("card_id")
@click.option("--dpi", type=click.FloatRange(72, 2400), default=600, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def card_render(card_id: str, dpi: float, output: Path) -> None:
    """Draw the printable card as PNG (or PDF when OUTPUT ends in .pdf), at true size."""
    from color.card_render import encode_card

    reference = _reference_card(card_id)
    image_format = "pdf" if output.suffix.lower() == ".pdf" else "png"
    data = encode_card(reference, dpi, image_format)
    temporary = output.with_name(output.name + ".partial")
    temporary.write_bytes(data)
    temporary.replace(output)  # never leave a half-written card behind
    click.echo(f"wrote {output} ({reference.card_id}, batch {reference.batch}, {dpi:g} dpi)")


@card.command("export")
@click.argument("card_id")
def card_export(card_id: str) -> None:
    """Print the card's full definition as JSON: geometry in mm, markers, and every patch's spectrum."""
    from color.card_export import card_definition

    click.echo(json.dumps(card_definition(_reference_card(card_id)), indent=1))


@cli.command()
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
    from api.libraries import resolve_library
    from catalog.recipe import predict_recipe

    try:
        library = resolve_library(_load_settings(), library_version)
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
    }
    if output_format == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for base in result["bases"]:
        click.echo(f"{base['base']:>8s}  {base['grams']:8.2f} g")
    click.echo(f"{'vehicle':>8s}  {result['vehicle_g']:8.2f} g   (total {size_g:g} g, {coverage} coverage)")
    click.echo(f"ΔE00 to target under D65: {result['delta_E00']:.3f}{'' if recipe.in_gamut else '  (out of gamut)'}")
    click.echo("metamerism (ΔE00 on skin): " + ", ".join(f"{k} {v:.2f}" for k, v in metamerism.items()))


@cli.group()
def bases() -> None:
    """Pigment base libraries."""


@bases.command("export")
@click.argument("version", required=False)
def bases_export(version: str | None) -> None:
    """Print a base library as JSON: wavelengths, K and S per base, Saunderson constants, load limits."""
    from api.libraries import resolve_library

    try:
        click.echo(json.dumps(resolve_library(_load_settings(), version).to_dict(), indent=1))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@bases.command("fit")
@click.argument("drawdowns", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "new_version", required=True, help="Version name of the fitted library.")
@click.option("--template", "template_version", default=None, help="Library giving limits and the white's S.")
def bases_fit(drawdowns: Path, new_version: str, template_version: str | None) -> None:
    """Fit K and S of every base from drawdown spectra (CSV) and store the new library version.

    It is written to DATA_DIR/bases/VERSION.json; set TONEMATCH_BASE_LIBRARY=VERSION to use it.
    """
    from api.libraries import check_version_name, resolve_library, store_library
    from catalog.drawdowns import fit_library, parse_drawdowns

    settings = _load_settings()
    try:
        check_version_name(new_version)
        template = resolve_library(settings, template_version)
        wavelengths, samples = parse_drawdowns(drawdowns.read_text())
        library = fit_library(wavelengths, samples, template.S[template.names.index("white")], template, new_version)
        path = store_library(settings, library)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"stored {path}: {len(library.names)} bases fitted from {len(samples)} drawdowns")


@cli.group()
def catalog() -> None:
    """The shade catalogue of existing products."""


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the whole catalogue instead of adding to it.")
def catalog_import(file: Path, replace: bool) -> None:
    """Import shades from CSV or JSON; each row states its colour space. All rows or none are imported."""
    from dataclasses import asdict

    import redis as redis_sync

    from api.store import import_shades_sync
    from catalog.shades import parse_catalogue
    from infra.redis_server import RedisServer, RedisServerError, _ping

    file_format = "json" if file.suffix.lower() == ".json" else "csv"
    try:
        shades = parse_catalogue(file.read_text(encoding="utf-8"), file_format)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"nothing imported: {exc}") from exc
    settings = _load_settings()
    with ExitStack() as stack:
        url = settings.redis_url
        if url is None:  # the embedded Redis: the running service's, or started just for this import
            server = RedisServer(data_dir=settings.data_dir.resolve() / "redis", binary=settings.redis_server_binary)
            if not _ping(str(server.socket_path)):
                try:
                    stack.enter_context(server)
                except RedisServerError as exc:
                    raise click.ClickException(str(exc)) from exc
            url = server.url
        client = (
            redis_sync.RedisCluster.from_url(url)
            if settings.redis_cluster and settings.redis_url
            else redis_sync.Redis.from_url(url)
        )
        stack.callback(client.close)
        try:
            size = import_shades_sync(client, [asdict(s) for s in shades], replace=replace)
        except redis_sync.RedisError as exc:
            raise click.ClickException(f"nothing imported: Redis failed: {exc}") from exc
    click.echo(f"imported {len(shades)} shades; the catalogue now holds {size}")


def main() -> None:
    sys.exit(cli.main(prog_name="tonematch", standalone_mode=True))


if __name__ == "__main__":
    main()
