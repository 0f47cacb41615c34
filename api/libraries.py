"""Which base library the service and the CLI use: a lab-fitted one in the data folder, or a packaged one.

Libraries fitted by the lab (``tonematch bases fit``) are stored as ``<data_dir>/bases/<version>.json``;
``TONEMATCH_BASE_LIBRARY`` names the version in use (default: the shipped demo library).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from api.settings import Settings
from catalog.bases import BaseLibrary, BaseLibraryError
from catalog.packaged_data import UnknownLibrary, library_versions, load_library

VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def library_dir(settings: Settings) -> Path:
    return settings.data_dir / "bases"


def check_version_name(version: str) -> str:
    if not VERSION_PATTERN.fullmatch(version):
        raise BaseLibraryError("A library version is 1-64 letters, digits, '.', '_' or '-'.")
    return version


def resolve_library(settings: Settings, version: str | None = None) -> BaseLibrary:
    """The named (or configured) library: the lab's fitted one if present, else a packaged one."""
    version = version or settings.base_library
    if version is not None:
        check_version_name(version)
        path = library_dir(settings) / f"{version}.json"
        if path.is_file():
            return BaseLibrary.from_dict(json.loads(path.read_text()))
        if version not in library_versions():
            known = sorted({*library_versions(), *(p.stem for p in library_dir(settings).glob("*.json"))})
            raise UnknownLibrary(f"Unknown base library {version!r}; known: {', '.join(known)}.")
    return load_library(version)


def store_library(settings: Settings, library: BaseLibrary) -> Path:
    """Write a fitted library under its version, atomically, refusing to overwrite an existing version."""
    check_version_name(library.version)
    if library.version in library_versions():
        raise BaseLibraryError(f"{library.version!r} is a packaged library's version: choose another.")
    target = library_dir(settings) / f"{library.version}.json"
    if target.exists():
        raise BaseLibraryError(f"Library {library.version!r} exists already: versions are never overwritten.")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".partial")
    temporary.write_text(json.dumps(library.to_dict(), indent=1) + "\n")
    temporary.replace(target)
    return target
