"""`tonematch measure`: JSON and text output, and clear failures with a non-zero exit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from api.cli import cli
from color.packaged_data import load_card
from tests.color.conftest import render


def _files(tmp_path: Path) -> tuple[Path, Path]:
    photo = render(load_card("tm-skin-v1"))
    image, regions = tmp_path / "face.jpg", tmp_path / "regions.json"
    image.write_bytes(photo.jpeg)
    regions.write_text(json.dumps(photo.regions))
    return image, regions


def test_measure_prints_json(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    image, regions = _files(tmp_path)
    result = CliRunner().invoke(cli, ["measure", str(image), "--regions", str(regions), "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body["lab"]) == {"L", "a", "b"}
    assert body["colour_space"]["white_point"] == "D65"
    assert body["calibration"]["card_id"] == "tm-skin-v1"


def test_measure_prints_text(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    image, regions = _files(tmp_path)
    result = CliRunner().invoke(cli, ["measure", str(image), "--regions", str(regions)])
    assert result.exit_code == 0, result.output
    assert "L*a*b* (D65, CIE 1931 2°)" in result.output
    assert "uncertainty (95 %)" in result.output
    assert "each on its own: L* ±" in result.output
    cheeks = [line for line in result.output.splitlines() if line.strip().startswith(("left_cheek:", "right_cheek:"))]
    assert len(cheeks) == 2  # each region's metrics, as the JSON has them
    assert all("ITA" in line and "melanin" in line and "unevenness" in line and "spots" in line for line in cheeks)
    assert "right - left cheek:" in result.output


def test_measure_failure_is_a_problem_and_a_non_zero_exit(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    not_a_photo = tmp_path / "notes.txt"
    not_a_photo.write_text("hello")
    result = CliRunner().invoke(cli, ["measure", str(not_a_photo), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stderr)["error"]["code"] == "unsupported_image"
    text = CliRunner().invoke(cli, ["measure", str(not_a_photo)])
    assert text.exit_code == 1
    assert "[unsupported_image]" in text.output


def test_measure_with_bad_regions_file(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    image, regions = _files(tmp_path)
    regions.write_text("{not json")
    result = CliRunner().invoke(cli, ["measure", str(image), "--regions", str(regions)])
    assert result.exit_code == 1
    assert "not valid JSON" in result.output
    missing = CliRunner().invoke(cli, ["measure", str(tmp_path / "missing.jpg")])
    assert missing.exit_code == 2
