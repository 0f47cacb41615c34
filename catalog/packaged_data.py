"""The one place where the catalogue's packaged data is read: base libraries and the house shade range."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from catalog.bases import BaseLibrary, BaseLibraryError
from catalog.shades import Shade, parse_catalogue

DATA_DIR = Path(__file__).parent / "data"
BASES_DIR = DATA_DIR / "bases"
DEFAULT_LIBRARY = "phys-2026.3"  # catalog.physical_bases.VERSION, written out: that module needs miepython


class UnknownLibrary(BaseLibraryError):
    code = "unknown_base_library"


def library_versions() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in BASES_DIR.glob("*.json")))


@cache
def house_shades() -> tuple[Shade, ...]:
    """Our own range, made with the demo bases (see ``catalog.house_range``)."""
    return tuple(parse_catalogue((DATA_DIR / "house_range.json").read_text(), "json"))


@cache
def load_library(version: str | None = None) -> BaseLibrary:
    version = version or DEFAULT_LIBRARY
    if version not in library_versions():
        raise UnknownLibrary(f"Unknown base library {version!r}; known: {', '.join(library_versions())}.")
    return BaseLibrary.from_dict(json.loads((BASES_DIR / f"{version}.json").read_text()))
