"""The catalogue by source, for the admin's routes and the ``tonematch catalog`` commands alike.

Sources: ``house`` is our own range, packaged with the service (``catalog.packaged_data``): it is listed and
exported but never imported over nor deleted, so that a match always has our shades to offer. ``legacy`` is the
catalogue stored before sources: listed, exported and deletable, not imported into. Any other name (lower-case
letters, digits, ``.``, ``_``, ``-``; at most 64) is a source an import creates or replaces whole.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio

from api.catalog_admin.errors import CatalogueTooLarge, SourceBusyProblem, SourceProtected, refused
from api.catalog_admin.schemas import (
    CatalogueOut,
    CatalogueShadeOut,
    CatalogueShadePage,
    CatalogueSourceOut,
    ImportReportOut,
    MergedShadeOut,
    SkippedRowOut,
)
from api.errors import InvalidRequest, NotFound
from api.schemas import LabD65
from api.storage.shades import LEGACY_SOURCE, ShadeRepository, SourceBusy
from catalog.packaged_data import house_shades
from catalog.shade_import import SPREAD_NOTICE_DE00, ImportResult, MergedShade, catalogue_csv, read_catalogue
from catalog.shades import CatalogueError, Shade, unique_shades

HOUSE_SOURCE = "house"
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SOURCE_NAME_RULE = "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64"
REPORT_ROWS = 100  # rows listed in a report; the counts cover all


def check_source_name(name: str) -> str:
    if not SOURCE_NAME.fullmatch(name):
        raise InvalidRequest(f"{name!r} is not a source name: use {SOURCE_NAME_RULE}.")
    return name


def source_name_for(file_name: str) -> str:
    """A source name from a file's name: its stem, lower-cased, other characters made ``-``."""
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    return (re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-._") or "imported")[:64]


def _house() -> list[Shade]:
    return [replace(shade, source=HOUSE_SOURCE) for shade in house_shades()]


def _lab(Lab: tuple[float, float, float]) -> LabD65:
    return LabD65(L=Lab[0], a=Lab[1], b=Lab[2])


def shade_out(shade: Shade) -> CatalogueShadeOut:
    return CatalogueShadeOut(
        source=shade.source, brand=shade.brand, product=shade.product, shade_name=shade.name,
        shade_code=shade.code, lab=_lab(shade.Lab_D65), colour_space=shade.colour_space,
        approximate=shade.approximate,
    )  # fmt: skip


def _merged_out(merged: MergedShade) -> MergedShadeOut:
    shade = merged.shade
    return MergedShadeOut(
        brand=shade.brand, product=shade.product, shade_name=shade.name, shade_code=shade.code,
        lines=list(merged.lines), lab=_lab(shade.Lab_D65), spread_dE00=merged.spread_dE00,
    )  # fmt: skip


def _report(
    source: str, file_name: str | None, result: ImportResult, *, replaced: int, total: int, seconds: float
) -> ImportReportOut:
    reasons: dict[str, int] = {}
    for row in result.skipped:
        reasons[row.reason] = reasons.get(row.reason, 0) + 1
    merged = sorted(result.merged, key=lambda m: -m.spread_dE00)
    return ImportReportOut(
        source=source,
        file_name=file_name,
        rows_read=result.rows_read,
        imported=len(result.shades),
        replaced=replaced,
        skipped_count=len(result.skipped),
        skipped_reasons=reasons,
        skipped=[SkippedRowOut(line=row.line, reason=row.reason) for row in result.skipped[:REPORT_ROWS]],
        merged_count=len(result.merged),
        rows_merged=result.rows_merged,
        merged_over_notice=sum(m.spread_dE00 > SPREAD_NOTICE_DE00 for m in merged),
        merged=[_merged_out(m) for m in merged[:REPORT_ROWS]],
        colour_spaces=result.colour_spaces,
        columns=result.columns,
        catalogue_shades=total,
        seconds=round(seconds, 3),
    )


def _parse_cursor(cursor: str | None, names: list[str]) -> tuple[int, int]:
    if cursor is None:
        return 0, 0
    name, _, offset = cursor.rpartition(":")
    if name not in names or not offset.isdigit():
        raise InvalidRequest("The cursor is not one this API returned.")
    return names.index(name), int(offset)


class CatalogAdminService:
    """Sources and their shades; imports that replace one source (parsed off the event loop), export, delete."""

    def __init__(self, repository: ShadeRepository, *, max_bytes: int, limiter: anyio.CapacityLimiter) -> None:
        self._repository = repository
        self.max_bytes = max_bytes
        self._limiter = limiter

    async def _counts(self) -> dict[str, int]:
        """Shades per source, the house range first."""
        stored = await self._repository.sources()
        return {HOUSE_SOURCE: len(house_shades()), **{name: record["shades"] for name, record in stored.items()}}

    async def overview(self) -> CatalogueOut:
        stored = await self._repository.sources()
        sources = [CatalogueSourceOut(name=HOUSE_SOURCE, shades=len(house_shades()), protected=True)]
        for name, record in stored.items():
            fields = {k: v for k, v in record.items() if k in CatalogueSourceOut.model_fields}
            sources.append(CatalogueSourceOut.model_validate({**fields, "name": name, "protected": False}))
        every = await self.shades()
        distinct = await anyio.to_thread.run_sync(unique_shades, every, limiter=self._limiter)
        return CatalogueOut(sources=sources, shades=len(every), distinct_shades=len(distinct))

    async def shades(self, source: str | None = None) -> list[Shade]:
        """Every shade of one source, or of all (the house range first); ``NotFound`` for an unknown source."""
        if source == HOUSE_SOURCE:
            return _house()
        if source is not None:
            if check_source_name(source) not in await self._counts():
                raise NotFound(f"No catalogue source {source!r}.")
            rows = await self._repository.page(source, 0, 1 << 30)
        else:
            rows = await self._repository.all()
        stored = [Shade.from_record(row) for row in rows]
        return stored if source is not None else [*_house(), *stored]

    async def page(self, source: str | None, *, limit: int, cursor: str | None) -> CatalogueShadePage:
        """Shades after ``cursor`` (``source:offset``, as ``next_cursor`` gave it), source by source."""
        counts = await self._counts()
        if source is not None and check_source_name(source) not in counts:
            raise NotFound(f"No catalogue source {source!r}.")
        names = [source] if source is not None else list(counts)
        index, offset = _parse_cursor(cursor, names)
        items: list[Shade] = []
        while index < len(names) and len(items) < limit:
            name, take = names[index], min(limit - len(items), counts[names[index]] - offset)
            if take > 0:
                if name == HOUSE_SOURCE:
                    items += _house()[offset : offset + take]
                else:
                    items += [Shade.from_record(r) for r in await self._repository.page(name, offset, take)]
                offset += take
            if offset >= counts[name]:
                index, offset = index + 1, 0
        while index < len(names) and counts[names[index]] == 0:
            index += 1
        next_cursor = f"{names[index]}:{offset}" if index < len(names) else None
        return CatalogueShadePage(items=[shade_out(s) for s in items], next_cursor=next_cursor)

    async def export(self, source: str | None = None) -> str:
        """CSV of one source, or of all, that imports back to the same shades (``catalog.shade_import``)."""
        return catalogue_csv(await self.shades(source))

    async def import_file(
        self,
        source: str,
        data: bytes,
        *,
        file_name: str | None = None,
        file_format: str = "csv",
        colour_space: str | None = None,
        strict: bool = False,
        approximate: bool = False,
    ) -> ImportReportOut:
        """Replace the shades of ``source`` with those of the file; other sources are untouched. A refused file, a
        failure or a concurrent import of the source (409) leaves the catalogue as it was."""
        if check_source_name(source) in (HOUSE_SOURCE, LEGACY_SOURCE):
            raise SourceProtected(
                f"The source {source!r} cannot be imported into: "
                + (
                    "it is our packaged range."
                    if source == HOUSE_SOURCE
                    else "it holds the shades stored before sources."
                ),
                hint="Import under another source name.",
            )
        if len(data) > self.max_bytes:
            raise CatalogueTooLarge(
                f"The file is {len(data)} bytes; the limit is {self.max_bytes} (TONEMATCH_MAX_CATALOGUE_BYTES).",
                hint="Split the catalogue into several sources.",
            )
        started = time.perf_counter()
        read = partial(read_catalogue, data, file_format=file_format, colour_space=colour_space, strict=strict,
                       approximate=approximate)  # fmt: skip
        try:
            result = await anyio.to_thread.run_sync(read, limiter=self._limiter)
        except CatalogueError as exc:
            raise refused(exc) from exc
        record: dict[str, Any] = {
            "file_name": file_name,
            "imported_at": datetime.now(UTC).isoformat(),
            "rows_read": result.rows_read,
            "rows_skipped": len(result.skipped),
            "rows_merged": result.rows_merged,
            "colour_spaces": result.colour_spaces,
        }
        try:
            replaced = await self._repository.replace(source, [asdict(s) for s in result.shades], record)
        except SourceBusy as exc:
            raise SourceBusyProblem(
                f"Another import of {source!r} is under way; nothing was imported.", hint="Retry when it has finished."
            ) from exc
        total = sum((await self._counts()).values())
        return _report(source, file_name, result, replaced=replaced, total=total, seconds=time.perf_counter() - started)

    async def delete(self, source: str) -> int:
        """Remove a source and its shades; how many there were."""
        if check_source_name(source) == HOUSE_SOURCE:
            raise SourceProtected(
                "The house range is packaged with the service and cannot be deleted: matches always offer it.",
                hint="Delete imported sources only; `GET /v1/admin/catalog` lists them.",
            )
        try:
            deleted = await self._repository.delete(source)
        except SourceBusy as exc:
            raise SourceBusyProblem(
                f"An import of {source!r} is under way.", hint="Retry when it has finished."
            ) from exc
        if deleted is None:
            raise NotFound(f"No catalogue source {source!r}.")
        return deleted
