"""The ``tonematch`` command line: ``serve`` and ``token``; later ``measure``, ``card``, ``formulate``, ``catalog``."""

from __future__ import annotations

import signal
import sys
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import click
from pydantic import ValidationError

from api.settings import Settings, get_settings
from api.tokens import Role, mint_token


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


def main() -> None:
    sys.exit(cli.main(prog_name="tonematch", standalone_mode=True))


if __name__ == "__main__":
    main()
