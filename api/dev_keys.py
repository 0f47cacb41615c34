"""Development keys: outside production, a key that is not configured is made once and kept in the data folder.

So that tokens minted by ``tonematch token create`` and addresses sealed by one run keep working across
restarts of ``tonematch serve``. In production every key must be configured.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

MIN_SECRET_BYTES = 32  # HS256 keys shorter than the hash output weaken the signature (RFC 7518 §3.2)


def development_secret(
    data_dir: Path, file_name: str, make: Callable[[], str], *, production: bool, variable: str
) -> str:
    """The key kept in ``data_dir/file_name`` (made by ``make`` on first use, mode 0600); refused in production."""
    if production:
        raise RuntimeError(f"{variable} must be set in production")
    path = data_dir / file_name
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: the key file either does not
        # exist or is complete, and of two processes racing, the first link wins and both use its key.
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{file_name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise RuntimeError(f"{path} holds no usable key (under {MIN_SECRET_BYTES} bytes): delete it to make a new one")
    return key
