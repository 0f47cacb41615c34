"""``tonematch lab-staff``: the accounts that sign in to the lab's console (``/lab/``)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import click

from api.cli.common import load_settings

if TYPE_CHECKING:
    from api.lab_console.sessions import LabStaffService

T = TypeVar("T")


@contextmanager
def _redis_url() -> Iterator[str]:
    """``REDIS_URL``, or the embedded Redis of ``tonematch serve`` (the running one's, else started for this)."""
    from infra.redis_server import RedisServer, RedisServerError, answers_ping

    settings = load_settings()
    if settings.redis_url is not None:
        yield settings.redis_url
        return
    server = RedisServer(data_dir=settings.data_dir.resolve() / "redis", binary=settings.redis_server_binary)
    if answers_ping(str(server.socket_path)):
        yield server.url
        return
    try:
        with server:
            yield server.url
    except RedisServerError as exc:
        raise click.ClickException(str(exc)) from exc


def _with_service(call: Callable[[LabStaffService], Awaitable[T]]) -> T:
    import asyncio

    from api.lab_console.sessions import LabStaffService
    from api.storage import Storage
    from api.storage.client import STORAGE_UNAVAILABLE_ERRORS

    settings = load_settings()

    async def run(url: str) -> T:
        storage = Storage.open(settings.model_copy(update={"redis_url": url}))
        try:
            return await call(LabStaffService(storage.lab_staff, session_seconds=settings.lab_session_seconds))
        finally:
            await storage.aclose()

    with _redis_url() as url:
        try:
            return asyncio.run(run(url))
        except STORAGE_UNAVAILABLE_ERRORS as exc:
            raise click.ClickException(f"Redis did not answer ({type(exc).__name__})") from exc


@click.group("lab-staff")
def lab_staff() -> None:
    """Accounts of the lab's console: add, remove, list."""


@lab_staff.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--replace", is_flag=True, help="Set a new password for an existing account (ends its sessions).")
def lab_staff_add(name: str, password_stdin: bool, replace: bool) -> None:
    """Create the console account NAME (letters, digits, '_' or '-'); the password is asked for twice, or read
    from standard input with --password-stdin. At least 12 characters."""
    from api.lab_console.passwords import check_password_rules
    from api.lab_console.sessions import check_staff_name

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_staff_name(name)
        check_password_rules(password)
    except ValueError as exc:
        raise click.ClickException(f"not added: {exc}") from exc
    if not _with_service(lambda service: service.add(name, password, replace=replace)):
        raise click.ClickException(f"not added: {name!r} exists already (give --replace to set a new password)")
    click.echo(f"{'updated' if replace else 'added'} lab console account {name!r}; sign in at /lab/login")


@lab_staff.command("remove")
@click.argument("name")
def lab_staff_remove(name: str) -> None:
    """Delete the console account NAME; its open sessions end at their next request."""
    if not _with_service(lambda service: service.remove(name)):
        raise click.ClickException(f"there is no lab console account {name!r}")
    click.echo(f"removed lab console account {name!r}")


@lab_staff.command("list")
def lab_staff_list() -> None:
    """The console's account names, one a line."""
    for name in _with_service(lambda service: service.names()):
        click.echo(name)
