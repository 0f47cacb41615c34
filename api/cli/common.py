"""What every command shares: the settings, read once, with command-line overrides."""

from __future__ import annotations

import click
from pydantic import ValidationError

from api.settings import Settings, get_settings


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
