"""Reports: gather a customer's measurements, their timeline and a before/after comparison, and draw them in a
worker thread. Made on request, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import anyio

from api.errors import InvalidRequest, NotFound
from api.measurements.compare import compare
from api.measurements.schemas import MeasurementOut
from api.measurements.service import MeasurementService
from api.reports.data import ReportData, prepare_report
from api.reports.render import ReportFormat, render_report

MEDIA_TYPES: dict[ReportFormat, str] = {"png": "image/png", "pdf": "application/pdf"}


@dataclass(frozen=True)
class Report:
    """A drawn report: its bytes, media type and a file name that says whose and when."""

    content: bytes
    media_type: str
    filename: str


def _pick(measurements: list[MeasurementOut], measurement_id: str | None, default: MeasurementOut) -> MeasurementOut:
    if measurement_id is None:
        return default
    found = next((m for m in measurements if m.id == measurement_id), None)
    if found is None:  # unknown, another customer's or expired: the same answer, so ids cannot be probed
        raise NotFound(f"No measurement {measurement_id!r}.")
    return found


class ReportService:
    """A customer's report over the measurement service; drawing runs off the event loop under ``limiter``."""

    def __init__(self, measurements: MeasurementService, *, limiter: anyio.CapacityLimiter) -> None:
        self.measurements = measurements
        self._limiter = limiter

    async def data(self, customer_id: str, *, before_id: str | None = None, after_id: str | None = None) -> ReportData:
        """What the report shows; 404 with no measurement or an id not the customer's, 400 for one id twice."""
        measurements = sorted(await self.measurements.all_of(customer_id), key=lambda m: m.created_at)
        if not measurements:
            raise NotFound(
                "There is no measurement to report on yet.",
                hint="Measure your skin with the app (a photo beside the card) first; the report shows what follows.",
            )
        before = _pick(measurements, before_id, measurements[0])
        after = _pick(measurements, after_id, measurements[-1])
        if before.id == after.id and (before_id or after_id):
            raise InvalidRequest(
                "`before` and `after` are the same measurement: compare two different ones.",
                extra={"errors": [{"key": "after", "message": "must differ from before", "source": "query"}]},
            )
        comparison = None if before.id == after.id else compare(before, after)
        history = await self.measurements.timeline(customer_id)
        return prepare_report(
            measurements, history, comparison, customer_id=customer_id, generated_at=datetime.now(UTC)
        )

    async def render(
        self,
        customer_id: str,
        image_format: ReportFormat,
        *,
        before_id: str | None = None,
        after_id: str | None = None,
    ) -> Report:
        """The customer's report as PNG or PDF bytes, drawn in a worker thread."""
        data = await self.data(customer_id, before_id=before_id, after_id=after_id)
        content = await anyio.to_thread.run_sync(partial(render_report, data, image_format), limiter=self._limiter)
        return Report(content, MEDIA_TYPES[image_format], report_filename(data, image_format))


def report_filename(data: ReportData, image_format: ReportFormat) -> str:
    """``tonematch-report-<customer>-<first day>_<last day>.<format>``."""
    return f"tonematch-report-{data.customer_id}-{data.first:%Y%m%d}_{data.last:%Y%m%d}.{image_format}"
