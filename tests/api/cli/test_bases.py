"""`tonematch bases fit/export` and `formulate --library`: fitted libraries stored by version, bad ones refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli
from api.settings import get_settings
from tests.catalog.test_bases_and_drawdowns import LIBRARY, drawdown_csv


def test_cli_bases_fit_stores_a_version_the_service_can_use(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    source = tmp_path / "drawdowns.csv"
    source.write_text(drawdown_csv(LIBRARY))
    result = CliRunner().invoke(cli, ["bases", "fit", str(source), "--version", "lab-2026.2"])
    assert result.exit_code == 0, result.output
    stored = get_settings().data_dir / "bases" / "lab-2026.2.json"
    assert json.loads(stored.read_text())["version"] == "lab-2026.2"
    again = CliRunner().invoke(cli, ["bases", "fit", str(source), "--version", "lab-2026.2"])
    assert again.exit_code == 1
    assert "never overwritten" in again.output
    exported = json.loads(CliRunner().invoke(cli, ["bases", "export", "lab-2026.2"]).output)
    assert exported["version"] == "lab-2026.2"
    formulated = CliRunner().invoke(
        cli, ["formulate", "--lab", "55", "12", "17", "--library", "lab-2026.2", "--format", "json"]
    )
    assert json.loads(formulated.output)["library_version"] == "lab-2026.2"


@pytest.mark.parametrize(
    "arguments",
    [
        ["bases", "fit", "{source}", "--version", "bad version!"],
        ["bases", "fit", "{source}", "--version", "demo-2026.1"],
        ["bases", "export", "nope"],
        ["formulate", "--lab", "55", "12", "17", "--library", "nope"],
        ["formulate", "--lab", "nan", "12", "17"],
    ],
)
def test_cli_refuses_bad_library_requests(
    tmp_path: Path, settings_env: Callable[..., None], arguments: list[str]
) -> None:
    settings_env()
    source = tmp_path / "drawdowns.csv"
    source.write_text(drawdown_csv(LIBRARY))
    result = CliRunner().invoke(cli, [a.replace("{source}", str(source)) for a in arguments])
    assert result.exit_code == 1, result.output
    assert not list((tmp_path / "var" / "bases").glob("*.json"))  # nothing stored (glob of a missing dir is empty)


def test_cli_bad_drawdowns_store_nothing(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    source = tmp_path / "drawdowns.csv"
    source.write_text("not,a,drawdown\n1,2,3")
    result = CliRunner().invoke(cli, ["bases", "fit", str(source), "--version", "x"])
    assert result.exit_code == 1
    assert not (get_settings().data_dir / "bases").exists()
