"""Memory under hostile uploads: eight photos at once that are small files but decode to 7000×7000 pixels.

The API runs as ``tonematch serve`` would (one process, embedded Redis). Its resident memory is read from
``/proc/<pid>/status``: the baseline after a warm-up measurement, the peak while eight worst-case uploads (a flat
PNG and a flat HEIC of 49 megapixels, four of each, sent at once) are handled, and what is still held two
seconds after the burst. Meanwhile a normal 2 MP photo is measured, and its time compared with the same photo
alone. Goal (issue 11): peak growth ≤ 600 MB.

Usage: ``python -m bench.bench_memory``
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
from pathlib import Path

import cv2
import httpx
import numpy as np

from bench.bench_orders import _start_api, _token
from infra.redis_server import RedisServer, free_tcp_port

GOAL_MB = 600
HOSTILE_SIDE = 7000
CONCURRENT = 8


def _hostile_png() -> bytes:
    ok, buffer = cv2.imencode(".png", np.full((HOSTILE_SIDE, HOSTILE_SIDE, 3), 128, np.uint8))
    assert ok
    return buffer.tobytes()


def _hostile_heic() -> bytes:
    import pillow_heif
    from PIL import Image

    image = Image.fromarray(np.full((HOSTILE_SIDE, HOSTILE_SIDE, 3), 128, np.uint8))
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=10)
    return buffer.getvalue()


def _normal_photo() -> bytes:
    """The speed benchmark's 2 MP photo (1632×1224, the card 520 px wide)."""
    from bench.bench_measurement import _render_for_speed

    return _render_for_speed((1632, 1224), 520.0).jpeg


def _memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux ≥ 4.0)


async def _post(client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes, kind: str) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/v1/measurements/", files={"photo": (name, data, kind)}, data={"consent": "2026-01"}, headers=headers
    )
    if response.status_code >= 500:
        raise RuntimeError(f"server error {response.status_code}: {response.text[:200]}")
    return time.perf_counter() - started


async def _burst(base: str, token: str, pid: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    png, heic, normal = _hostile_png(), _hostile_heic(), _normal_photo()
    print(f"  payloads: PNG {len(png) / 1024:.0f} KB, HEIC {len(heic) / 1024:.0f} KB ({HOSTILE_SIDE}×{HOSTILE_SIDE}),"
          f" normal JPEG {len(normal) / 1024:.0f} KB")  # fmt: skip
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        await _post(client, headers, "warm.jpg", normal, "image/jpeg")
        alone = min([await _post(client, headers, "n.jpg", normal, "image/jpeg") for _ in range(3)])
        baseline = _memory_mb(pid, "VmRSS")
        _reset_peak(pid)
        hostile = [
            _post(client, headers, f"bomb{i}.{'png' if i % 2 else 'heic'}", png if i % 2 else heic,
                  "image/png" if i % 2 else "image/heic")
            for i in range(CONCURRENT)
        ]  # fmt: skip
        started = time.perf_counter()
        tasks = [asyncio.create_task(job) for job in hostile]
        await asyncio.sleep(0.05)
        during = await _post(client, headers, "n.jpg", normal, "image/jpeg")
        await asyncio.gather(*tasks)
        burst_s = time.perf_counter() - started
        peak = _memory_mb(pid, "VmHWM")
        await asyncio.sleep(2.0)
        after = _memory_mb(pid, "VmRSS")
    return {"baseline": baseline, "peak": peak, "after": after, "alone": alone, "during": during, "burst": burst_s}


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_known_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        with RedisServer(data_dir=data_dir / "redis") as server:
            port = free_tcp_port()
            api = _start_api(data_dir, server.url, port)
            try:
                token = _token(data_dir, server.url, "customer", "cus_memory")
                figures = asyncio.run(_burst(f"http://127.0.0.1:{port}", token, api.pid))
            finally:
                api.terminate()
                api.wait(timeout=30)
    growth = figures["peak"] - figures["baseline"]
    print(f"memory: {CONCURRENT} concurrent {HOSTILE_SIDE}×{HOSTILE_SIDE} uploads (PNG and HEIC), one API process")
    print(f"  resident: baseline {figures['baseline']:.0f} MB, peak {figures['peak']:.0f} MB (growth {growth:.0f} MB, "
          f"goal ≤ {GOAL_MB}: {'met' if growth <= GOAL_MB else 'NOT met'}), 2 s after {figures['after']:.0f} MB "
          f"(+{figures['after'] - figures['baseline']:.0f} MB kept)")  # fmt: skip
    print(f"  a normal 2 MP photo: {figures['alone']:.2f} s alone, {figures['during']:.2f} s during the burst "
          f"({figures['during'] / figures['alone']:.1f}×); the burst took {figures['burst']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
