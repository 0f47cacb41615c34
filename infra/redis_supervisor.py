"""Keep the embedded redis-server running: restart it with its AOF when it dies, as systemd's ``Restart=always``
would for a Redis run as its own service in production.

A watcher thread polls the child every ``POLL_S``. When it has exited without being asked to, the server is
started again on the same data folder and socket: Redis replays its append-only file (fsynced on every write,
``infra/redis.conf``), so every acknowledged write is back, and the service's clients reconnect on their next
command. Restarts back off (``BACKOFF_S`` doubling to ``MAX_BACKOFF_S``) so a server that cannot start (a full
disk, a corrupt AOF) is not restarted in a tight loop; each attempt and its outcome are logged.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Self

from infra.redis_server import RedisServer, RedisServerError

POLL_S = 0.2
BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
logger = logging.getLogger("tonematch.redis")


class RedisSupervisor:
    """Starts ``server`` and restarts it whenever it dies, until ``stop``."""

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self.server.start()
        self._thread = threading.Thread(target=self._watch, name="redis-supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching, then shut the server down cleanly (its AOF flushed)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.server.stop()

    def _watch(self) -> None:
        backoff = BACKOFF_S
        while not self._stopping.wait(POLL_S):
            if self.server.running():
                backoff = BACKOFF_S
                continue
            logger.error("embedded redis-server exited (code %s); restarting it", self.server.exit_code())
            self.server.forget_exited()
            try:
                self.server.start()
            except RedisServerError as error:
                logger.error("embedded redis-server did not restart: %s; next try in %.1f s", error, backoff)
                if self._stopping.wait(backoff):
                    return
                backoff = min(2 * backoff, MAX_BACKOFF_S)
                continue
            self.restarts += 1
            logger.warning("embedded redis-server restarted (pid %s, restart %d)", self.server.pid, self.restarts)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
