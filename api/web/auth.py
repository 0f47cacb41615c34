"""Authentication middleware and role guards.

Every route is closed by default: it must either be declared public (``opt={"public": True}``) or
declare the roles it accepts with ``allow(...)``; ``check_every_route_declares_access`` enforces that
when the app is built.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware
from litestar.types import Guard

from api.errors import Forbidden, RevokedToken, Unauthenticated
from api.web.tokens import Principal, Role, verify_token

PUBLIC_KEY = "public"
ROLES_KEY = "roles"


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Reads ``Authorization: Bearer <token>`` and puts the ``Principal`` on ``request.user``."""

    def __init__(self, app: Any, *, secret: str, issuer: str, **kwargs: Any) -> None:
        super().__init__(app, exclude_from_auth_key=PUBLIC_KEY, **kwargs)
        self._secret = secret
        self._issuer = issuer

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            raise Unauthenticated("This endpoint needs an `Authorization: Bearer <token>` header.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("The Authorization header must use the Bearer scheme.")
        principal = verify_token(token.strip(), secret=self._secret, issuer=self._issuer)
        services = getattr(connection.app.state, "services", None)
        if services is not None and await services.storage.revoked_tokens.is_revoked(principal.token_id):
            raise RevokedToken("This bearer token has been revoked.", hint="Sign in again to get a new token.")
        return AuthenticationResult(user=principal, auth=token)


def bearer_auth_middleware(*, secret: str, issuer: str, public_prefix: str) -> DefineMiddleware:
    """Authentication for every route but those marked public and the API docs under ``public_prefix``."""
    return DefineMiddleware(BearerTokenMiddleware, secret=secret, issuer=issuer, exclude=[f"^{public_prefix}"])


def allow(*roles: Role) -> Guard:
    """A guard that admits only the given roles (403 with code ``role_not_allowed`` otherwise)."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # answered by Litestar with the route's methods (RFC 9110 §9.3.7); it reads and changes nothing
        principal = connection.scope.get("user")  # absent where the middleware does not run (e.g. HEAD)
        if not isinstance(principal, Principal):
            raise Unauthenticated("This endpoint needs an `Authorization: Bearer <token>` header.")
        if principal.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Forbidden(f"This endpoint is for the {names} role; the token's role is {principal.role.value}.")

    guard.allowed_roles = allowed  # type: ignore[attr-defined]
    return guard


def declared_roles(handler: BaseRouteHandler) -> frozenset[Role]:
    """The roles admitted by the ``allow`` guards on a handler and the layers above it (app, router, controller)."""
    roles: frozenset[Role] = frozenset()
    for layer in handler.ownership_layers:
        for guard in layer.guards or []:
            roles |= getattr(guard, "allowed_roles", frozenset())
    return roles


def check_every_route_declares_access(app: Litestar, *, public_prefix: str) -> None:
    """Fail at start-up if a route is neither public nor guarded by ``allow`` (closed by default)."""
    for route in app.routes:
        if route.path.startswith(public_prefix):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get(PUBLIC_KEY):
                continue
            if not declared_roles(handler):
                raise RuntimeError(f"route {route.path} ({handler.handler_name}) declares no roles and is not public")
