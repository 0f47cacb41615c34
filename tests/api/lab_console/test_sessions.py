"""Sign-in, the session cookie, its expiry, sign-out, failed-sign-in limits and CSRF on every form."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.lab_console.sessions import (
    MAX_FAILURES_PER_NAME,
    SESSION_COOKIE,
    lab_session_guard,
    login_csrf_guard,
)
from api.settings import Settings
from api.storage.lab_staff import session_key
from api.web.tokens import Role
from tests.api.lab_console.conftest import PASSWORD, STAFF, add_staff, csrf_of, sign_in
from tests.api.orders.helpers import make_formulation, place_order

Auth = Callable[..., dict[str, str]]


def _order(client: TestClient[Litestar], auth: Auth) -> str:
    formulation = make_formulation(client, auth, "cus_lab")
    return str(place_order(client, auth, "cus_lab", formulation).json()["id"])


def _status(client: TestClient[Litestar], auth: Auth, order_id: str) -> str:
    return str(client.get(f"/v1/lab/orders/{order_id}", headers=auth(Role.LAB)).json()["status"])


def test_pages_without_a_session_lead_to_the_sign_in(console: TestClient[Litestar]) -> None:
    for path in ("/lab/", "/lab/orders/ord_x", "/lab/orders/ord_x/sheet", "/lab/counts"):
        response = console.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/lab/login"
    acted = console.post("/lab/orders/ord_x/start", data={"csrf_token": "x"})
    assert acted.status_code == 303
    assert acted.headers["location"] == "/lab/login"


def test_sign_in_gives_a_secure_http_only_strict_cookie(console: TestClient[Litestar], staff: str) -> None:
    form = console.get("/lab/login")
    assert form.status_code == 200
    assert 'label for="name"' in form.text
    assert 'label for="password"' in form.text
    assert "script-src 'self'" in form.headers["content-security-policy"]
    response = sign_in(console)
    assert response.status_code == 303
    assert response.headers["location"] == "/lab/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "Path=/lab" in cookie
    queue = console.get("/lab/")
    assert queue.status_code == 200
    assert f"Signed in as <strong>{staff}</strong>" in queue.text


def test_plain_http_cookies_only_for_localhost_tests(make_settings: Callable[..., Settings]) -> None:
    assert make_settings(lab_cookie_secure=False).lab_cookie_secure is False
    with pytest.raises(ValueError, match="only for plain-HTTP tests on localhost"):
        make_settings(lab_cookie_secure=False, host="0.0.0.0")  # noqa: S104
    with pytest.raises(ValueError, match="only for plain-HTTP tests on localhost"):
        make_settings(lab_cookie_secure=False, environment="production")
    assert make_settings().lab_cookie_secure is True


@pytest.mark.parametrize(("name", "password"), [(STAFF, "not the password"), ("nobody", PASSWORD)])
def test_a_wrong_name_or_password_is_refused_alike(
    console: TestClient[Litestar], staff: str, name: str, password: str
) -> None:
    response = sign_in(console, name, password)
    assert response.status_code == 401
    assert "do not match a lab account" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert console.get("/lab/").status_code == 303


def test_failed_sign_ins_are_limited_per_name(console: TestClient[Litestar], staff: str) -> None:
    for _ in range(MAX_FAILURES_PER_NAME):
        assert sign_in(console, STAFF, "wrong password!").status_code == 401
    refused = sign_in(console)  # the right password, too late
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert console.get("/lab/").status_code == 303


def test_sign_in_form_needs_its_token(console: TestClient[Litestar], staff: str) -> None:
    console.get("/lab/login")  # the pre-sign-in cookie, but no token in the form
    response = console.post("/lab/login", data={"name": STAFF, "password": PASSWORD})
    assert response.status_code == 403
    assert "This form cannot be accepted" in response.text
    assert "security token" in response.text
    console.cookies.clear()  # a token with no cookie to match
    token = csrf_of(console.get("/lab/login").text)
    console.cookies.clear()
    response = console.post("/lab/login", data={"csrf_token": token, "name": STAFF, "password": PASSWORD})
    assert response.status_code == 403


def test_forms_without_the_session_token_change_nothing(signed_in: TestClient[Litestar], auth: Auth) -> None:
    order_id = _order(signed_in, auth)
    token = csrf_of(signed_in.get(f"/lab/orders/{order_id}").text)
    for data, headers in (
        ({}, {}),
        ({"csrf_token": "forged"}, {}),
        ({"csrf_token": token}, {"Origin": "https://evil.example"}),
        ({"csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}),
    ):
        refused = signed_in.post(f"/lab/orders/{order_id}/start", data=data, headers=headers)
        assert refused.status_code == 403, (data, headers)
        assert "Nothing was changed" in refused.text
        assert _status(signed_in, auth, order_id) == "received"
    done = signed_in.post(f"/lab/orders/{order_id}/start", data={"csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == f"/lab/orders/{order_id}?done=start"
    assert _status(signed_in, auth, order_id) == "in_production"


def test_every_form_route_of_the_console_checks_a_token(app: Litestar) -> None:
    checked = 0
    for route in app.routes:
        if not route.path.startswith("/lab") or route.path.startswith("/lab/static"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if "POST" in (handler.http_methods or ()):
                guards = [guard for layer in handler.ownership_layers for guard in layer.guards or []]
                assert lab_session_guard in guards or login_csrf_guard in guards, route.path
                checked += 1
    assert checked >= 4


def _stored_session(redis_url: str, token: str) -> tuple[redis.Redis, dict[str, object]]:
    client = redis.Redis.from_url(redis_url)
    raw = client.get(session_key(token))
    assert raw is not None
    return client, json.loads(raw)


def test_a_session_expires(signed_in: TestClient[Litestar], settings: Settings, redis_url: str) -> None:
    token = signed_in.cookies[SESSION_COOKIE]
    client, stored = _stored_session(redis_url, token)
    ttl = client.ttl(session_key(token))
    assert 0 < ttl <= settings.lab_session_seconds
    # The record's own expiry counts even if Redis kept the key (a copied or restored database).
    stored["expires_at"] = time.time() - 1
    client.set(session_key(token), json.dumps(stored), keepttl=True)
    response = signed_in.get("/lab/")
    assert response.status_code == 303
    assert response.headers["location"] == "/lab/login"
    assert client.get(session_key(token)) is None
    client.close()


def test_sign_out_ends_the_session(signed_in: TestClient[Litestar], redis_url: str) -> None:
    token = signed_in.cookies[SESSION_COOKIE]
    csrf = csrf_of(signed_in.get("/lab/").text)
    out = signed_in.post("/lab/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/lab/login"
    signed_in.cookies.set(SESSION_COOKIE, token, path="/lab")  # the old cookie, kept by someone
    assert signed_in.get("/lab/").status_code == 303
    assert redis.Redis.from_url(redis_url).get(session_key(token)) is None


def test_removing_or_re_adding_an_account_ends_its_sessions(
    signed_in: TestClient[Litestar], settings: Settings, redis_url: str
) -> None:
    assert signed_in.get("/lab/").status_code == 200
    client = redis.Redis.from_url(redis_url)
    client.hdel("tm:lab:staff", STAFF)  # as `tonematch lab-staff remove` does
    add_staff(settings)  # the same name again: a new account
    assert signed_in.get("/lab/").status_code == 303
    client.close()


def test_the_redis_record_holds_no_token_or_password(signed_in: TestClient[Litestar], redis_url: str) -> None:
    token = signed_in.cookies[SESSION_COOKIE]
    client = redis.Redis.from_url(redis_url)
    for key in client.keys("tm:lab:*"):
        value = client.hgetall(key) if client.type(key) == b"hash" else {b"": client.get(key)}
        for raw in value.values():
            assert token.encode() not in raw
            assert PASSWORD.encode() not in raw
    client.close()
