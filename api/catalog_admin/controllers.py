"""``/v1/admin/catalog``: the shade catalogue by source, for the admin role."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from api.catalog_admin.errors import CatalogueTooLarge
from api.catalog_admin.schemas import (
    CatalogueColourSpace,
    CatalogueCsv,
    CatalogueOut,
    CatalogueShadePage,
    CatalogueUpload,
    ImportReportOut,
)
from api.catalog_admin.service import SOURCE_NAME_RULE, CatalogAdminService
from api.errors import InvalidRequest
from api.web.auth import allow
from api.web.content_types import BODY_LIMIT_KEY, MULTIPART
from api.web.openapi import bearer, request_body
from api.web.problem_docs import problems
from api.web.tokens import Role
from api.web.uploads import read_form_in_memory

CSV = "text/csv"
MAX_PAGE = 500

IMPORT_PROBLEMS = (
    "invalid_catalogue",
    "catalogue_empty",
    "catalogue_encoding",
    "catalogue_columns_missing",
    "colour_space_unknown",
    "lab_out_of_range",
    "hex_invalid",
    "catalogue_rows_skipped",
    "catalogue_too_large",
    "catalogue_source_protected",
    "catalogue_import_in_progress",
    "malformed_body",
)
SourceName = Annotated[str, PathParameter(description=f"Source name: {SOURCE_NAME_RULE}; `house` is our own range")]
SourceFilter = Annotated[
    str | None, QueryParameter(max_length=64, description="One source's shades; all sources when absent")
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Shades on a page")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=100, description="`next_cursor` of the previous page; absent for the first page"),
]
ColourSpaceParameter = Annotated[
    CatalogueColourSpace | None,
    QueryParameter(description="Colour space of rows that do not state theirs in a `colour_space` column"),
]
Strict = Annotated[bool, QueryParameter(description="Refuse the file if any row lacks a brand, product, name or code")]
Approximate = Annotated[
    bool, QueryParameter(description="Mark shades approximate (sampled from web images) unless a row says otherwise")
]
DISPOSITION = ResponseHeader(
    name="Content-Disposition", documentation_only=True, description='`attachment; filename="<source>.csv"`'
)
IMPORT_BODY = request_body(
    "The catalogue file: a CSV body (`text/csv`), or a `multipart/form-data` upload with the part `file`.",
    {CSV: [CatalogueCsv], MULTIPART: [CatalogueUpload]},
    encoding={MULTIPART: {"file": CSV}},
)


async def _file(request: Request[Any, Any, Any], max_bytes: int) -> tuple[bytes, str | None]:
    """The file's bytes and name, from a CSV body or the ``file`` part of a form."""
    if request.content_type[0] != MULTIPART:
        body = await request.body()
        if len(body) > max_bytes:  # a chunked body carries no Content-Length to check early
            raise CatalogueTooLarge(f"The file is {len(body)} bytes; the limit is {max_bytes}.")
        return body, None
    form = await read_form_in_memory(request)
    others = sorted(set(form) - {"file"})
    if others:  # a colour_space part would otherwise be silently ignored, and the file read as something else
        raise InvalidRequest(
            f"The form may hold only the part 'file'; {', '.join(repr(o) for o in others)} is not read: give "
            "colour_space, strict and approximate as query parameters."
        )
    parts = form.get("file", [])
    if len(parts) != 1:
        raise InvalidRequest("The form needs exactly one part named 'file' holding the CSV.")
    return parts[0].data, parts[0].filename


class CatalogAdminController(Controller):
    path = "/v1/admin/catalog"
    tags = ["catalogue"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.ADMIN)]  # noqa: RUF012
    security = bearer(Role.ADMIN)

    @get("/", operation_id="CatalogueOverview", summary="The catalogue's sources, their shade counts and last imports")
    async def overview(self, catalog_admin: NamedDependency[CatalogAdminService]) -> CatalogueOut:
        return await catalog_admin.overview()

    @get(
        "/shades",
        operation_id="CatalogueShades",
        summary="The catalogue's shades, source by source, a page at a time",
        responses=problems("invalid_request", "not_found"),
    )
    async def shades(
        self,
        catalog_admin: NamedDependency[CatalogAdminService],
        source: SourceFilter = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> CatalogueShadePage:
        return await catalog_admin.page(source, limit=limit, cursor=cursor)

    @put(
        "/sources/{name:str}",
        operation_id="CatalogueImport",
        summary="Replace one source's shades with a catalogue file; other sources are unchanged",
        description=(
            "Reads the file (columns in `CatalogueCsv`), skips rows without a brand, product or shade name or code "
            "(`strict`: refuses the file instead), merges rows of one brand, product, name and code at their mean "
            "CIELAB, and replaces the source's shades at once. A refused file or a failure leaves the catalogue as "
            "it was; a second import of the same source while one runs is a 409. The answer reports what was "
            "skipped and merged. `house` (our packaged range) cannot be imported over."
        ),
        status_code=200,
        opt={"accepts": (CSV, MULTIPART), BODY_LIMIT_KEY: "max_catalogue_bytes"},
        operation_class=IMPORT_BODY,
        responses=problems(*IMPORT_PROBLEMS, "invalid_request"),
    )
    async def import_source(
        self,
        *,
        name: SourceName,
        request: Request[Any, Any, Any],
        catalog_admin: NamedDependency[CatalogAdminService],
        colour_space: ColourSpaceParameter = None,
        strict: Strict = False,
        approximate: Approximate = False,
    ) -> ImportReportOut:
        data, file_name = await _file(request, catalog_admin.max_bytes)
        return await catalog_admin.import_file(
            name,
            data,
            file_name=file_name,
            colour_space=colour_space.value if colour_space else None,
            strict=strict,
            approximate=approximate,
        )

    @delete(
        "/sources/{name:str}",
        operation_id="CatalogueDelete",
        summary="Delete one imported source and its shades (the house range cannot be deleted)",
        status_code=204,
        responses=problems("invalid_request", "catalogue_source_protected", "catalogue_import_in_progress"),
    )
    async def delete_source(self, name: SourceName, catalog_admin: NamedDependency[CatalogAdminService]) -> None:
        await catalog_admin.delete(name)

    @get(
        "/sources/{name:str}/export",
        operation_id="CatalogueExport",
        summary="One source's shades as CSV that imports back to the same shades",
        media_type=CSV,
        response_headers=[DISPOSITION],
        response_description="CSV: source, brand, product, shade_name, shade_code, colour_space (CIELAB D65), L, a, b, "
        "hex (an sRGB preview, not read back), approximate, original_colour_space",
        responses=problems("invalid_request"),
    )
    async def export_source(
        self, name: SourceName, catalog_admin: NamedDependency[CatalogAdminService]
    ) -> Response[str]:
        text = await catalog_admin.export(name)
        disposition = f'attachment; filename="{name}.csv"'
        return Response(text, media_type=CSV, headers={"Content-Disposition": disposition})  # Litestar adds the charset
