"""What the catalogue routes take and answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from api.schemas import LabD65


class CatalogueColourSpace(StrEnum):
    """The colour space of a catalogue file's rows: ``sRGB`` (a ``hex`` column, IEC 61966-2-1) or ``CIELAB D65``
    (``L``, ``a``, ``b`` columns, CIE 1976, D65 white point, 2° observer)."""

    SRGB = "sRGB"
    CIELAB_D65 = "CIELAB D65"


SOURCE_EXAMPLE: dict[str, Any] = {
    "name": "pudding-2021",
    "shades": 6750,
    "protected": False,
    "file_name": "pudding_foundation_names_2021_allShades.csv",
    "imported_at": "2026-03-02T10:15:00Z",
    "rows_read": 6816,
    "rows_skipped": 0,
    "rows_merged": 66,
    "colour_spaces": {"sRGB from the hex column (sRGB by the web's convention)": 6816},
}
SHADE_EXAMPLE: dict[str, Any] = {
    "source": "pudding-2021",
    "brand": "Fenty Beauty",
    "product": "Pro Filt'r Soft Matte Longwear Foundation",
    "shade_name": "",
    "shade_code": "240",
    "lab": {"L": 64.212, "a": 12.845, "b": 24.31},
    "colour_space": "sRGB",
    "approximate": True,
}
MERGED_EXAMPLE: dict[str, Any] = {
    "brand": "KVD Vegan Beauty",
    "product": "Lock-It Foundation",
    "shade_name": "medium",
    "shade_code": "54",
    "lines": [1204, 1262],
    "lab": {"L": 58.1, "a": 11.9, "b": 21.4},
    "spread_dE00": 0.42,
}


class CatalogueCsv(RootModel[str]):
    """A catalogue file (``text/csv``, UTF-8): a header row, then one shade a row. Read: ``brand``, ``product``,
    ``shade_name`` or ``name``, ``shade_code``, ``specific`` or ``code`` (a row needs a name or a code), and the colour:
    ``hex`` (sRGB) or ``L``, ``a``, ``b`` / ``L_star``, ``a_star``, ``b_star`` (CIELAB D65). A row's colour space is its
    ``colour_space`` column (``sRGB`` or ``CIELAB D65``), else the ``colour_space`` query parameter, else sRGB when
    the file has a ``hex`` column. Optional: ``approximate`` (true/false). Other columns are ignored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": ["brand,product,shade_name,shade_code,hex\nAcme,Silk,Sand,02,#C8A07A\n"],
            "format": "binary",  # a file: generated clients send it as bytes
        }
    )


class CatalogueUpload(BaseModel):
    """A catalogue file uploaded as ``multipart/form-data``: the part ``file`` (``text/csv``, UTF-8; see
    ``CatalogueCsv`` for its columns)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"file": "(a CSV file)"}]})

    file: bytes = Field(description="The CSV file")


class CatalogueSourceOut(BaseModel):
    """One source of the catalogue: how many shades it holds and what its last import read. ``house`` is our own
    range, packaged with the service: it cannot be imported over or deleted (``protected``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SOURCE_EXAMPLE]})

    name: str
    shades: int = Field(description="Shades stored for this source (duplicates within it merged)")
    protected: bool = Field(description="True for the packaged house range: neither replaced nor deleted")
    file_name: str | None = Field(default=None, description="The file of the last import, when it was named")
    imported_at: datetime | None = None
    rows_read: int | None = None
    rows_skipped: int | None = None
    rows_merged: int | None = Field(default=None, description="Rows that were another row's shade (merged)")
    colour_spaces: dict[str, int] = Field(default_factory=dict, description="Rows by colour space and how it was known")


class CatalogueOut(BaseModel):
    """The catalogue by source, and how many distinct shades matches can list: a shade that several sources list,
    or two shades of one brand within 0.1 ΔE00 of each other, is listed once."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"sources": [SOURCE_EXAMPLE], "shades": 6768,
                                                               "distinct_shades": 6412}]})  # fmt: skip

    sources: list[CatalogueSourceOut]
    shades: int = Field(description="Shades stored, every source together")
    distinct_shades: int = Field(description="Shades a match can list, each once")


class CatalogueShadeOut(BaseModel):
    """One shade of the catalogue, its colour in CIELAB D65 (``colour_space`` says how its file gave it)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SHADE_EXAMPLE]})

    source: str
    brand: str
    product: str
    shade_name: str
    shade_code: str
    lab: LabD65
    colour_space: str = Field(description="How the file gave the colour: sRGB (hex) or CIELAB D65")
    approximate: bool = Field(description="The colour was sampled from a web image, not measured")


class CatalogueShadePage(BaseModel):
    """A page of shades, source by source (the house range first), in import order."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [SHADE_EXAMPLE], "next_cursor": None}]})

    items: list[CatalogueShadeOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last")


class SkippedRowOut(BaseModel):
    """A row left out of an import, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"line": 2, "reason": "no shade name or code"}]})

    line: int = Field(description="Line of the file (the header is line 1)")
    reason: str


class MergedShadeOut(BaseModel):
    """Rows of one brand, product, shade name and code, stored as one shade at their mean CIELAB; ``spread_dE00`` is
    the largest CIEDE2000 of a row from that mean (above 1, the rows disagree: check the source)."""

    model_config = ConfigDict(json_schema_extra={"examples": [MERGED_EXAMPLE]})

    brand: str
    product: str
    shade_name: str
    shade_code: str
    lines: list[int]
    lab: LabD65
    spread_dE00: float


class ImportReportOut(BaseModel):
    """What an import read, skipped and merged. The source's shades were replaced by ``imported`` shades; other
    sources are unchanged. Lists hold the first 100 rows; the counts are complete."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "source": "pudding-combined",
                    "file_name": "foundation_shades_combined_lab.csv",
                    "rows_read": 7441,
                    "imported": 6750,
                    "replaced": 0,
                    "skipped_count": 625,
                    "skipped_reasons": {"no shade name or code": 625},
                    "skipped": [{"line": 2, "reason": "no shade name or code"}],
                    "merged_count": 66,
                    "rows_merged": 66,
                    "merged_over_notice": 32,
                    "merged": [MERGED_EXAMPLE],
                    "colour_spaces": {"sRGB from the hex column (sRGB by the web's convention)": 6816},
                    "columns": {"brand": "brand", "product": "product", "name": "shade_name", "code": "shade_code",
                                "hex": "hex"},
                    "catalogue_shades": 6768,
                    "seconds": 0.41,
                }
            ]
        }
    )  # fmt: skip

    source: str
    file_name: str | None
    rows_read: int
    imported: int = Field(description="Shades the source now holds")
    replaced: int = Field(description="Shades the source held before")
    skipped_count: int
    skipped_reasons: dict[str, int]
    skipped: list[SkippedRowOut]
    merged_count: int = Field(description="Shades made of several rows")
    rows_merged: int = Field(description="Rows that went into another row's shade")
    merged_over_notice: int = Field(description="Merged shades whose rows are more than 1 ΔE00 from their mean")
    merged: list[MergedShadeOut] = Field(description="Largest spread first")
    colour_spaces: dict[str, int] = Field(description="Rows by colour space and how it was known")
    columns: dict[str, str] = Field(description="The column each value was read from")
    catalogue_shades: int = Field(description="Shades in the whole catalogue after the import")
    seconds: float
