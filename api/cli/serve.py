"""``tonematch serve`` (the API, an embedded Redis when none is configured, and a webhook worker) and
``tonematch worker``."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from api.cli.common import load_settings

# uvicorn's records go through the app's JSON logging (``api.web.observability``); its access log is off, since
# the app logs each request itself, by route template and without the query string.
UVICORN_LOGGING: dict[str, Any] = {"log_config": None, "access_log": False}


@click.command()
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
    from infra.redis_supervisor import RedisSupervisor

    settings = load_settings(host=host, port=port, data_dir=data_dir)
    with ExitStack() as stack:
        if settings.redis_url is None:
            server = RedisServer(data_dir=settings.data_dir.resolve() / "redis", binary=settings.redis_server_binary)
            logging.basicConfig(
                level=settings.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
            )
            try:
                stack.enter_context(RedisSupervisor(server))
            except RedisServerError as exc:
                raise click.ClickException(str(exc)) from exc
            settings = settings.model_copy(update={"redis_url": server.url})
            click.echo(f"Embedded Redis (AOF persistence, restarted if it dies) at {server.url}")
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
            uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on",
                        timeout_keep_alive=int(settings.keep_alive_timeout_seconds), **UVICORN_LOGGING)  # fmt: skip
            return
        # Each process builds its own app from the environment: hand it the Redis and data folder chosen here.
        os.environ.update(
            {"REDIS_URL": str(settings.redis_url), "TONEMATCH_DATA_DIR": str(settings.data_dir.resolve())}
        )
        uvicorn.run("api.app:create_app", factory=True, workers=processes, host=settings.host, port=settings.port,
                    log_level=settings.log_level, lifespan="on",
                    timeout_keep_alive=int(settings.keep_alive_timeout_seconds), **UVICORN_LOGGING)  # fmt: skip


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


@click.command()
def worker() -> None:
    """Deliver outbox events (orders ready to ship) to the fulfilment partner until stopped (SIGTERM/SIGINT)."""
    import asyncio

    from api.fulfilment.worker import DeliverySettings, DeliveryWorker
    from api.sealing import Sealer
    from api.storage import Storage
    from api.web.observability import configure_logging

    settings = load_settings()
    if settings.redis_url is None:
        raise click.ClickException("REDIS_URL is not set: the worker needs the service's Redis")
    try:
        sealer = Sealer.from_encoded(*settings.resolved_data_keys())
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
        storage = Storage.open(settings)
        runner = DeliveryWorker(storage, sealer, delivery)
        try:
            await runner.run(stop, settings.worker_poll_seconds)
        finally:
            await runner.aclose()
            await storage.aclose()

    configure_logging(settings.log_level, json_lines=settings.log_format == "json")
    logging.getLogger("tonematch.worker").info(
        "worker started: delivering to %s", "the fulfilment partner" if delivery.url else "nowhere (no URL set)"
    )
    asyncio.run(run())
