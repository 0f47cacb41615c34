"""The catalogue routes in the served document (their bodies, answers and problems), and a client generated from it
importing, paging, exporting and deleting a source."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from api.catalog_admin.controllers import IMPORT_PROBLEMS
from api.web.tokens import Role
from tests.api.openapi.helpers import served_document
from tests.api.openapi.test_generated_client import generated  # noqa: F401 - the fixture

PROBLEM_JSON = "application/problem+json"
ACME = b"brand,product,shade_name,shade_code,hex\nAcme,Silk,Ivory,01,#E8C8A8\nAcme,Silk,,,#aabbcc\n"


def _codes(operation: dict[str, Any]) -> set[str]:
    return {
        code
        for status, response in operation["responses"].items()
        if int(status) >= 400
        for code in response["content"][PROBLEM_JSON]["examples"]
    }


def test_every_catalogue_route_documents_its_problems() -> None:
    paths = served_document()["paths"]
    put = paths["/v1/admin/catalog/sources/{name}"]["put"]
    assert set(IMPORT_PROBLEMS) <= _codes(put)
    assert set(put["requestBody"]["content"]) == {"text/csv", "multipart/form-data"}
    assert put["requestBody"]["content"]["multipart/form-data"]["encoding"]["file"]["contentType"] == "text/csv"
    assert {p["name"] for p in put["parameters"]} == {"name", "colour_space", "strict", "approximate"}
    assert put["security"] == [{"BearerToken": ["admin"]}]
    removed = paths["/v1/admin/catalog/sources/{name}"]["delete"]
    assert {"catalogue_source_protected", "catalogue_import_in_progress", "not_found"} <= _codes(removed)
    export = paths["/v1/admin/catalog/sources/{name}/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"text/csv"}
    assert "Content-Disposition" in export["responses"]["200"]["headers"]
    assert {"invalid_request", "not_found"} <= _codes(paths["/v1/admin/catalog/shades"]["get"])
    for operation in (put, removed, export, paths["/v1/admin/catalog"]["get"]):
        assert {"token_missing", "role_not_allowed", "storage_unavailable"} <= _codes(operation)


def test_a_generated_client_imports_pages_exports_and_deletes(
    generated: Any,  # noqa: F811 - the fixture
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
) -> None:
    def module(name: str) -> Any:
        return importlib.import_module(f"{generated.__name__}.{name}")

    models, types = module("models"), module("types")
    client.headers.update(auth(Role.ADMIN))
    api = generated.AuthenticatedClient(base_url=str(client.base_url), token="unused").set_httpx_client(client)

    csv = types.File(payload=ACME, file_name="acme.csv", mime_type="text/csv")
    srgb = models.CatalogueColourSpace.SRGB  # the colour space of rows that do not say theirs
    report = module("api.catalogue.catalogue_import").sync(name="acme", client=api, body=csv, colour_space=srgb)
    assert isinstance(report, models.ImportReportOut), report
    assert (report.imported, report.skipped_count) == (1, 1)
    page = module("api.catalogue.catalogue_shades").sync(client=api, source="acme")
    assert [item.shade_name for item in page.items] == ["Ivory"]
    overview = module("api.catalogue.catalogue_overview").sync(client=api)
    assert [(s.name, s.shades) for s in overview.sources] == [("house", 18), ("acme", 1)]
    exported = module("api.catalogue.catalogue_export").sync(name="acme", client=api)
    assert exported.decode().startswith("source,brand,product,shade_name")  # text/csv: bytes
    deleted = module("api.catalogue.catalogue_delete").sync_detailed(name="house", client=api)
    assert deleted.status_code == 409
    assert isinstance(deleted.parsed, models.Problem)
    assert deleted.parsed.code == "catalogue_source_protected"
    assert module("api.catalogue.catalogue_delete").sync_detailed(name="acme", client=api).status_code == 204
