"""A client generated from the served document by openapi-python-client runs the app's flow: an instrument reading
is measured, matched to a formulation, ordered with an Idempotency-Key (a retry answers the same order) and its
status read; a problem comes back as the document's ``Problem``. The generator must not warn about the document."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from tests.api.openapi.helpers import ORDER_BODY, READING

PACKAGE = "tonematch_client"


@pytest.fixture
def generated(client: TestClient[Litestar], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The package openapi-python-client generates from ``GET /schema/openapi.json``, imported."""
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(client.get("/schema/openapi.json").json()))
    config = tmp_path / "config.json"
    # The report is an image or a PDF: the generator reads any binary answer as a File once told they are binary.
    binary = {"image/png": "application/octet-stream", "application/pdf": "application/octet-stream"}
    binary["text/csv"] = "application/octet-stream"  # a catalogue file (PUT and export of /v1/admin/catalog/sources)
    settings = {"post_hooks": [], "package_name_override": PACKAGE, "content_type_overrides": binary}
    config.write_text(json.dumps(settings))
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document), "--config",
               str(config), "--meta", "none", "--output-path", str(tmp_path / PACKAGE)]  # fmt: skip
    generation = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    output = generation.stdout + generation.stderr
    assert generation.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module(PACKAGE)


def _module(package: Any, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_measures_matches_orders_and_reads_the_status(
    generated: Any, client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    models = _module(generated, "models")
    create_measurement = _module(generated, "api.measurements.v1_measurements_create")
    match = _module(generated, "api.formulation.v1_matches_create")
    create_order = _module(generated, "api.orders.v1_orders_create")
    read_order = _module(generated, "api.orders.v1_orders_order_id_read")
    client.headers.update(auth(Role.CUSTOMER, "cus_generated"))  # the generated client sends through this one
    api = generated.AuthenticatedClient(base_url=str(client.base_url), token="unused").set_httpx_client(client)

    reading = models.InstrumentReadingIn.from_dict(READING)
    measured = create_measurement.sync(client=api, body=reading)
    assert isinstance(measured, models.MeasurementOut), measured
    assert measured.source == models.MeasurementOutSource.INSTRUMENT
    assert measured.lab.l == pytest.approx(60, abs=0.01)

    formulation = match.sync(client=api, body=models.MatchIn(measurement_id=measured.id))
    assert isinstance(formulation, models.FormulationOut), formulation
    assert formulation.measurement_id == measured.id
    assert formulation.recipe

    key = str(uuid.uuid4())
    body = models.OrderIn.from_dict({**ORDER_BODY, "formulation_id": formulation.id})
    placed = create_order.sync_detailed(client=api, body=body, idempotency_key=key)
    assert placed.status_code == 201
    assert isinstance(placed.parsed, models.OrderOut), placed.parsed
    retried = create_order.sync_detailed(client=api, body=body, idempotency_key=key)
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.parsed.id == placed.parsed.id

    status = read_order.sync(client=api, order_id=placed.parsed.id)
    assert isinstance(status, models.OrderOut), status
    assert status.status == models.OrderStatus.RECEIVED
    assert status.shipping.city == ORDER_BODY["shipping"]["city"]

    missing = read_order.sync(client=api, order_id="ord_0190c5a8e2b1a9f3c2d4e5f60700")
    assert isinstance(missing, models.Problem)
    assert (missing.status, missing.code) == (404, "not_found")
