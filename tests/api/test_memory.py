"""Large photos are measured one at a time, whatever the number of measurement workers; a refusal keeps its
error and loses the measurement's frames."""

from __future__ import annotations

import io
import threading
import time

import anyio
import pytest
from PIL import Image

from api.memory import LARGE_PHOTO_PIXELS, PhotoBudget
from color.errors import RetakeNeeded


def _png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")  # a large size in a tiny file
    return buffer.getvalue()


def _concurrency(photo: bytes, jobs: int) -> int:
    running, most = 0, 0
    lock = threading.Lock()

    def measure() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async def main() -> None:
        budget = PhotoBudget(anyio.CapacityLimiter(4))
        async with anyio.create_task_group() as group:
            for _ in range(jobs):
                group.start_soon(budget.run, photo, measure)

    anyio.run(main)
    return most


def test_large_photos_are_measured_one_at_a_time_and_others_side_by_side() -> None:
    large = _png(4100)
    assert LARGE_PHOTO_PIXELS < 4100 * 4100
    assert _concurrency(large, 4) == 1
    assert _concurrency(_png(1000), 4) > 1


def test_a_refusal_comes_out_without_the_measurements_frames() -> None:
    def refuse() -> None:
        raise RetakeNeeded("card_not_found", "No card.", hint="Hold the card.")

    async def main() -> None:
        await PhotoBudget(anyio.CapacityLimiter(1)).run(_png(1000), refuse)

    with pytest.raises(RetakeNeeded) as caught:
        anyio.run(main)
    frames = []
    traceback = caught.value.__traceback__
    while traceback is not None:
        frames.append(traceback.tb_frame.f_code.co_name)
        traceback = traceback.tb_next
    assert "refuse" not in frames
    assert caught.value.code == "card_not_found"
