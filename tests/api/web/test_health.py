"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from infra.redis_server import free_tcp_port
from tests.api.web.test_problems import assert_problem
from tests.conftest import TEST_SECRET


def test_healthz(client: TestClient[Litestar]) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "storage_unreachable_seconds": None}


def test_readyz_with_redis(client: TestClient[Litestar]) -> None:
    assert client.get("/readyz").json() == {"status": "ready", "storage_unreachable_seconds": None}


def test_readyz_is_503_when_redis_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{free_tcp_port()}/0",
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        redis_timeout_seconds=0.5,
    )
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        body = assert_problem(client.get("/readyz"), 503, "service_unavailable")
        assert body["dependency"] == "redis"


def test_openapi_is_3_1_and_documents_bearer_auth(client: TestClient[Litestar]) -> None:
    document = client.get("/schema/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert "/v1/measurements" in document["paths"]


def test_browsable_docs_page(client: TestClient[Litestar]) -> None:
    response = client.get("/schema")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
