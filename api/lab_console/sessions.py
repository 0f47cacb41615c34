"""Sign-in, sessions and CSRF for the lab's console.

- **Sign-in** checks the name and password (scrypt, ``api.lab_console.passwords``) and starts a session: a random
  token in an HTTP-only, ``SameSite=Strict`` cookie (``Secure`` unless the settings allow plain-HTTP localhost tests),
  scoped to ``/lab``. Redis keeps only the token's SHA-256 with the session, expiring after
  ``lab_session_seconds``; the record's own expiry is checked too. A session ends at sign-out, at its expiry, or when
  its account is removed or re-added.
- **Failed sign-ins** are counted per name and per client address in a window; past the limit every sign-in for
  that name (or from that address) is refused until the window ends, right password or not.
- **CSRF**: every form of a session carries the session's synchronizer token, compared in constant time before the
  handler runs; the sign-in form carries an HMAC of a random pre-sign-in cookie under the server's secret. A
  cross-site ``Origin`` or ``Sec-Fetch-Site`` is refused outright, and the cookies are ``SameSite=Strict`` as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler

from api.lab_console.passwords import DUMMY_HASH, check_password_rules, hash_password, verify_password
from api.storage.lab_staff import LabSession, LabStaffRepository, StaffAccount
from api.web.content_types import MULTIPART
from api.web.tokens import SUBJECT_PATTERN, Principal, Role
from api.web.uploads import FormPart, read_form_in_memory

SESSION_COOKIE = "tm_lab_session"
LOGIN_COOKIE = "tm_lab_login"
COOKIE_PATH = "/lab"
CSRF_FIELD = "csrf_token"
FORM = "application/x-www-form-urlencoded"
LOGIN_COOKIE_SECONDS = 3600  # a sign-in form left open longer is simply shown again
# Five wrong passwords a quarter of an hour for one name: enough for a typo or two and a caps-lock, far too few to
# guess a 12-character password; an address gets more (several staff share a bench computer).
FAILURE_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """No session, or an ended one: the console answers with the sign-in page."""


class CsrfRefused(Exception):
    """A form without this session's token, or from another site."""


class SignInRefused(Exception):
    """A sign-in that failed; the message is safe to show (it never says whether the name exists)."""

    def __init__(self, message: str, *, status_code: int = 401, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LabForm:
    """A submitted form: its text fields (the last value of each) and its files."""

    fields: dict[str, str]
    files: dict[str, FormPart]

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()


def check_staff_name(name: str) -> str:
    """A staff name is 1-64 letters, digits, ``_`` or ``-`` (it is the console's principal, like a token subject)."""
    if not SUBJECT_PATTERN.fullmatch(name):
        raise ValueError("a staff name is 1-64 characters of letters, digits, '_' or '-'")
    return name


class LabStaffService:
    """Accounts, sign-in and sessions of the lab's staff, over their repository."""

    def __init__(self, repository: LabStaffRepository, *, session_seconds: int) -> None:
        self._repository = repository
        self._session_seconds = session_seconds

    async def add(self, name: str, password: str, *, replace: bool = False) -> bool:
        """Create the account (False when the name is taken and ``replace`` is not set); ``ValueError`` for a bad
        name or password."""
        check_staff_name(name)
        check_password_rules(password)
        password_hash = await anyio.to_thread.run_sync(hash_password, password)
        account = StaffAccount(name=name, password_hash=password_hash, created_at=datetime.now(UTC).isoformat())
        return await self._repository.add(account, replace=replace)

    async def remove(self, name: str) -> bool:
        return await self._repository.remove(name)

    async def names(self) -> list[str]:
        return await self._repository.names()

    async def _refuse_if_locked(self, buckets: dict[str, int]) -> None:
        for bucket, limit in buckets.items():
            count, seconds_left = await self._repository.failures(bucket)
            if count >= limit:
                minutes = max(1, round(seconds_left / 60))
                raise SignInRefused(
                    f"Too many failed sign-ins. Wait {minutes} minute{'s' if minutes > 1 else ''}, then try again, "
                    "or ask a colleague to check your account.",
                    status_code=429,
                    retry_after=seconds_left,
                )

    async def sign_in(self, name: str, password: str, *, address: str) -> tuple[str, LabSession]:
        """A new session token and its session, or ``SignInRefused``."""
        buckets = {f"name:{name.lower()}": MAX_FAILURES_PER_NAME, f"address:{address}": MAX_FAILURES_PER_ADDRESS}
        await self._refuse_if_locked(buckets)
        account = await self._repository.get(name) if SUBJECT_PATTERN.fullmatch(name) else None
        stored = account.password_hash if account is not None else DUMMY_HASH
        matches = await anyio.to_thread.run_sync(verify_password, password, stored)
        if account is None or not matches:
            for bucket in buckets:
                await self._repository.count_failure(bucket, window_seconds=FAILURE_WINDOW_SECONDS)
            raise SignInRefused("That name and password do not match a lab account. Check both and try again.")
        await self._repository.clear_failures(f"name:{name.lower()}")
        now = time.time()
        session = LabSession(
            staff=account.name,
            since=account.created_at,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self._session_seconds,
        )
        token = secrets.token_urlsafe(32)
        await self._repository.start_session(token, session, ttl_seconds=self._session_seconds)
        return token, session

    async def session(self, token: str) -> LabSession | None:
        """The live session of ``token``: not expired, and its account still the one it began with."""
        session = await self._repository.session(token)
        if session is None:
            return None
        if session.expires_at <= time.time():
            await self._repository.end_session(token)
            return None
        account = await self._repository.get(session.staff)
        if account is None or account.created_at != session.since:
            await self._repository.end_session(token)
            return None
        return session

    async def sign_out(self, token: str) -> None:
        await self._repository.end_session(token)


def staff_service(state: State) -> LabStaffService:
    """The app's one ``LabStaffService``, made on first use over the storage the lifespan opened."""
    service: LabStaffService | None = getattr(state, "lab_staff_service", None)
    if service is None:
        service = LabStaffService(state.services.storage.lab_staff, session_seconds=state.settings.lab_session_seconds)
        state.lab_staff_service = service
    return service


def login_csrf_token(secret: str, login_cookie: str) -> str:
    """The sign-in form's token: an HMAC of the pre-sign-in cookie under a key derived from the server's secret."""
    key = hashlib.sha256(b"tonematch lab console sign-in\0" + secret.encode()).digest()
    return hmac.new(key, login_cookie.encode(), hashlib.sha256).hexdigest()


def _same_site(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """False for a request a browser says came from another site (``Sec-Fetch-Site``, ``Origin``)."""
    if connection.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == connection.headers.get("host", "")


async def _read_form(connection: ASGIConnection[Any, Any, Any, Any]) -> LabForm:
    if not isinstance(connection, Request):  # guards of HTTP routes are given the request
        raise CsrfRefused("not an HTTP request")
    if connection.content_type[0] == MULTIPART:
        parts = await read_form_in_memory(connection)
        fields = {name: p[-1].data.decode("utf-8", "replace") for name, p in parts.items() if p[-1].filename is None}
        files = {name: p[-1] for name, p in parts.items() if p[-1].filename is not None}
        return LabForm(fields=fields, files=files)
    body = (await connection.body()).decode("utf-8", "replace")
    return LabForm(fields=dict(parse_qsl(body, keep_blank_values=True)), files={})


async def _checked_form(connection: ASGIConnection[Any, Any, Any, Any], expected: str | None) -> None:
    """Refuse a cross-site post or one without the expected token; keep the parsed form for the handler."""
    if not _same_site(connection):
        raise CsrfRefused("The form came from another site.")
    form = await _read_form(connection)
    given = form.fields.get(CSRF_FIELD, "")
    if expected is None or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRefused("The form's security token is missing or out of date.")
    _state(connection)["lab_form"] = form


async def lab_session_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Admit a live session (as a ``lab`` principal) and, on a form post, only with its CSRF token."""
    token = connection.cookies.get(SESSION_COOKIE)
    session = await staff_service(connection.app.state).session(token) if token else None
    if session is None or token is None:
        raise LoginRequired
    connection.scope["user"] = Principal(
        role=Role.LAB,
        subject=session.staff,
        token_id=hashlib.sha256(token.encode()).hexdigest()[:32],
        expires_at=int(session.expires_at),
    )
    _state(connection).update(lab_session=session, lab_session_token=token)
    if connection.scope.get("method") in UNSAFE_METHODS:
        await _checked_form(connection, session.csrf)


async def login_csrf_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The sign-in form must carry the HMAC of its pre-sign-in cookie."""
    cookie = connection.cookies.get(LOGIN_COOKIE)
    secret: str = connection.app.state.settings.resolved_secret_key()
    await _checked_form(connection, login_csrf_token(secret, cookie) if cookie else None)


def _state(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    """The request's own state in its scope (``connection.state`` is a fresh copy where the server gave none)."""
    state: dict[str, Any] = connection.scope.setdefault("state", {})
    return state


def provide_form(request: Request[Any, Any, Any]) -> LabForm:
    form: LabForm = _state(request)["lab_form"]
    return form


def provide_session(request: Request[Any, Any, Any]) -> LabSession:
    session: LabSession = _state(request)["lab_session"]
    return session


def session_token(request: Request[Any, Any, Any]) -> str:
    token: str = _state(request)["lab_session_token"]
    return token
