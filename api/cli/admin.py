"""Operator commands: bearer tokens, and re-sealing stored addresses after a key rotation."""

from __future__ import annotations

import click

from api.cli.common import load_settings
from api.web.tokens import Role, mint_token


@click.group()
def token() -> None:
    """Bearer tokens for the API."""


@token.command("create")
@click.option("--role", "role", type=click.Choice([r.value for r in Role]), required=True, help="Role of the caller.")
@click.option("--subject", default=None, help="Customer id (required for --role customer).")
@click.option("--ttl", "ttl_seconds", type=int, default=None, help="Lifetime in seconds (default from settings).")
def token_create(role: str, subject: str | None, ttl_seconds: int | None) -> None:
    """Mint a signed token with the server's secret and print it."""
    settings = load_settings()
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


@click.group()
def orders() -> None:
    """Maintenance of stored orders."""


@orders.command("reseal")
@click.option(
    "--force", is_flag=True, help="Reseal even when the running service has not said which data keys it holds."
)
def orders_reseal(force: bool) -> None:
    """Seal every stored name and address with the current data key (TONEMATCH_DATA_KEY_ID), so that a
    retired key can then be removed from TONEMATCH_DATA_KEYS. Refused when the running service does not hold
    that key (it could not open what is moved to it): give the service the key and restart it first."""
    import asyncio

    from api.orders.states import OrderStatus
    from api.sealing import Sealer, SealingError
    from api.storage import Storage

    settings = load_settings()
    if settings.redis_url is None:
        raise click.ClickException("REDIS_URL is not set: point it at the service's Redis")
    try:
        sealer = Sealer.from_encoded(*settings.resolved_data_keys())
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc

    async def run() -> tuple[int, int]:
        storage = Storage.open(settings)
        try:
            serving = await storage.service_keys.serving()
            if serving is None and not force:
                raise click.ClickException(
                    "no running service has said which data keys it holds (it registers them when it starts); "
                    "start the service with the new key first, or pass --force if you know it holds it"
                )
            if serving is not None and sealer.current not in serving.key_ids:
                raise click.ClickException(
                    f"the service (started {serving.registered_at}) holds data keys {', '.join(serving.key_ids)}, "
                    f"not {sealer.current!r}: it could not open what would be moved to it. Add the key to the "
                    "service's TONEMATCH_DATA_KEYS and restart it, then reseal"
                )
            return await storage.orders.reseal_all([s.value for s in OrderStatus], sealer.reseal)
        finally:
            await storage.aclose()

    try:
        resealed, seen = asyncio.run(run())
    except SealingError as exc:
        raise click.ClickException(f"stopped: {exc} (is a key still in use missing from TONEMATCH_DATA_KEYS?)") from exc
    click.echo(f"resealed {resealed} of {seen} orders with data key {sealer.current!r}")


@token.command("revoke")
@click.argument("value")
def token_revoke(value: str) -> None:
    """Refuse a token from now on, everywhere: its id goes on a deny-list in Redis until it would have expired.
    VALUE is the token itself (checked with the server's secret)."""
    import asyncio
    import time

    from api.errors import ApiError
    from api.storage import Storage
    from api.storage.client import STORAGE_UNAVAILABLE_ERRORS
    from api.web.tokens import verify_token

    settings = load_settings()
    if settings.redis_url is None:
        raise click.ClickException("REDIS_URL is not set: point it at the service's Redis")
    try:
        principal = verify_token(value.strip(), secret=settings.resolved_secret_key(), issuer=settings.token_issuer)
    except ApiError as exc:
        raise click.ClickException(f"not revoked: {exc.detail}") from exc
    seconds_left = principal.expires_at - int(time.time())

    async def run() -> None:
        storage = Storage.open(settings)
        try:
            await storage.revoked_tokens.revoke(principal.token_id, seconds_left=seconds_left)
        finally:
            await storage.aclose()

    try:
        asyncio.run(run())
    except STORAGE_UNAVAILABLE_ERRORS as exc:
        raise click.ClickException(f"not revoked: Redis at REDIS_URL did not answer ({type(exc).__name__})") from exc
    click.echo(
        f"revoked the {principal.role.value} token {principal.token_id} (it would have expired in {seconds_left} s)"
    )
