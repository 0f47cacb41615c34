"""``tonematch catalog import / list / export / delete`` against the session's Redis."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import cli

ACME = (
    "brand,product,shade_name,shade_code,hex\nAcme,Silk,Ivory,01,#E8C8A8\nAcme,Silk,Sand,02,#C8A07A\n"
    "Acme,Silk,,,#aabbcc\n"
)


@pytest.fixture
def run(settings_env: Callable[..., None], redis_url: str) -> Callable[..., Result]:
    settings_env(REDIS_URL=redis_url)
    return lambda *args: CliRunner().invoke(cli, ["catalog", *args])


def test_import_list_export_delete(run: Callable[..., Result], tmp_path: Path) -> None:
    acme = tmp_path / "acme shades.csv"
    acme.write_text(ACME)
    imported = run("import", str(acme))
    assert imported.exit_code == 0, imported.output
    assert "imported 2 shades into source 'acme-shades'" in imported.output  # named after the file
    assert "skipped 1 rows with no shade name or code (lines 4)" in imported.output
    assert "colour space: sRGB from the hex column" in imported.output
    assert run("import", str(acme), "--source", "acme-shades").exit_code == 0
    listed = run("list")
    assert listed.exit_code == 0
    assert [line.split()[:2] for line in listed.output.splitlines()[1:3]] == [["house", "18"], ["acme-shades", "2"]]
    assert "20 shades; 20 distinct in matches" in listed.output
    shades = run("list", "--source", "acme-shades").output.splitlines()
    assert shades[1].startswith("Acme\tSilk\tIvory\t01\t")
    exported = tmp_path / "out.csv"
    assert run("export", "--source", "acme-shades", "-o", str(exported)).exit_code == 0
    assert run("import", str(exported), "--source", "copy").exit_code == 0
    assert run("export", "--source", "copy").output == exported.read_text().replace("acme-shades,", "copy,")
    everything = run("export").output
    assert everything.count("\nhouse,") == 18
    assert everything.count("\ncopy,") == 2
    deleted = run("delete", "--source", "copy")
    assert deleted.exit_code == 0
    assert "deleted source 'copy' (2 shades); the catalogue now holds 20" in deleted.output


def test_export_to_a_missing_folder_is_a_clear_error_and_writes_nothing(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    missing = tmp_path / "no such folder" / "out.csv"
    result = run("export", "-o", str(missing))
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (b"", (), "the file is empty"),
        ("brand,product,shade_name,hex\nLanc\u00f4me,T,B,#C8A07A\n".encode("latin-1"), (), "not UTF-8 text: byte 0xf4"),
        (b"brand,shade_name,hex\nA,N,#aabbcc\n", (), "no product column"),
        (b"brand,product,shade_code,L,a,b\nA,P,1,60,12,18\n", (), "no colour space"),
        (b"brand,product,shade_name,colour_space,L,a,b\nA,P,N,CIELAB D65,101,0,0\n", (), "outside the possible range"),
        (b"brand,product,shade_name,hex\nA,P,N,#GGGGGG\n", (), "not a six-digit sRGB hex"),
        (ACME.encode(), ("--strict",), "1 rows lack"),
        (ACME.encode(), ("--source", "house"), "packaged range"),
        (ACME.encode(), ("--source", "No Good"), "not a source name"),
    ],
)
def test_bad_inputs_exit_non_zero_and_change_nothing(
    run: Callable[..., Result], tmp_path: Path, content: bytes, options: tuple[str, ...], message: str
) -> None:
    good = tmp_path / "acme.csv"
    good.write_text(ACME)
    assert run("import", str(good)).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    source = () if "--source" in options else ("--source", "acme")
    refused = run("import", str(bad), *source, *options)
    assert refused.exit_code == 1
    assert "nothing imported" in refused.output
    assert message.lower() in refused.output.lower()
    assert "acme                                   2" in run("list").output


def test_unknown_colour_space_and_size_limit(
    run: Callable[..., Result], tmp_path: Path, settings_env: Callable[..., None], redis_url: str
) -> None:
    acme = tmp_path / "acme.csv"
    acme.write_text(ACME)
    refused = run("import", str(acme), "--colour-space", "Adobe RGB")
    assert refused.exit_code == 2
    assert "'Adobe RGB' is not one of 'sRGB', 'CIELAB D65'" in refused.output
    settings_env(REDIS_URL=redis_url, TONEMATCH_MAX_CATALOGUE_BYTES="100")
    too_large = run("import", str(acme))
    assert too_large.exit_code == 1
    assert "the limit is 100" in too_large.output


def test_the_skipped_lines_count_every_skipped_row_beyond_the_reported_ones(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    many = tmp_path / "many.csv"  # 150 rows without a name or code: the report lists 100, the CLI counts all
    many.write_text("brand,product,shade_name,hex\nA,P,N,#aabbcc\n" + "A,P,,#aabbcc\n" * 150)
    imported = run("import", str(many))
    assert imported.exit_code == 0, imported.output
    assert "skipped 150 rows with no shade name or code (lines 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 140 more)" in (
        imported.output
    )


def test_the_house_range_cannot_be_deleted(run: Callable[..., Result]) -> None:
    refused = run("delete", "--source", "house")
    assert refused.exit_code == 1
    assert "cannot be deleted" in refused.output
    assert run("delete", "--source", "nothing").exit_code == 1


def test_the_real_catalogue_imports_without_edits(run: Callable[..., Result], shared_data: Path) -> None:
    combined = shared_data / "foundation_shades" / "foundation_shades_combined_lab.csv"
    first = run("import", str(combined), "--source", "pudding", "--approximate")
    assert first.exit_code == 0, first.output
    assert "imported 6750 shades into source 'pudding'" in first.output
    assert "7441 rows read, 625 skipped, 66 merged into others" in first.output
    assert "skipped 625 rows with no shade name or code" in first.output
    second = run("import", str(combined), "--source", "pudding", "--approximate")
    assert "it held 6750 before; the catalogue now holds 6768 shades" in second.output  # replaced, not doubled
    refused = run("import", str(shared_data / "foundation_shades" / "pudding_makeup_shades_2018.csv"))
    assert refused.exit_code == 1
    assert "cannot be told apart" in refused.output
