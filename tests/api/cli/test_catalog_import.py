"""`tonematch catalog import`: all rows or none, into the service's Redis (see also ``test_catalog_commands``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import redis
from click.testing import CliRunner

from api.cli import cli
from api.storage.keys import shade_source_key
from tests.catalog.test_shades import GOOD, HEADER


def test_cli_import_is_all_or_nothing(tmp_path: Path, settings_env: Callable[..., None], redis_url: str) -> None:
    settings_env(REDIS_URL=redis_url)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("\n".join([HEADER, *GOOD]))
    bad.write_text("\n".join([HEADER, *GOOD, "Acme,Silk,Dune,04,,50,10,10,"]))
    assert CliRunner().invoke(cli, ["catalog", "import", str(good)]).exit_code == 0
    refused = CliRunner().invoke(cli, ["catalog", "import", str(bad)])
    assert refused.exit_code == 1
    assert "nothing imported" in refused.output
    client = redis.Redis.from_url(redis_url)
    assert client.llen(shade_source_key("good")) == 3  # the source is named after the file
    assert client.llen(shade_source_key("bad")) == 0
    client.close()
