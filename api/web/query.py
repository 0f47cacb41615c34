"""Unknown query parameters are refused: ``?before=`` where a route takes ``cursor`` would otherwise be ignored in
silence, and a client would page forever through the first page.

``record_query_parameters`` writes, once the app is built, the query parameters each documented route takes (as
Litestar resolved them, its dependencies' included) into the handler's ``opt``; ``known_query_parameters_guard``
answers any other one with a 400 ``invalid_request`` naming it.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute

from api.errors import InvalidRequest

QUERY_PARAMETERS_KEY = "query_parameters"


def record_query_parameters(app: Litestar) -> None:
    """Note on every documented route handler the query parameters it takes."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, kwargs_model in route.route_handler_map.values():
            if handler.resolve_include_in_schema():
                names = frozenset(param.field_alias for param in kwargs_model.expected_query_params)
                handler.opt[QUERY_PARAMETERS_KEY] = names


def known_query_parameters_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    taken: frozenset[str] | None = handler.opt.get(QUERY_PARAMETERS_KEY)
    if taken is None:  # not a documented route (the API docs, Litestar's own OPTIONS answers)
        return
    unknown = sorted(set(connection.query_params.keys()) - taken)
    if unknown:
        named = ", ".join(repr(name) for name in unknown)
        takes = f"this endpoint takes: {', '.join(sorted(taken))}" if taken else "this endpoint takes none"
        raise InvalidRequest(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''} {named}; {takes}.",
            extra={
                "errors": [{"key": name, "message": "unknown query parameter", "source": "query"} for name in unknown]
            },
        )


__all__ = ["QUERY_PARAMETERS_KEY", "known_query_parameters_guard", "record_query_parameters"]
