"""``tonematch lab-staff``: accounts made on the command line sign in to the console."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from api.cli import cli
from tests.api.lab_console.conftest import sign_in


def test_an_account_added_on_the_command_line_signs_in(
    console: TestClient[Litestar], settings_env: Callable[..., None], redis_url: str
) -> None:
    settings_env(REDIS_URL=redis_url)
    added = CliRunner().invoke(cli, ["lab-staff", "add", "lab-bo", "--password-stdin"], input="long enough secret\n")
    assert added.exit_code == 0, added.output
    assert "added lab console account 'lab-bo'" in added.output
    assert sign_in(console, "lab-bo", "long enough secret").status_code == 303
    again = CliRunner().invoke(cli, ["lab-staff", "add", "lab-bo", "--password-stdin"], input="another secret 1\n")
    assert again.exit_code == 1
    assert "exists already" in again.output
    assert CliRunner().invoke(cli, ["lab-staff", "list"]).output.split() == ["lab-bo"]
    removed = CliRunner().invoke(cli, ["lab-staff", "remove", "lab-bo"])
    assert removed.exit_code == 0, removed.output
    assert console.get("/lab/").status_code == 303  # the session ended with the account


def test_the_prompt_asks_twice_and_bad_input_is_refused(settings_env: Callable[..., None], redis_url: str) -> None:
    settings_env(REDIS_URL=redis_url)
    prompted = CliRunner().invoke(cli, ["lab-staff", "add", "lab-cy"], input="a good passphrase\na good passphrase\n")
    assert prompted.exit_code == 0, prompted.output
    assert "Repeat for confirmation" in prompted.output
    short = CliRunner().invoke(cli, ["lab-staff", "add", "lab-di", "--password-stdin"], input="short\n")
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    bad_name = CliRunner().invoke(
        cli, ["lab-staff", "add", "Ana Lab", "--password-stdin"], input="long enough secret\n"
    )
    assert bad_name.exit_code == 1
    assert "a staff name is 1-64 characters" in bad_name.output
