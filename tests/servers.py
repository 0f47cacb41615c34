"""A server process the tests started: wait until it answers ``/readyz``, failing with its output if it exits."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest


def wait_until_ready(process: subprocess.Popen[bytes], base: str, timeout_s: float, what: str = "the server") -> None:
    """Poll ``base``/readyz until it answers 200; fail the test if ``process`` exits first or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"{what} exited early ({process.returncode}):\n{output}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not become ready")
        time.sleep(0.2)
