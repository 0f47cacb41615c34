"""The command line: token minting, settings errors, and the reference card commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli
from api.settings import get_settings
from api.web.tokens import Role, verify_token
from tests.conftest import TEST_SECRET


def test_token_create_mints_a_verifiable_customer_token(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_SECRET_KEY=TEST_SECRET)
    result = CliRunner().invoke(cli, ["token", "create", "--role", "customer", "--subject", "cus_42"])
    assert result.exit_code == 0, result.output
    principal = verify_token(result.output.strip(), secret=TEST_SECRET, issuer="tonematch")
    assert (principal.role, principal.subject) == (Role.CUSTOMER, "cus_42")


def test_token_create_without_secret_uses_a_kept_development_key(settings_env: Callable[..., None]) -> None:
    settings_env()
    first = CliRunner().invoke(cli, ["token", "create", "--role", "lab"])
    second = CliRunner().invoke(cli, ["token", "create", "--role", "lab"])
    assert first.exit_code == second.exit_code == 0
    key = get_settings().resolved_secret_key()
    for output in (first.output, second.output):
        assert verify_token(output.strip(), secret=key, issuer="tonematch").role is Role.LAB
    key_file = get_settings().data_dir / "secret.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_customer_token_needs_a_subject(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_SECRET_KEY=TEST_SECRET)
    result = CliRunner().invoke(cli, ["token", "create", "--role", "customer"])
    assert result.exit_code != 0
    assert "--subject" in result.output


def test_unknown_role_is_refused(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_SECRET_KEY=TEST_SECRET)
    result = CliRunner().invoke(cli, ["token", "create", "--role", "superuser"])
    assert result.exit_code == 2
    assert "superuser" in result.output


def test_production_without_secret_is_refused(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_ENVIRONMENT="production")
    result = CliRunner().invoke(cli, ["token", "create", "--role", "lab"])
    assert result.exit_code == 1
    assert "TONEMATCH_SECRET_KEY must be set" in result.output


def test_short_secret_is_refused(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_SECRET_KEY="short")
    result = CliRunner().invoke(cli, ["token", "create", "--role", "lab"])
    assert result.exit_code == 1
    assert "at least 32 bytes" in result.output


def test_a_damaged_development_key_is_refused_not_used(settings_env: Callable[..., None]) -> None:
    settings_env()
    key_file = get_settings().data_dir / "secret.key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text("")  # e.g. a crash between creating and writing an older key file
    result = CliRunner().invoke(cli, ["token", "create", "--role", "lab"])
    assert result.exit_code == 1
    assert "no usable key" in result.output
    assert not list(key_file.parent.glob(".secret.key.*"))  # no temporary left behind


def test_worker_needs_redis(settings_env: Callable[..., None]) -> None:
    settings_env()
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


def test_production_refuses_to_run_without_its_keys(settings_env: Callable[..., None]) -> None:
    settings_env(
        TONEMATCH_ENVIRONMENT="production", TONEMATCH_SECRET_KEY=TEST_SECRET, REDIS_URL="redis://127.0.0.1:1/0"
    )
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code != 0
    assert "TONEMATCH_DATA_KEYS must be set in production" in result.output


def test_malformed_data_keys_are_a_clear_error(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_DATA_KEYS='{"k1": "too-short"}', REDIS_URL="redis://127.0.0.1:1/0")
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code != 0
    assert "data key must be" in result.output


def test_a_webhook_url_that_is_not_http_is_refused(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_FULFILMENT_WEBHOOK_URL="ftp://partner.example/hooks", REDIS_URL="redis://127.0.0.1:1/0")
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code != 0
    assert "must be an http:// or https:// URL" in result.output


def test_card_list_shows_every_card_and_batch_with_its_marker_ids() -> None:
    result = CliRunner().invoke(cli, ["card", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:5] == ["card", "batch", "no.", "marker", "ids"]
    tm_skin = next(line for line in lines if line.startswith("tm-skin-v1"))
    assert tm_skin.split()[:7] == ["tm-skin-v1", "nominal", "(default)", "0", "0", "1", "2"]
    assert any(line.startswith("colorchecker-classic-24") for line in lines)
    rows = json.loads(CliRunner().invoke(cli, ["card", "list", "--format", "json"]).output)
    nominal = next(row for row in rows if row["reference"] == "tm-skin-v1@nominal")
    assert nominal["batch_number"] == 0
    assert nominal["marker_ids"] == [0, 1, 2, 3]
    assert nominal["aruco_dictionary"] == "DICT_4X4_250"
    assert set(nominal) >= {"measured_on", "instrument", "source"}


def test_card_render_writes_the_print_shop_pdf(tmp_path: Path) -> None:
    output = tmp_path / "card.pdf"
    result = CliRunner().invoke(cli, ["card", "render", "tm-skin-v1@nominal", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "vector PDF" in result.output
    assert output.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("name", ["card.jpg", "card.JPEG", "card.tiff", "card"])
def test_card_render_refuses_an_unknown_extension(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["card", "render", "tm-skin-v1", "-o", str(tmp_path / name)])
    assert result.exit_code == 2
    assert "unknown extension" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not list(tmp_path.iterdir())


def test_card_render_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["card", "render", "tm-skin-v1", "-o", str(tmp_path / "missing" / "card.pdf")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("card_id", "message"),
    [("tm-skin-v1@b9", "no print batch 'b9'"), ("colorchecker-classic-24", "bought, not printed")],
)
def test_card_render_of_an_unknown_batch_or_a_bought_chart_is_refused(
    tmp_path: Path, card_id: str, message: str
) -> None:
    result = CliRunner().invoke(cli, ["card", "render", card_id, "-o", str(tmp_path / "card.pdf")])
    assert result.exit_code == 1
    assert message in result.output
    assert not list(tmp_path.iterdir())


def test_card_render_that_cannot_write_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", full_disk)
    result = CliRunner().invoke(cli, ["card", "render", "tm-skin-v1", "-o", str(tmp_path / "card.png")])
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert not list(tmp_path.iterdir())


def test_cli_card_render_and_export(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    output = tmp_path / "card.png"
    result = runner.invoke(cli, ["card", "render", "tm-skin-v1", "--dpi", "200", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"\x89PNG")
    assert not list(tmp_path.glob("*.partial"))
    exported = runner.invoke(cli, ["card", "export", "tm-skin-v1"])
    assert json.loads(exported.output)["card_id"] == "tm-skin-v1"
    unknown = runner.invoke(cli, ["card", "export", "tm-skin-v9"])
    assert unknown.exit_code == 1
    assert "Unknown card" in unknown.output
