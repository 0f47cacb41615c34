"""The ``tonematch`` command line: ``serve`` and ``token``; later ``measure``, ``card``, ``formulate``, ``catalog``."""

from __future__ import annotations

import json
import signal
import sys
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

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
def serve(host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Run the API. Without REDIS_URL, start an embedded Redis with its data under DATA_DIR/redis."""
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
        try:
            app = create_app(settings)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        base = f"http://{settings.host}:{settings.port}"
        click.echo(f"API docs:   {base}/schema  (OpenAPI JSON at {base}/schema/openapi.json)")
        click.echo(f"Readiness:  {base}/readyz")
        click.echo("Get a token: .venv/bin/tonematch token create --role customer --subject cus_demo")
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal into the handler that was
        # installed before it: make that a clean exit so the ExitStack stops the embedded Redis (AOF flushed).
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _exit_cleanly)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on")


def _exit_cleanly(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


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


def main() -> None:
    sys.exit(cli.main(prog_name="tonematch", standalone_mode=True))


if __name__ == "__main__":
    main()
