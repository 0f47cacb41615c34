"""``tonematch report``: the customer's report written to a file; a missing folder, an unknown or mismatched format
and a customer with no measurement are clear errors, not tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from api.cli import cli
from api.web.tokens import Role
from tests.api.web.test_problems import READING


def test_the_report_is_written_in_the_format_of_its_name(
    tmp_path: Path, settings_env: Callable[..., None], redis_url: str, client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
) -> None:  # fmt: skip
    settings_env(REDIS_URL=redis_url)
    assert client.post("/v1/measurements/", json=READING, headers=auth(Role.CUSTOMER, "cus_c1")).status_code == 201
    output = tmp_path / "report.pdf"
    result = CliRunner().invoke(cli, ["report", "cus_c1", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.partial"))
    nobody = CliRunner().invoke(cli, ["report", "cus_nobody", "--format", "png", "-o", str(tmp_path / "r.png")])
    assert nobody.exit_code == 1
    assert "no measurement" in nobody.output.lower()
    assert not (tmp_path / "r.png").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "png", "-o", "{tmp}/missing/report.png"], "does not exist"),
        (["--format", "gif", "-o", "{tmp}/report.gif"], "'gif' is not one of"),
        (["--format", "pdf", "-o", "{tmp}/report.png"], "does not match"),
        (["-o", "{tmp}/report.jpg"], "unknown extension"),
    ],
)
def test_bad_output_is_refused_before_anything_is_read(
    tmp_path: Path, settings_env: Callable[..., None], arguments: list[str], message: str
) -> None:
    settings_env(REDIS_URL="redis://127.0.0.1:9")  # nothing listens: an error here would come from Redis
    result = CliRunner().invoke(cli, ["report", "cus_c2", *(a.replace("{tmp}", str(tmp_path)) for a in arguments)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
