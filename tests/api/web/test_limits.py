"""Per-customer rate limits (429 with Retry-After, shared through Redis) and token revocation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from api.app import create_app
from api.cli import cli
from api.settings import Settings
from api.web.tokens import Role
from tests.api.orders.helpers import make_formulation, place_order
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import READING, assert_problem
from tests.conftest import TEST_SECRET


@pytest.fixture
def tight(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(rate_limit_measurements_per_hour=3, rate_limit_orders_per_hour=1)


def test_measurements_past_the_hourly_budget_are_429_with_retry_after(
    tight: Settings, auth: Callable[..., dict[str, str]]
) -> None:
    with TestClient(app=create_app(tight)) as client:
        statuses = [
            client.post("/v1/measurements/", json=READING, headers=auth(Role.CUSTOMER, "cus_a")).status_code
            for _ in range(3)
        ]
        assert statuses == [201, 201, 201]
        refused = client.post("/v1/measurements/", json=READING, headers=auth(Role.CUSTOMER, "cus_a"))
        body = assert_problem(refused, 429, "too_many_requests")
        assert 3500 <= int(refused.headers["retry-after"]) <= 3600
        assert body["retry_after_seconds"] == int(refused.headers["retry-after"])
        # another customer has a budget of their own; reading is not limited
        assert client.post("/v1/measurements/", json=READING, headers=auth(Role.CUSTOMER, "cus_b")).status_code == 201
        assert client.get("/v1/measurements/", headers=auth(Role.CUSTOMER, "cus_a")).status_code == 200
    with TestClient(app=create_app(tight)) as other_process:  # the count lives in Redis, not in the process
        again = other_process.post("/v1/measurements/", json=READING, headers=auth(Role.CUSTOMER, "cus_a"))
        assert_problem(again, 429, "too_many_requests")


def test_orders_have_their_own_budget(tight: Settings, auth: Callable[..., dict[str, str]]) -> None:
    with TestClient(app=create_app(tight)) as client:
        formulation = make_formulation(client, auth, "cus_o")
        assert place_order(client, auth, "cus_o", formulation).status_code == 201
        assert_problem(place_order(client, auth, "cus_o", formulation), 429, "too_many_requests")


def test_a_revoked_token_is_refused_everywhere_and_others_still_work(
    settings: Settings, settings_env: Callable[..., None], redis_url: str, token_for: Callable[..., str]
) -> None:
    victim, other = token_for(Role.CUSTOMER, "cus_r"), token_for(Role.CUSTOMER, "cus_r")
    with TestClient(app=create_app(settings)) as client:
        assert client.get("/v1/measurements/", headers={"Authorization": f"Bearer {victim}"}).status_code == 200
        settings_env(REDIS_URL=redis_url, TONEMATCH_SECRET_KEY=TEST_SECRET)
        result = CliRunner().invoke(cli, ["token", "revoke", victim])
        assert result.exit_code == 0, result.output
        assert "revoked the customer token" in result.output
        refused = client.get("/v1/measurements/", headers={"Authorization": f"Bearer {victim}"})
        assert_problem(refused, 401, "token_revoked")
        assert client.get("/v1/measurements/", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_revoking_a_token_that_is_not_ours_is_an_error(settings_env: Callable[..., None], redis_url: str) -> None:
    settings_env(REDIS_URL=redis_url, TONEMATCH_SECRET_KEY=TEST_SECRET)
    result = CliRunner().invoke(cli, ["token", "revoke", "not.a.token"])
    assert result.exit_code == 1
    assert "not revoked" in result.output


def test_consent_must_name_a_privacy_notice_in_force(
    make_settings: Callable[..., Settings], auth: Callable[..., dict[str, str]]
) -> None:
    settings = make_settings(privacy_notice_versions=["2026-01", "2026-07"])
    with TestClient(app=create_app(settings)) as client:
        grant_history(client, auth(Role.CUSTOMER, "c"))
        for version in ("2026-01", "2026-07"):
            reading = {**READING, "consent": version}
            assert client.post("/v1/measurements/", json=reading, headers=auth(Role.CUSTOMER, "c")).status_code == 201
        refused = client.post(
            "/v1/measurements/", json={**READING, "consent": "2025-01"}, headers=auth(Role.CUSTOMER, "c")
        )
        body = assert_problem(refused, 422, "consent_version_unknown")
        assert "2026-07" in body["detail"]
        assert len(client.get("/v1/measurements/", headers=auth(Role.CUSTOMER, "c")).json()["items"]) == 2


def test_revoking_with_redis_away_is_a_clear_error(
    settings_env: Callable[..., None], token_for: Callable[..., str]
) -> None:
    from infra.redis_server import free_tcp_port

    settings_env(
        REDIS_URL=f"redis://127.0.0.1:{free_tcp_port()}/0",
        TONEMATCH_SECRET_KEY=TEST_SECRET,
        TONEMATCH_REDIS_TIMEOUT_SECONDS="0.5",
    )
    result = CliRunner().invoke(cli, ["token", "revoke", token_for(Role.CUSTOMER, "cus_r")])
    assert result.exit_code == 1
    assert "not revoked: Redis at REDIS_URL did not answer" in result.output
