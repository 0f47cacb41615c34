"""``/v1/measurements/report``: the customer's own report, a PNG or a PDF, made on request and never stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import QueryParameter

from api.reports.render import ReportFormat
from api.reports.service import MEDIA_TYPES, ReportService
from api.web.auth import allow
from api.web.openapi import bearer
from api.web.problem_docs import problems
from api.web.tokens import Principal, Role

ComparedId = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=64, description="Measurement id (`msr_…`); see the description"),
]


@dataclass
class ReportOperation(Operation):
    """The operation's 200 answer in both formats (Litestar documents one media type per response)."""

    def __post_init__(self) -> None:
        answer = (self.responses or {}).get("200")
        if isinstance(answer, OpenAPIResponse):
            answer.content = {
                media_type: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY))
                for media_type in MEDIA_TYPES.values()
            }


class ReportController(Controller):
    path = "/v1/measurements/report"
    tags = ["measurements"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    security = bearer(Role.CUSTOMER)

    @get(
        "/",
        summary="The caller's report: colour swatches over time, trends, the face's regions, before and after",
        description=(
            "A report a person would rather look at than read, as `format=png` (two A4 pages one above the other, "
            "150 dpi) or `format=pdf` (two A4 pages): each measurement's colour (sRGB, display only), the melanin "
            "and erythema indices (and evenness and spots where measured) over time with their 95 % intervals, the "
            "Theil-Sen trend and the verdict in words, a drawn face with each region's values, the before/after "
            "table of the first and latest measurement (or of `before` and `after`, two of the caller's "
            "measurements; either defaults), how each measurement was made and the consent given. Made on request "
            "and never stored. No measurement yet, or an id that is not the caller's: 404; the same measurement as "
            "`before` and `after`: 400."
        ),
        media_type=MEDIA_TYPES["png"],
        operation_class=ReportOperation,
        response_headers=[
            ResponseHeader(name="Cache-Control", value="no-store", description="Personal data: never cached"),
            ResponseHeader(
                name="Content-Disposition",
                documentation_only=True,
                required=True,
                description='`attachment; filename="tonematch-report-<customer>-<first>_<last>.<format>"`',
            ),
        ],
        responses=problems("invalid_request", "not_found"),
    )
    async def report(
        self,
        principal: NamedDependency[Principal],
        reports: NamedDependency[ReportService],
        image_format: Annotated[
            ReportFormat, QueryParameter(name="format", description="`png` (default) or `pdf`")
        ] = "png",
        before: ComparedId = None,
        after: ComparedId = None,
    ) -> Response[bytes]:
        report = await reports.render(principal.subject, image_format, before_id=before, after_id=after)
        return Response(
            report.content,
            media_type=report.media_type,
            headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
        )
