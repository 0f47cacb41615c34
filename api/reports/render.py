"""Draw a report (``ReportData``) as a PDF (two A4 portrait pages) or a PNG (the same two pages, one above the
other). Pure: data in, bytes out, with matplotlib's Agg and PDF backends (no pyplot, no display).

Page 1 is the picture: the colour of each measurement, the trend of each index with its 95 % intervals and
verdict, the face with each region's values, and the before/after table. Page 2 the details: the regions before
and after, how each measurement was made, the consent, and how to read the numbers.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

import cv2
import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator
from matplotlib.typing import RcKeyType

from api.reports.data import ReportData, Series
from api.reports.face import draw_face
from api.reports.table import ComparisonRow

ReportFormat = Literal["png", "pdf"]
PAGE_INCHES = (8.27, 11.69)  # A4 portrait
SWATCHES_IN = 1.1  # the row of swatches: 0.58 in of colour, the date and L*, a*, b* under it
FACE_IN = 3.3  # the face diagram's band: room for two labels of eight lines on each side
PNG_DPI = 150  # 1240 × 1754 px a page: sharp on a phone, small enough to send
PNG_COMPRESSION = 6  # zlib level: 9 makes the file 2 % smaller in twice the time
HOW_TO_READ_IN = 1.45  # its heading and seven lines
SHORT_SPAN = timedelta(days=45)  # below this, date ticks at the measurements (automatic ones fall between days)
MARGIN = 0.6 / PAGE_INCHES[0]  # left and right, as a fraction of the page's width
# DejaVu Sans ships with matplotlib and has µ, °, Δ, ±; TrueType fonts (42) keep the PDF's text searchable.
RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "pdf.fonttype": 42,
    "axes.titlesize": 8.5,
    "axes.linewidth": 0.6,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
INK, MUTED, ACCENT, CHANGED = "#222222", "#666666", "#2f5d8a", "#b5452b"
DISPLAY_ONLY = "display only: a screen or a print cannot show the measured colour; the numbers are CIELAB D65/2°"
# matplotlib's rcParams are one per process: one report is drawn at a time.
_DRAWING = threading.Lock()


def _date(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _fraction(top_in: float, height_in: float) -> tuple[float, float]:
    """Bottom and height, as fractions of the page, of a band ``top_in`` inches from the top."""
    return 1 - (top_in + height_in) / PAGE_INCHES[1], height_in / PAGE_INCHES[1]


def _band(fig: Figure, top_in: float, height_in: float, left: float = MARGIN, width: float = 1 - 2 * MARGIN) -> Axes:
    bottom, height = _fraction(top_in, height_in)
    return fig.add_axes((left, bottom, width, height))


def _heading(fig: Figure, top_in: float, text: str, note: str | None = None) -> float:
    """A section's title (and a small note under it); returns where the section's content starts."""
    fig.text(MARGIN, 1 - top_in / PAGE_INCHES[1], text, fontsize=11, fontweight="bold", color=INK, va="top")
    if not note:
        return top_in + 0.3
    fig.text(MARGIN, 1 - (top_in + 0.25) / PAGE_INCHES[1], note, fontsize=6.5, color=MUTED, va="top")
    return top_in + 0.45


def _header(fig: Figure, data: ReportData, title: str) -> None:
    span = _date(data.first) if data.count == 1 else f"{_date(data.first)} – {_date(data.last)}"
    consent = ", ".join(data.consent_versions)
    top = 1 - 0.45 / PAGE_INCHES[1]
    fig.text(MARGIN, top, title, fontsize=16, fontweight="bold", color=INK, va="top")
    fig.text(
        MARGIN, top - 0.36 / PAGE_INCHES[1],
        f"Customer {data.customer_id}  ·  {data.count} measurement{'s' if data.count > 1 else ''}  ·  {span}",
        fontsize=9, color=INK, va="top",
    )  # fmt: skip
    fig.text(
        MARGIN, top - 0.56 / PAGE_INCHES[1],
        f"Consent: privacy notice {consent}  ·  made {data.generated_at:%Y-%m-%d %H:%M} UTC on request, not stored",
        fontsize=7.5, color=MUTED, va="top",
    )  # fmt: skip


def _swatches(fig: Figure, data: ReportData, top_in: float) -> float:
    left_out = f"  ({len(data.swatches)} of {data.count}, spread over the period)" if data.swatches_left_out else ""
    content = _heading(fig, top_in, "Skin colour at each measurement" + left_out, "Swatches: " + DISPLAY_ONLY)
    ax = _band(fig, content, SWATCHES_IN)
    ax.axis("off")
    slots = max(len(data.swatches), 8)  # a lone swatch stays swatch-sized
    ax.set_xlim(0, slots)
    ax.set_ylim(0, SWATCHES_IN)
    for i, swatch in enumerate(data.swatches):
        ax.add_patch(Rectangle((i + 0.08, 0.5), 0.84, 0.58, facecolor=swatch.sRGB, edgecolor="#999999", lw=0.5))
        ax.text(i + 0.5, 0.46, _date(swatch.taken), ha="center", va="top", fontsize=6.5, color=INK)
        lab = "\n".join(f"{name} {value:.1f}" for name, value in zip(("L*", "a*", "b*"), swatch.Lab, strict=True))
        ax.text(i + 0.5, 0.33, lab, ha="center", va="top", fontsize=5.8, color=MUTED, linespacing=1.25)
    return content + SWATCHES_IN + 0.2


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


def _date_axis(ax: Axes, series: Sequence[Series]) -> None:
    """Dates of every series on one scale; a short span is ticked at its measurements' days."""
    moments = sorted({p.taken for s in series for p in s.points})
    first, last = moments[0], moments[-1]
    pad = max((last - first) * 0.06, timedelta(days=10))
    ax.set_xlim(mdates.date2num(first - pad), mdates.date2num(last + pad))
    if last - first < SHORT_SPAN:
        ax.xaxis.set_major_locator(FixedLocator([mdates.date2num(m) for m in moments[:: max(1, len(moments) // 4)]]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b %Y"))
        return
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))  # the title says the year


def _chart(ax: Axes, series: Series, every: Sequence[Series]) -> None:
    dates = [mdates.date2num(p.taken) for p in series.points]
    values = [p.value for p in series.points]
    stated = [i for i, p in enumerate(series.points) if p.half_width_95 is not None]
    unstated = [i for i, p in enumerate(series.points) if p.half_width_95 is None]
    if stated:
        ax.errorbar([dates[i] for i in stated], [values[i] for i in stated],
                    yerr=[series.points[i].half_width_95 or 0.0 for i in stated], fmt="o", ms=3.5, color=ACCENT,
                    ecolor="#8fb0cf", elinewidth=1.0, capsize=2)  # fmt: skip
    if unstated:
        ax.plot([dates[i] for i in unstated], [values[i] for i in unstated], "s", ms=3.5, mfc="white", color=ACCENT)
    if series.trend is not None:
        line = series.trend
        ax.plot([mdates.date2num(line.start), mdates.date2num(line.end)], [line.start_value, line.end_value], "--",
                color=CHANGED if line.changing else MUTED, lw=1.2)  # fmt: skip
    ax.set_title(series.title, loc="left", color=INK, fontweight="bold")
    ax.set_ylabel(series.unit, fontsize=7, color=MUTED)
    ax.grid(axis="y", color="#e4e4e4", lw=0.5)
    ax.tick_params(length=2)
    _date_axis(ax, every)


def _legend(fig: Figure, top_in: float) -> None:
    handles = [
        Line2D([], [], marker="o", ms=3.5, color=ACCENT, ls="-", lw=1.0),
        Line2D([], [], marker="s", ms=3.5, mfc="white", color=ACCENT, ls=""),
        Line2D([], [], color=MUTED, ls="--", lw=1.2),
        Line2D([], [], color=CHANGED, ls="--", lw=1.2),
    ]
    labels = ["measurement, 95 % interval", "no stated uncertainty", "trend (Theil-Sen)", "steady change"]
    bottom, _ = _fraction(top_in, 0.0)
    fig.legend(handles, labels, loc="upper right", bbox_to_anchor=(1 - MARGIN, bottom + 0.03 / PAGE_INCHES[1]),
               ncol=4, frameon=False, fontsize=6.5, handlelength=1.8, columnspacing=1.2)  # fmt: skip


def _charts(fig: Figure, data: ReportData, top_in: float) -> float:
    """The trend charts, two a row, each with its verdict below; returns where the next section starts."""
    content = _heading(fig, top_in, "Change over time")
    _legend(fig, top_in)
    series = list(data.series)
    gap = 0.45 / PAGE_INCHES[0]
    width = (1 - 2 * MARGIN - gap) / 2
    axis_room = 0.35 / PAGE_INCHES[0]  # the y tick labels, left of each chart
    chart_in = 2.0 if len(series) <= 2 else 1.35
    row_in = chart_in + 0.95  # the dates under the chart and four lines of verdict
    for i, one in enumerate(series):
        column, row = i % 2, i // 2
        top = content + 0.15 + row * row_in
        left = MARGIN + column * (width + gap)
        _chart(_band(fig, top, chart_in, left=left + axis_room, width=width - axis_room), one, series)
        fig.text(left, 1 - (top + chart_in + 0.28) / PAGE_INCHES[1], _wrap(one.verdict, 70), fontsize=6.5,
                 color=INK, va="top", linespacing=1.3)  # fmt: skip
    return content + 0.15 + (len(series) + 1) // 2 * row_in


def _table(ax: Axes, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           *, marked: Sequence[bool] = (), row_in: float = 0.19, font: float = 7.0) -> None:  # fmt: skip
    """Rows of text in columns of relative ``widths``; a row ``marked`` is drawn in the change colour."""
    ax.axis("off")
    height_in = ax.get_position().height * PAGE_INCHES[1]
    step = row_in / height_in
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    starts = np.concatenate([[0.0], np.cumsum(widths)[:-1]]) / sum(widths)
    for x, text in zip(starts, header, strict=True):
        ax.text(x + 0.005, 1 - step / 2, text, fontsize=font, fontweight="bold", va="center", color=INK)
    ax.axhline(1 - step, color=INK, lw=0.6)
    for r, row in enumerate(rows):
        y = 1 - (r + 1.5) * step
        if r % 2:
            ax.add_patch(Rectangle((0, y - step / 2), 1, step, facecolor="#f3f3f3", edgecolor="none"))
        colour = CHANGED if r < len(marked) and marked[r] else INK
        for x, text in zip(starts, row, strict=True):
            ax.text(x + 0.005, y, text, fontsize=font, va="center", color=colour)


def _comparison_rows(rows: Sequence[ComparisonRow]) -> list[list[str]]:
    return [[row.label, row.before, row.after, row.change, row.noise, row.verdict] for row in rows]


def _before_after(fig: Figure, data: ReportData, top_in: float) -> float:
    comparison = data.comparison
    if comparison is None:
        content = _heading(fig, top_in, "Before and after")
        fig.text(MARGIN, 1 - content / PAGE_INCHES[1], "A before/after comparison needs two measurements.",
                 fontsize=8, color=INK, va="top")  # fmt: skip
        return content + 0.4
    title = f"Before and after: {_date(comparison.before_taken)} → {_date(comparison.after_taken)}"
    content = _heading(fig, top_in, title, "Red: a change beyond the two measurements' combined 95 % uncertainty")
    rows = comparison.rows
    ax = _band(fig, content, 0.2 * (len(rows) + 1) + 0.02)
    header = ["", "before", "after", "change", "noise (95 %)", "verdict"]
    _table(ax, header, _comparison_rows(rows), [2.6, 1.0, 1.0, 1.0, 1.1, 1.0],
           marked=[bool(row.beyond_noise) for row in rows], row_in=0.2, font=7.2)  # fmt: skip
    summary = _wrap(comparison.summary, 128)
    fig.text(MARGIN, 1 - (content + 0.2 * (len(rows) + 1) + 0.15) / PAGE_INCHES[1], summary, fontsize=7, color=INK,
             va="top", linespacing=1.3)  # fmt: skip
    return content + 0.2 * (len(rows) + 1) + 0.3 + 0.14 * (summary.count("\n") + 1)


def _how_to_read(fig: Figure, top_in: float) -> None:
    content = _heading(fig, top_in, "How to read this report")
    fig.text(MARGIN, 1 - content / PAGE_INCHES[1], _wrap(HOW_TO_READ, 128), fontsize=7, color=INK, va="top",
             linespacing=1.4)  # fmt: skip


def summary_page(data: ReportData) -> tuple[Figure, float]:
    """Page 1: the colour of each measurement, the trend charts and the before/after table; and where it ends."""
    fig = Figure(figsize=PAGE_INCHES)
    _header(fig, data, "Skin measurement report")
    top = _charts(fig, data, _swatches(fig, data, 1.3))
    if data.note:
        fig.text(MARGIN, 1 - top / PAGE_INCHES[1], _wrap(data.note, 115), fontsize=8.5, color=CHANGED, va="top",
                 linespacing=1.3)  # fmt: skip
        top += 0.5
    return fig, _before_after(fig, data, top + 0.1)


def _region_matrix(fig: Figure, data: ReportData, top_in: float) -> float:
    matrix = data.comparison.regions if data.comparison else None
    if data.comparison is None or matrix is None:
        return top_in
    span = f"{_date(data.comparison.before_taken)} → {_date(data.comparison.after_taken)}"
    note = "Each cell: before → after, then the change and its noise (95 %); red when beyond the noise"
    content = _heading(fig, top_in, f"Regions before and after: {span}", note)
    row_in = 0.34
    ax = _band(fig, content, row_in * (len(matrix.rows) + 0.6))
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(-row_in * (len(matrix.rows) + 0.6), 0)
    first = 0.27
    width = (1 - first) / len(matrix.columns)
    for c, column in enumerate(matrix.columns):
        ax.text(first + c * width, -0.12, column, fontsize=7.2, fontweight="bold", va="center", color=INK)
    ax.axhline(-0.24, color=INK, lw=0.6)
    for r, (label, cells) in enumerate(matrix.rows):
        y = -0.24 - row_in * (r + 0.5)
        if r % 2:
            ax.add_patch(Rectangle((0, y - row_in / 2), 1, row_in, facecolor="#f3f3f3", edgecolor="none"))
        ax.text(0.005, y, _wrap(label, 42), fontsize=6.8, va="center", color=INK)
        for c, cell in enumerate(cells):
            if cell is not None:
                colour = CHANGED if cell.beyond_noise else INK
                ax.text(first + c * width, y, f"{cell.values}\n{cell.change}", fontsize=6.5, va="center",
                        color=colour, linespacing=1.3)  # fmt: skip
    return content + row_in * (len(matrix.rows) + 0.6) + 0.3


def _conditions_rows(data: ReportData) -> list[list[str]]:
    return [
        [f"{row.taken:%Y-%m-%d %H:%M}", row.source, row.input_mode, row.card, row.calibration, row.scene_white,
         row.uncertainty, row.consent]
        for row in data.conditions
    ]  # fmt: skip


HOW_TO_READ = (
    "Colours are measured as CIE 1976 L*a*b* (D65 white, CIE 1931 2° observer); the swatches and region colours "
    "are sRGB renderings for display only. The melanin index is an optical density at 500 nm and the erythema "
    "index haemoglobin in µM·cm, both relative to a reference skin (0), negative meaning lighter or paler. A change "
    "counts only beyond the two measurements' combined 95 % uncertainty (half-widths in quadrature); a trend is a "
    "Theil-Sen slope per month from three measurements on two days or more, steady when its 95 % interval excludes "
    "no change and it moves the metric by more than the first and last measurements' combined noise. Instrument "
    "readings state no uncertainty, so their changes cannot be told from noise. Compare measurements taken in "
    "similar light: the conditions below say how each was made."
)


def details_page(data: ReportData) -> tuple[Figure, float]:
    """Page 2: the face and its regions, how each measurement was made, the consent; and where it ends."""
    fig = Figure(figsize=PAGE_INCHES)
    _header(fig, data, "Regions and conditions")
    taken = "" if data.regions_taken is None else f": the latest photo, {_date(data.regions_taken)}"
    content = _heading(fig, 1.3, "Face regions" + taken,
                       "Drawn, not photographed; left is the photo's left. Region colours: display only.")  # fmt: skip
    draw_face(_band(fig, content, FACE_IN), data.regions)
    top = _region_matrix(fig, data, content + FACE_IN + 0.15)
    left_out = f"  (the latest {len(data.conditions)} of {data.count})" if data.conditions_left_out else ""
    content = _heading(fig, top, "How each measurement was made" + left_out)
    ax = _band(fig, content, 0.17 * (len(data.conditions) + 1) + 0.02)
    header = ["date (UTC)", "source", "input", "card (print batch)", "calibration", "scene white", "uncertainty",
              "consent"]  # fmt: skip
    _table(ax, header, _conditions_rows(data), [1.1, 0.7, 0.85, 1.25, 2.0, 0.75, 0.9, 0.6], row_in=0.17, font=6.3)
    top = content + 0.17 * (len(data.conditions) + 1) + 0.3
    content = _heading(fig, top, "Consent")
    consent = (
        f"Every measurement here was made with the customer's consent to privacy notice version "
        f"{', '.join(data.consent_versions)}. This report is made on request and is not stored."
    )
    fig.text(MARGIN, 1 - content / PAGE_INCHES[1], _wrap(consent, 125), fontsize=7.5, color=INK, va="top")
    return fig, content + 0.45


def _png(pages: Sequence[Figure]) -> bytes:
    images = []
    for page in pages:
        canvas = FigureCanvasAgg(page)
        page.set_dpi(PNG_DPI)
        canvas.draw()
        images.append(np.asarray(canvas.buffer_rgba())[..., :3])
    rule = np.full((4, images[0].shape[1], 3), 200, dtype=np.uint8)
    stacked = np.concatenate([images[0], *[part for image in images[1:] for part in (rule, image)]])
    BGR = cv2.cvtColor(stacked, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", BGR, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise RuntimeError("the report could not be encoded as PNG")
    return encoded.tobytes()


def _pdf(pages: Sequence[Figure], data: ReportData) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Title": f"Skin measurement report, {data.customer_id}", "Creator": "tonematch"}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for page in pages:
            pdf.savefig(page)
    return buffer.getvalue()


def render_report(data: ReportData, image_format: ReportFormat) -> bytes:
    """The report as PDF bytes (two A4 pages) or PNG bytes (both pages stacked, ``PNG_DPI``)."""
    with _DRAWING, matplotlib.rc_context(RC):
        summary, summary_end = summary_page(data)
        details, details_end = details_page(data)
        # The reading notes go where they fit: under the before/after table, else at the end of page 2.
        _how_to_read(
            *((summary, summary_end) if summary_end + HOW_TO_READ_IN < PAGE_INCHES[1] else (details, details_end))
        )
        pages = [summary, details]
        return _pdf(pages, data) if image_format == "pdf" else _png(pages)
