"""Bearer tokens and roles: missing, malformed, forged, expired and wrong-role tokens are refused."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role, mint_token, verify_token
from tests.api.web.test_problems import READING, assert_problem
from tests.conftest import TEST_SECRET

PROTECTED = "/v1/measurements/"


def test_missing_token_is_401_with_challenge(client: TestClient[Litestar]) -> None:
    response = client.get(PROTECTED)
    assert_problem(response, 401, "token_missing")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token-without-scheme"])
def test_malformed_authorization_header_is_401(client: TestClient[Litestar], header: str) -> None:
    assert_problem(client.get(PROTECTED, headers={"Authorization": header}), 401, "token_missing")


def test_garbage_token_is_401_invalid(client: TestClient[Litestar]) -> None:
    response = client.get(PROTECTED, headers={"Authorization": "Bearer not.a.jwt"})
    assert_problem(response, 401, "token_invalid")


def test_token_signed_with_another_secret_is_refused(client: TestClient[Litestar]) -> None:
    forged = mint_token(
        secret="another-secret-of-sufficient-length-000000",
        issuer="tonematch",
        role=Role.ADMIN,
        subject=None,
        ttl_seconds=600,
    )
    assert_problem(client.get(PROTECTED, headers={"Authorization": f"Bearer {forged}"}), 401, "token_invalid")


def test_alg_none_token_is_refused(client: TestClient[Litestar]) -> None:
    now = int(time.time())
    claims = {"iss": "tonematch", "sub": "cus_1", "role": "customer", "iat": now, "exp": now + 600, "jti": "x"}
    unsigned = jwt.encode(claims, key="", algorithm="none")
    assert_problem(client.get(PROTECTED, headers={"Authorization": f"Bearer {unsigned}"}), 401, "token_invalid")


def test_tampered_role_claim_is_refused(client: TestClient[Litestar], token_for: Callable[..., str]) -> None:
    header, payload, signature = token_for(Role.CUSTOMER, "cus_1").split(".")
    lab_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"customer"', b'"admin"')
    ).decode()
    tampered = f"{header}.{lab_payload}.{signature}"
    assert_problem(client.get(PROTECTED, headers={"Authorization": f"Bearer {tampered}"}), 401, "token_invalid")


def test_expired_token_is_401_expired(client: TestClient[Litestar]) -> None:
    now = int(time.time())
    claims = {"iss": "tonematch", "sub": "cus_1", "role": "customer", "iat": now - 7200, "exp": now - 3600, "jti": "x"}
    expired = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    body = assert_problem(client.get(PROTECTED, headers={"Authorization": f"Bearer {expired}"}), 401, "token_expired")
    assert body["hint"]


def test_token_with_unknown_role_is_refused(client: TestClient[Litestar]) -> None:
    now = int(time.time())
    claims = {"iss": "tonematch", "sub": "x", "role": "superuser", "iat": now, "exp": now + 600, "jti": "x"}
    token = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    assert_problem(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}), 401, "token_invalid")


def test_token_from_another_issuer_is_refused(client: TestClient[Litestar]) -> None:
    token = mint_token(secret=TEST_SECRET, issuer="someone-else", role=Role.CUSTOMER, subject="c", ttl_seconds=60)
    assert_problem(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}), 401, "token_invalid")


@pytest.mark.parametrize("role", [Role.LAB, Role.FULFILMENT, Role.ADMIN])
def test_customer_routes_refuse_other_roles(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], role: Role
) -> None:
    assert_problem(client.get(PROTECTED, headers=auth(role)), 403, "role_not_allowed")
    assert_problem(client.post(PROTECTED, json=READING, headers=auth(role)), 403, "role_not_allowed")


def test_health_and_docs_are_public(client: TestClient[Litestar]) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/schema/openapi.json").status_code == 200


def test_mint_and_verify_round_trip() -> None:
    token = mint_token(secret=TEST_SECRET, issuer="tonematch", role=Role.CUSTOMER, subject="cus_9", ttl_seconds=60)
    principal = verify_token(token, secret=TEST_SECRET, issuer="tonematch")
    assert (principal.role, principal.subject) == (Role.CUSTOMER, "cus_9")


@pytest.mark.parametrize(
    ("role", "subject", "ttl"),
    [(Role.CUSTOMER, None, 60), (Role.CUSTOMER, "bad id!", 60), (Role.LAB, "x" * 65, 60), (Role.LAB, None, 0)],
)
def test_mint_refuses_bad_arguments(role: Role, subject: str | None, ttl: int) -> None:
    with pytest.raises(ValueError, match=r"."):
        mint_token(secret=TEST_SECRET, issuer="tonematch", role=role, subject=subject, ttl_seconds=ttl)


def test_every_route_is_public_or_declares_roles(app: Litestar) -> None:
    from api.web.auth import declared_roles

    checked = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/schema") or handler.opt.get("public"):
                continue
            assert declared_roles(handler), route.path
            checked += 1
    assert checked > 0


def test_a_route_without_roles_stops_the_app_from_starting() -> None:
    from litestar import get

    from api.web.auth import check_every_route_declares_access

    @get("/open")
    async def open_route() -> str:
        return "oops"

    with pytest.raises(RuntimeError, match="declares no roles"):
        check_every_route_declares_access(Litestar([open_route]), public_prefix="/schema")
