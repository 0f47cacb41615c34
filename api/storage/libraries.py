"""Which base library the service and the CLI use: a lab-fitted one in the data folder, or a packaged one.

Libraries fitted by the lab (``tonematch bases fit``) are stored as ``<data_dir>/bases/<version>.json``;
``TONEMATCH_BASE_LIBRARY`` names the version in use (default: the shipped physical library,
``catalog.packaged_data.DEFAULT_LIBRARY``). A version is never overwritten, so a library read once is kept in memory
for the life of the process.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from catalog.bases import BaseLibrary, BaseLibraryError
from catalog.packaged_data import UnknownLibrary, library_versions, load_library

VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_version_name(version: str) -> str:
    if not VERSION_PATTERN.fullmatch(version):
        raise BaseLibraryError("A library version is 1-64 letters, digits, '.', '_' or '-'.")
    return version


class LibraryStore:
    """Base libraries by version: the lab's fitted ones under ``data_dir/bases``, else the packaged ones."""

    def __init__(self, data_dir: Path, default_version: str | None) -> None:
        self.directory = data_dir / "bases"
        self.default_version = default_version
        self._loaded: dict[str | None, BaseLibrary] = {}
        self._lock = threading.Lock()  # recipes resolve libraries from worker threads

    def resolve(self, version: str | None = None) -> BaseLibrary:
        """The named (or configured) library: the lab's fitted one if present, else a packaged one."""
        version = version or self.default_version
        with self._lock:
            library = self._loaded.get(version)
        if library is None:
            library = self._read(version)
            with self._lock:
                self._loaded[version] = library
        return library

    def _read(self, version: str | None) -> BaseLibrary:
        if version is not None:
            check_version_name(version)
            path = self.directory / f"{version}.json"
            if path.is_file():
                return BaseLibrary.from_dict(json.loads(path.read_text()))
            if version not in library_versions():
                known = sorted({*library_versions(), *(p.stem for p in self.directory.glob("*.json"))})
                raise UnknownLibrary(f"Unknown base library {version!r}; known: {', '.join(known)}.")
        return load_library(version)

    def store(self, library: BaseLibrary) -> Path:
        """Write a fitted library under its version, atomically, refusing to overwrite an existing version."""
        check_version_name(library.version)
        if library.version in library_versions():
            raise BaseLibraryError(f"{library.version!r} is a packaged library's version: choose another.")
        target = self.directory / f"{library.version}.json"
        if target.exists():
            raise BaseLibraryError(f"Library {library.version!r} exists already: versions are never overwritten.")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".partial")
        temporary.write_text(json.dumps(library.to_dict(), indent=1) + "\n")
        temporary.replace(target)
        return target
