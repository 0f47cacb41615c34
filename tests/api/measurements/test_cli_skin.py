"""``tonematch timeline`` and ``tonematch compare`` read the service's Redis: a table or the API's JSON; an unknown
id, another customer's, the same id twice or Redis away is a message and exit status 1."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from api.cli import cli
from api.web.tokens import Role
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import READING
from tests.conftest import TEST_SECRET

Auth = Callable[..., dict[str, str]]


def _measure(client: TestClient[Litestar], headers: dict[str, str], a: float) -> str:
    response = client.post("/v1/measurements/", json={**READING, "lab": {"L": 60, "a": a, "b": 18}}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_timeline_and_compare_as_table_and_json(
    client: TestClient[Litestar], auth: Auth, settings_env: Callable[..., None], redis_url: str
) -> None:
    headers = auth(Role.CUSTOMER, "cus_cli")
    grant_history(client, headers)
    first, second = _measure(client, headers, 12.0), _measure(client, headers, 15.0)
    formulation = client.post("/v1/matches/", json={"measurement_id": second}, headers=headers).json()["id"]
    settings_env(REDIS_URL=redis_url, TONEMATCH_SECRET_KEY=TEST_SECRET)
    runner = CliRunner()

    table = runner.invoke(cli, ["timeline", "cus_cli"])
    assert table.exit_code == 0, table.output
    assert first in table.output or "instrument" in table.output
    assert "Redness (erythema index)" in table.output
    assert formulation in table.output
    as_json = runner.invoke(cli, ["timeline", "cus_cli", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert [p["measurement_id"] for p in json.loads(as_json.output)["points"]] == [first, second]

    compared = runner.invoke(cli, ["compare", "cus_cli", first, second])
    assert compared.exit_code == 0, compared.output
    assert "Redness (a*)" in compared.output
    assert "cannot tell" in compared.output
    compared_json = json.loads(runner.invoke(cli, ["compare", "cus_cli", first, second, "--format", "json"]).output)
    assert compared_json["before"]["measurement_id"] == first
    assert next(m for m in compared_json["metrics"] if m["metric"] == "a")["difference"] == 3.0

    empty = runner.invoke(cli, ["timeline", "cus_nobody"])
    assert empty.exit_code == 0
    assert "no measurement" in empty.output


def test_compare_refuses_unknown_foreign_and_repeated_ids(
    client: TestClient[Litestar], auth: Auth, settings_env: Callable[..., None], redis_url: str
) -> None:
    mine = _measure(client, auth(Role.CUSTOMER, "cus_cli2"), 12.0)
    theirs = _measure(client, auth(Role.CUSTOMER, "cus_cli3"), 12.0)
    settings_env(REDIS_URL=redis_url, TONEMATCH_SECRET_KEY=TEST_SECRET)
    runner = CliRunner()
    for other in (theirs, "msr_0190c5a8e2b1a9f3c2d4e5f60718", "nonsense"):
        result = runner.invoke(cli, ["compare", "cus_cli2", mine, other])
        assert result.exit_code == 1
        assert f"No measurement '{other}'" in result.output
    same = runner.invoke(cli, ["compare", "cus_cli2", mine, mine])
    assert same.exit_code == 1
    assert "same measurement" in same.output


def test_without_redis_it_says_so(settings_env: Callable[..., None]) -> None:
    settings_env(TONEMATCH_SECRET_KEY=TEST_SECRET)
    result = CliRunner().invoke(cli, ["timeline", "cus_x"])
    assert result.exit_code == 1
    assert "REDIS_URL is not set" in result.output
    settings_env(
        REDIS_URL="redis://127.0.0.1:1/0", TONEMATCH_SECRET_KEY=TEST_SECRET, TONEMATCH_REDIS_TIMEOUT_SECONDS="0.5"
    )
    result = CliRunner().invoke(cli, ["timeline", "cus_x"])
    assert result.exit_code == 1
    assert "did not answer" in result.output
