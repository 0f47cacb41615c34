"""Order creation under load: throughput and p99 latency at a fixed concurrency against one API process,
beside the same server's ``/healthz`` measured in the same run, with Redis as ``infra/redis.conf`` sets it up
(AOF, fsync on every write) and, for the cost of that choice, with ``appendfsync everysec``. Then recipes
(``POST /v1/matches``) per second with one and with two API processes (``serve --processes``).

Each order is a new ``POST /v1/orders`` with its own Idempotency-Key, a sealed address and one Lua script in
Redis. The server is ``tonematch serve --no-worker`` (uvicorn, one process) on loopback; the load comes from
this process with httpx.

Usage: ``python -m bench.bench_orders [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

from infra.redis_server import RedisServer, free_tcp_port

CONCURRENCY = 16
ADDRESS = {"name": "Bench Customer", "line1": "1 Test-ro", "city": "Seoul", "postal_code": "04524", "country": "KR"}


def _start_api(data_dir: Path, redis_url: str, port: int, processes: int = 1) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEMATCH_")}
    env.update({"REDIS_URL": redis_url, "TONEMATCH_DATA_DIR": str(data_dir), "TONEMATCH_LOG_LEVEL": "warning"})
    # one bench customer places every order: lift the per-customer budgets that protect the real service
    env.update(
        {"TONEMATCH_RATE_LIMIT_ORDERS_PER_HOUR": "1000000", "TONEMATCH_RATE_LIMIT_MEASUREMENTS_PER_HOUR": "1000000"}
    )
    command = [sys.executable, "-m", "api.cli", "serve", "--no-worker", "--port", str(port)]
    process = subprocess.Popen([*command, "--processes", str(processes)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the API did not start")


def _token(data_dir: Path, redis_url: str, role: str, subject: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEMATCH_")}
    env.update({"REDIS_URL": redis_url, "TONEMATCH_DATA_DIR": str(data_dir)})
    command = [sys.executable, "-m", "api.cli", "token", "create", "--role", role]
    command += ["--subject", subject] if subject else []
    return subprocess.run(command, env=env, capture_output=True, check=True).stdout.decode().strip()


async def _load(client: httpx.AsyncClient, count: int, request: object) -> tuple[float, list[float], int]:
    """``count`` calls of ``request(client)`` by CONCURRENCY workers; seconds, latencies, failures."""
    latencies: list[float] = []
    failures = 0
    queue = iter(range(count))

    async def worker() -> None:
        nonlocal failures
        for _ in queue:
            started = time.perf_counter()
            response = await request(client)  # type: ignore[operator]
            latencies.append(time.perf_counter() - started)
            failures += response.status_code >= 400

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
    return time.perf_counter() - started, latencies, failures


async def _measure(base: str, customer: str, count: int) -> dict[str, tuple[float, float, int]]:
    headers = {"Authorization": f"Bearer {customer}"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        reading = {
            "source": "instrument",
            "instrument": "bench",
            "consent": "2026-01",
            "lab": {"L": 58, "a": 12, "b": 17},
        }
        measurement = (await client.post("/v1/measurements/", json=reading, headers=headers)).json()["id"]
        match = await client.post("/v1/matches/", json={"measurement_id": measurement}, headers=headers)
        body = {"formulation_id": match.json()["id"], "size_g": 30, "quantity": 1, "shipping": ADDRESS}

        def order(c: httpx.AsyncClient):  # type: ignore[no-untyped-def]
            return c.post("/v1/orders/", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})

        def health(c: httpx.AsyncClient):  # type: ignore[no-untyped-def]
            return c.get("/healthz")

        results = {}
        for name, request in (("healthz", health), ("orders", order)):
            await _load(client, CONCURRENCY * 10, request)  # warm-up
            seconds, latencies, failures = await _load(client, count, request)
            results[name] = (count / seconds, float(np.percentile(latencies, 99)) * 1000, failures)
        return results


def run(fsync: str, count: int) -> dict[str, tuple[float, float, int]]:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        server = RedisServer(data_dir=data_dir / "redis", extra_args=("--appendfsync", fsync))
        with server:
            port = free_tcp_port()
            api = _start_api(data_dir, server.url, port)
            try:
                customer = _token(data_dir, server.url, "customer", "cus_bench")
                return asyncio.run(_measure(f"http://127.0.0.1:{port}", customer, count))
            finally:
                api.terminate()
                api.wait(timeout=30)


async def _matches(base: str, customer: str, count: int) -> float:
    """Recipes per second through ``POST /v1/matches`` at concurrency 4."""
    headers = {"Authorization": f"Bearer {customer}"}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        reading = {
            "source": "instrument",
            "instrument": "bench",
            "consent": "2026-01",
            "lab": {"L": 58, "a": 12, "b": 17},
        }
        measurement = (await client.post("/v1/measurements/", json=reading, headers=headers)).json()["id"]

        async def run(total: int) -> float:
            queue = iter(range(total))

            async def worker() -> None:
                for _ in queue:
                    response = await client.post("/v1/matches/", json={"measurement_id": measurement}, headers=headers)
                    response.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*[worker() for _ in range(4)])
            return total / (time.perf_counter() - started)

        await run(8)  # warm every process
        return await run(count)


def recipes_per_process(count: int) -> None:
    """Recipes are bound by the GIL (threads do not add throughput); API processes do."""
    rates = []
    for processes in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            data_dir = Path(folder)
            with RedisServer(data_dir=data_dir / "redis") as server:
                port = free_tcp_port()
                api = _start_api(data_dir, server.url, port, processes)
                try:
                    customer = _token(data_dir, server.url, "customer", "cus_bench")
                    rates.append(asyncio.run(_matches(f"http://127.0.0.1:{port}", customer, count)))
                finally:
                    api.terminate()
                    api.wait(timeout=30)
    print(f"recipes over HTTP (POST /v1/matches, {count} at concurrency 4): one API process {rates[0]:.2f}/s, "
          f"two processes {rates[1]:.2f}/s ({rates[1] / rates[0]:.2f}×)")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args(argv if argv is not None else [])
    count = 400 if arguments.quick else 3000
    print(f"orders: {count} requests per measurement at concurrency {CONCURRENCY}, one API process, loopback")
    baseline = None
    for fsync in ("always", "everysec"):
        results = run(fsync, count)
        health_rate, health_p99, _ = results["healthz"]
        rate, p99, failures = results["orders"]
        label = "infra/redis.conf (appendfsync always)" if fsync == "always" else "appendfsync everysec"
        print(f"  {label}:")
        print(f"    GET /healthz      {health_rate:8.0f} req/s   p99 {health_p99:6.1f} ms")
        print(f"    POST /v1/orders   {rate:8.0f} req/s   p99 {p99:6.1f} ms   {rate / health_rate:5.2f}× healthz"
              f"   failures {failures}")  # fmt: skip
        if baseline is None:
            baseline = rate
        else:
            print(
                f"  fsync on every write costs {100 * (1 - baseline / rate):.0f} % of order throughput against everysec"
            )
    recipes_per_process(8 if arguments.quick else 24)


if __name__ == "__main__":
    main(sys.argv[1:])
