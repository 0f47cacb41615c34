"""The served OpenAPI document says what the API does: every problem per operation in the shape
``api.web.problems`` returns, security per route as the routes enforce it, every request body and header, one
pagination parameter, the outbound webhook, and a description and valid examples on every schema."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from api.web.auth import PUBLIC_KEY, declared_roles
from api.web.problem_docs import problem_codes
from tests.api.openapi.helpers import served_document

PROBLEM_JSON = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method]) for path, item in document["paths"].items() for method in METHODS if method in item
    ]


def _validator(document: dict[str, Any], ref: str) -> Any:
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": ref,
        "components": document["components"],
    }
    return jsonschema_rs.Draft202012Validator(root)


def test_every_error_status_is_a_problem_document_listing_its_codes() -> None:
    document, known = served_document(), problem_codes()
    for path, method, operation in _operations(document):
        label = f"{method.upper()} {path}"
        statuses = {int(status) for status in operation["responses"] if status.isdigit()}
        assert {400, 500, 503} <= statuses, label
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            assert list(response["content"]) == [PROBLEM_JSON], label
            content = response["content"][PROBLEM_JSON]
            assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, label
            assert content["examples"], label
            problem = _validator(document, "#/components/schemas/Problem")
            for code, example in content["examples"].items():
                assert known[code].status == int(status), (label, code)
                assert f"`{code}`" in response["description"], (label, code)
                assert example["value"]["code"] == code
                problem.validate(example["value"])


def test_security_is_per_route_as_the_routes_enforce_it(app: Litestar) -> None:
    document = served_document()
    assert "security" not in document
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in document["paths"]:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method.lower() not in document["paths"][route.path_format]:
                continue
            operation = document["paths"][route.path_format][method.lower()]
            roles = sorted(role.value for role in declared_roles(handler))
            if handler.opt.get(PUBLIC_KEY):
                assert operation["security"] == [], route.path_format
                assert "401" not in operation["responses"] or "webhook" in route.path_format
            else:
                assert operation["security"] == [{"BearerToken": roles}], route.path_format
                assert {"401", "403"} <= set(operation["responses"]), route.path_format
            checked += 1
    assert checked == len(_operations(document))


def test_every_request_body_and_header_is_documented() -> None:
    paths = served_document()["paths"]
    measure = paths["/v1/measurements"]["post"]["requestBody"]
    assert measure["required"] is True
    assert set(measure["content"]) == {"multipart/form-data", "application/json"}
    assert measure["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/InstrumentReadingIn"}
    webhook = paths["/v1/webhooks/fulfilment"]["post"]
    assert webhook["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FulfilmentEventIn"
    }
    signature = {p["name"]: p for p in webhook["parameters"] if p["in"] == "header"}
    assert set(signature) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert all(p["required"] and p["schema"]["type"] == "string" for p in signature.values())
    for path in ("/v1/orders", "/v1/orders/{order_id}/reorder"):
        key = next(p for p in paths[path]["post"]["parameters"] if p["name"] == "Idempotency-Key")
        assert key["required"] is True, path
        assert key["schema"]["type"] == "string", path
        assert "Idempotent-Replayed" in paths[path]["post"]["responses"]["201"]["headers"]
    for path, method, operation in _operations(served_document()):
        if method in ("post", "put", "patch") and "requestBody" not in operation:
            assert not re.search(r"/(matches|orders|qc|corrections)$", path), path  # these read a body


def test_lists_page_with_one_cursor_parameter() -> None:
    document = served_document()
    lists = set()
    for path, _, operation in _operations(document):
        response = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
        ref = response.get("schema", {}).get("$ref", "")
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        # Lists page with `cursor`, never `before`; comparing two measurements names them `before` and `after`.
        assert "before" not in names or path in {"/v1/measurements/compare", "/v1/measurements/report"}, path
        if ref and "next_cursor" in document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]:
            assert {"limit", "cursor"} <= names, path
            lists.add(path)
    # the customer's measurements and orders, the lab's queue, the fulfilment partner's shipments, an admin's lookup
    assert {"/v1/measurements", "/v1/orders", "/v1/lab/orders", "/v1/fulfilment/orders", "/v1/admin/orders"} <= {
        path.rstrip("/") for path in lists
    }, lists


def test_the_outbound_event_is_a_webhook_of_the_document() -> None:
    document = served_document()
    event = document["webhooks"]["order.ready_to_ship"]["post"]
    assert event["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReadyToShipEvent"
    }
    assert {p["name"] for p in event["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert "ShippingAddress" in str(document["components"]["schemas"]["ReadyToShipData"])


@pytest.mark.parametrize("name", sorted(served_document()["components"]["schemas"]))
def test_every_schema_has_a_description_and_examples_that_validate(name: str) -> None:
    document = served_document()
    schema = document["components"]["schemas"][name]
    assert schema.get("description", "").strip(), name
    assert schema.get("examples"), name
    validator = _validator(document, f"#/components/schemas/{name}")
    for example in schema["examples"]:
        errors = [error.message for error in validator.iter_errors(example)]
        assert not errors, (name, errors)
