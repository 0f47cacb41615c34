"""The report drawn: a PNG of two A4 pages at 150 dpi, a PDF of two A4 pages whose text carries the measurements'
numbers; one measurement says plainly there is no trend; readings and regions without their fields still draw."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import cv2
import numpy as np
import pytest
from pypdf import PdfReader

from api.measurements.compare import compare
from api.measurements.schemas import MeasurementOut
from api.measurements.timeline import timeline
from api.reports.data import ReportData, prepare_report
from api.reports.render import PAGE_INCHES, PNG_DPI, render_report
from tests.api.reports.sample import START, history, reading

MADE = datetime(2026, 9, 3, 10, 0, tzinfo=UTC)


def _data(measurements: list[MeasurementOut]) -> ReportData:
    ordered = sorted(measurements, key=lambda m: m.created_at)
    compared = compare(ordered[0], ordered[-1]) if len(ordered) > 1 else None
    return prepare_report(measurements, timeline(measurements), compared, customer_id="cus_x", generated_at=MADE)


def _pdf_text(data: ReportData) -> tuple[int, str]:
    content = render_report(data, "pdf")
    assert content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(content)).pages
    for page in pages:
        assert [round(float(v) / 72, 2) for v in page.mediabox[2:]] == list(PAGE_INCHES)
    return len(pages), "\n".join(page.extract_text() for page in pages)


def test_the_png_is_two_a4_pages_at_its_resolution() -> None:
    image = cv2.imdecode(np.frombuffer(render_report(_data(history(3)), "png"), np.uint8), cv2.IMREAD_COLOR)
    width, height = (round(side * PNG_DPI) for side in PAGE_INCHES)
    assert image.shape[1] == pytest.approx(width, abs=1)
    assert image.shape[0] == pytest.approx(2 * height + 4, abs=2)  # the pages and the rule between them
    assert image.std() > 20  # drawn, not blank


def test_the_pdf_shows_the_measurements_numbers_conditions_and_consent() -> None:
    measurements = history(8)
    pages, text = _pdf_text(_data(measurements))
    assert pages == 2
    latest = measurements[-1]
    assert f"L* {latest.lab.L:.1f}" in text
    assert f"a* {latest.lab.a:.1f}" in text
    assert "root_polynomial_2_Finlayson2015" in text
    assert "tm-skin-v1 (nominal)" in text
    assert "5200 K" in text  # the first photo's scene white
    assert "privacy notice 2026-01" in text
    assert "Theil-Sen" in text
    assert "µM·cm" in text
    assert "ΔE00" in text
    region = next(r for r in latest.regions or [] if r.name == "left_cheek")
    assert f"ITA {region.ita_deg:.1f}°" in text
    assert "beyond noise" in text


def test_one_measurement_says_there_is_no_trend_yet() -> None:
    pages, text = _pdf_text(_data(history(1)))
    assert pages == 2
    assert "no trend yet" in " ".join(text.split())
    assert "needs two measurements" in text


def test_readings_and_regions_without_their_fields_still_draw() -> None:
    data = _data([*history(2, detailed=False), reading(1, START.replace(month=4))])
    assert all(r.ita_deg is None and r.melanin_od is None for r in data.regions)
    _, text = _pdf_text(data)
    assert "CM-700d" in text
    assert "not stated" in text
