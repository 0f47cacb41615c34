"""`tonematch bases fit/export` and `formulate --library`: fitted libraries stored by version (and written with
`-o`), their residuals printed, bad drawdowns and poor fits refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import cli
from api.settings import get_settings
from tests.catalog.test_bases_and_drawdowns import EXAMPLE, LIBRARY, drawdown_csv


def test_cli_bases_fit_stores_a_version_the_service_can_use(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    source = tmp_path / "drawdowns.csv"
    source.write_text(drawdown_csv(LIBRARY))
    result = CliRunner().invoke(
        cli, ["bases", "fit", "--template", LIBRARY.version, str(source), "--version", "lab-2026.2"]
    )
    assert result.exit_code == 0, result.output
    stored = get_settings().data_dir / "bases" / "lab-2026.2.json"
    assert json.loads(stored.read_text())["version"] == "lab-2026.2"
    again = CliRunner().invoke(
        cli, ["bases", "fit", "--template", LIBRARY.version, str(source), "--version", "lab-2026.2"]
    )
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
        ["bases", "fit", "--template", LIBRARY.version, "{source}", "--version", "bad version!"],
        ["bases", "fit", "--template", LIBRARY.version, "{source}", "--version", "demo-2026.1"],
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
    result = CliRunner().invoke(cli, ["bases", "fit", "--template", LIBRARY.version, str(source), "--version", "x"])
    assert result.exit_code == 1
    assert not (get_settings().data_dir / "bases").exists()


def _mislabelled(text: str) -> str:
    """A red tint labelled 5 % that holds 20 %: no two-constant fit explains every red drawdown."""
    rows = text.splitlines()
    twenty = {line.split(",")[3]: line.split(",")[4] for line in rows if line.startswith("red,0.2,0.8,")}
    return "\n".join(
        f"red,0.05,0.95,{line.split(',')[3]},{twenty[line.split(',')[3]]}" if line.startswith("red,0.05,") else line
        for line in rows
    )


def test_the_readme_command_fits_the_example_prints_residuals_and_writes_the_output(
    tmp_path: Path, settings_env: Callable[..., None]
) -> None:
    settings_env()
    output = tmp_path / "lab-2026.2.json"
    arguments = [
        "bases",
        "fit",
        "--template",
        LIBRARY.version,
        str(EXAMPLE),
        "--version",
        "lab-2026.2",
        "-o",
        str(output),
    ]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert "fit residuals" in result.output
    for base in LIBRARY.names:
        assert f"  {base} " in result.output
    assert "TOO LARGE" not in result.output
    stored = get_settings().data_dir / "bases" / "lab-2026.2.json"
    assert output.read_text() == stored.read_text()
    assert json.loads(output.read_text())["version"] == "lab-2026.2"
    assert not list(tmp_path.glob("*.partial"))
    again = CliRunner().invoke(cli, [*arguments[:6], "lab-2026.3", "--output", str(tmp_path / "b.json")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "b.json").exists()


def test_a_fit_with_large_residuals_is_refused_unless_forced(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env()
    source = tmp_path / "drawdowns.csv"
    source.write_text(_mislabelled(drawdown_csv(LIBRARY)))
    output = tmp_path / "fitted.json"
    refused = CliRunner().invoke(
        cli, ["bases", "fit", "--template", LIBRARY.version, str(source), "--version", "lab-x", "-o", str(output)]
    )
    assert refused.exit_code == 1
    assert "Not stored" in refused.output
    assert "'red'" in refused.output
    assert "TOO LARGE" in refused.output
    assert not output.exists()
    assert not (get_settings().data_dir / "bases").exists()
    forced = CliRunner().invoke(
        cli, ["bases", "fit", "--template", LIBRARY.version, str(source), "--version", "lab-x", "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert "Stored anyway" in forced.output
    stored = json.loads((get_settings().data_dir / "bases" / "lab-x.json").read_text())
    assert "Stored with --force: the fitted library misses the drawdowns of 'red'" in stored["description"]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t + "red,1,0,400,1.5\n", "Line {next}: reflectance 1.5 is impossible"),
        (lambda t: t + "red,1,zero,400,0.1\n", "Line {next}: white_fraction 'zero' is not a number"),
        (lambda t: t.replace("wavelength_nm", "nm"), "Line 1:"),
    ],
)
def test_a_bad_drawdown_file_is_refused_with_its_line_and_nothing_written(  # type: ignore[no-untyped-def]
    tmp_path: Path, settings_env: Callable[..., None], mangle, message: str
) -> None:
    settings_env()
    text = drawdown_csv(LIBRARY)
    source = tmp_path / "drawdowns.csv"
    source.write_text(mangle(text))
    output = tmp_path / "fitted.json"
    result = CliRunner().invoke(
        cli, ["bases", "fit", "--template", LIBRARY.version, str(source), "--version", "lab-x", "-o", str(output)]
    )
    assert result.exit_code == 1
    assert message.format(next=text.count("\n") + 1) in result.output
    assert str(source) in result.output
    assert not output.exists()
    assert not (get_settings().data_dir / "bases").exists()


def test_an_output_in_a_missing_folder_or_an_existing_version_writes_nothing(
    tmp_path: Path, settings_env: Callable[..., None]
) -> None:
    settings_env()
    missing = CliRunner().invoke(
        cli,
        [
            "bases",
            "fit",
            "--template",
            LIBRARY.version,
            str(EXAMPLE),
            "--version",
            "lab-y",
            "-o",
            str(tmp_path / "nope" / "x.json"),
        ],
    )
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    assert not (get_settings().data_dir / "bases").exists()
    packaged = CliRunner().invoke(
        cli,
        [
            "bases",
            "fit",
            "--template",
            LIBRARY.version,
            str(EXAMPLE),
            "--version",
            "demo-2026.3",
            "-o",
            str(tmp_path / "x.json"),
        ],
    )
    assert packaged.exit_code == 1
    assert "packaged library" in packaged.output
    assert not list(tmp_path.glob("x.json*"))


def test_drawdowns_of_bases_the_template_lacks_are_refused_naming_the_base(
    tmp_path: Path, settings_env: Callable[..., None]
) -> None:
    """The example holds the demo library's drawdowns; without ``--template`` the default (physical) library is the
    template, which has no carmine: a clear error, nothing stored."""
    settings_env()
    result = CliRunner().invoke(cli, ["bases", "fit", str(EXAMPLE), "--version", "lab-z"])
    assert result.exit_code == 1
    assert "base 'carmine' is not in the library" in result.output
    assert not (get_settings().data_dir / "bases").exists()


def test_formulate_says_why_a_skin_is_out_of_reach(settings_env: Callable[..., None]) -> None:
    settings_env()
    text = CliRunner().invoke(cli, ["formulate", "--lab", "20", "9", "17"])
    assert text.exit_code == 0, text.output
    assert "(out of gamut)" in text.output
    assert "nearest reachable colour" in text.output
    document = json.loads(CliRunner().invoke(cli, ["formulate", "--lab", "20", "9", "17", "--format", "json"]).output)
    assert document["in_gamut"] is False
    gap = document["out_of_gamut"]  # the same structure as the API's
    assert [limit["kind"] for limit in gap["binding_limits"]] == ["spectral_shape"]
    assert gap["lightness_difference"] > 0
    assert "spectra cannot make this colour" in gap["explanation"]
    reached = json.loads(CliRunner().invoke(cli, ["formulate", "--lab", "60", "10", "18", "--format", "json"]).output)
    assert reached["out_of_gamut"] is None
