"""API test fixtures: an app built from test settings against the session's real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.tokens import Role, mint_token
from tests.conftest import TEST_SECRET


@pytest.fixture
def make_settings(redis_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Test settings against the session's Redis, with any field overridden: ``make_settings(rate_limit_...=3)``."""

    def make(**overrides: object) -> Settings:
        base: dict[str, object] = {
            "environment": "test",
            "redis_url": redis_url,
            "secret_key": TEST_SECRET,
            "data_dir": tmp_path / "var",
            "max_json_body_bytes": 16 * 1024,
        }
        return Settings(**{**base, **overrides})  # type: ignore[arg-type]

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def token_for(settings: Settings) -> Callable[..., str]:
    def make(role: Role, subject: str | None = None, ttl_seconds: int = 600) -> str:
        return mint_token(
            secret=TEST_SECRET, issuer=settings.token_issuer, role=role, subject=subject, ttl_seconds=ttl_seconds
        )

    return make


@pytest.fixture
def auth(token_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """``auth(Role.CUSTOMER, "cus_1")`` gives the Authorization header for that caller."""

    def headers(role: Role, subject: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(role, subject)}"}

    return headers
