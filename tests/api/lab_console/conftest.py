"""Lab console fixtures: a client over HTTPS (the session cookie is Secure), a staff account, a signed-in session."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.lab_console.sessions import LabStaffService
from api.settings import Settings
from api.storage import Storage

STAFF, PASSWORD = "lab-ana", "mixing bench 42 pass"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_staff(settings: Settings, name: str = STAFF, password: str = PASSWORD) -> None:
    async def run() -> None:
        storage = Storage.open(settings)
        try:
            assert await LabStaffService(storage.lab_staff, session_seconds=60).add(name, password)
        finally:
            await storage.aclose()

    asyncio.run(run())


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, html[:500]
    return match.group(1)


def sign_in(client: TestClient[Litestar], name: str = STAFF, password: str = PASSWORD) -> object:
    token = csrf_of(client.get("/lab/login").text)
    return client.post("/lab/login", data={"csrf_token": token, "name": name, "password": password})


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """The one client of a test (two would run two lifespans over one app): HTTPS, so that the Secure session
    cookie is sent, and redirects not followed, so that tests see them. The JSON API answers on it too."""
    with TestClient(app=app, base_url="https://testserver.local", raise_server_exceptions=False) as test_client:
        test_client.follow_redirects = False
        yield test_client


@pytest.fixture
def console(client: TestClient[Litestar]) -> TestClient[Litestar]:
    return client


@pytest.fixture
def staff(settings: Settings) -> str:
    add_staff(settings)
    return STAFF


@pytest.fixture
def signed_in(console: TestClient[Litestar], staff: str) -> TestClient[Litestar]:
    response = sign_in(console)
    assert response.status_code == 303, getattr(response, "text", "")
    return console


@pytest.fixture
def page_csrf(signed_in: TestClient[Litestar]) -> Callable[[str], str]:
    """The CSRF token on a page of the signed-in session."""
    return lambda path: csrf_of(signed_in.get(path).text)
