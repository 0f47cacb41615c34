"""What every command shares: the settings, read once, with command-line overrides, and a measurement service
over the service's Redis for the commands that read a customer's measurements."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
from pydantic import ValidationError

from api.settings import Settings, get_settings

if TYPE_CHECKING:
    from api.measurements.service import MeasurementService

T = TypeVar("T")


def load_settings(**overrides: object) -> Settings:
    """The environment's settings with the options given on the command line; a clear error if invalid."""
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


def with_measurements(call: Callable[[MeasurementService], Awaitable[T]], *, failing: str = "") -> T:
    """Open the service's storage (``REDIS_URL``), run ``call`` on a measurement service over it, and close it; an
    API error (an unknown id) or Redis away is a message, prefixed with ``failing``, and exit status 1."""
    import anyio

    from api.errors import ApiError
    from api.measurements.service import MeasurementService
    from api.storage import Storage
    from api.storage.client import STORAGE_UNAVAILABLE_ERRORS

    settings = load_settings()
    if settings.redis_url is None:
        raise click.ClickException("REDIS_URL is not set: point it at the service's Redis")

    async def run() -> T:
        storage = Storage.open(settings)
        try:
            service = MeasurementService(
                storage.measurements,
                limiter=anyio.CapacityLimiter(1),
                face_model=None,
                privacy_notices=tuple(settings.privacy_notice_versions),
                formulation_records=storage.formulations,
            )
            return await call(service)
        finally:
            await storage.aclose()

    try:
        return asyncio.run(run())
    except ApiError as exc:
        hint = f"\nHint: {exc.hint}" if exc.hint else ""
        raise click.ClickException(f"{failing}{exc.detail}{hint}") from exc
    except STORAGE_UNAVAILABLE_ERRORS as exc:
        raise click.ClickException(f"{failing}Redis at REDIS_URL did not answer ({type(exc).__name__})") from exc


def write_whole(output: Path, data: bytes | str) -> None:
    """Write ``data`` to ``output`` whole or not at all: into ``<output>.partial`` first, then renamed over it, so a
    failed write never leaves a half-written file under the name asked for. A missing folder or a write that fails
    is a clear error (exit status 1), not a traceback."""
    if not output.parent.is_dir():
        raise click.BadParameter(f"the folder {str(output.parent)!r} does not exist.", param_hint="'-o' / '--output'")
    temporary = output.with_name(output.name + ".partial")
    try:
        if isinstance(data, str):
            temporary.write_text(data, encoding="utf-8")
        else:
            temporary.write_bytes(data)
        temporary.replace(output)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror or exc}.") from exc
    finally:
        temporary.unlink(missing_ok=True)
