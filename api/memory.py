"""Bounds on what a photo may cost the process: one large decode at a time, and freed memory handed back.

A photo whose header declares more than ``LARGE_PHOTO_PIXELS`` holds a full-size frame for a moment while it is
decoded (``color.decode``); such photos are measured one at a time, whatever the number of measurement workers.
After each, glibc is asked to return the freed heap to the system (``malloc_trim``): without it a burst of large
photos leaves the process holding its peak for good.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from typing import TypeVar

import anyio

from color.decode import MAX_DECODED_PIXELS, photo_pixels
from color.errors import ColorError

LARGE_PHOTO_PIXELS = MAX_DECODED_PIXELS
T = TypeVar("T")


# mallopt parameters (glibc's malloc.h)
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 1 << 20  # frames and their copies (megabytes each) are mapped, and unmapped when freed
ARENA_MAX = 2  # worker threads share two heaps instead of eight per core, so freed memory is found again


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        library = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        library.malloc_trim.argtypes = [ctypes.c_size_t]
        library.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # not glibc (musl has neither)
        return None
    return library


_GLIBC = _glibc()


def configure_allocator() -> None:
    """Keep large buffers out of the heap: glibc raises its mmap threshold after each freed large block (up to
    32 MB), after which decoded frames come from heaps that never shrink; a fixed threshold (which turns that off)
    and fewer arenas keep the process near its working size after a burst of large photos."""
    if _GLIBC is not None:
        _GLIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        _GLIBC.mallopt(M_ARENA_MAX, ARENA_MAX)


def release_free_memory() -> None:
    """Hand the heap freed by a measurement back to the system, where the C library allows it."""
    if _GLIBC is not None:
        _GLIBC.malloc_trim(0)


class PhotoBudget:
    """Runs photo measurements in worker threads under the shared limiter, large ones one at a time."""

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self._limiter = limiter
        self._large = anyio.CapacityLimiter(1)

    async def run(self, photo: bytes, measure: Callable[[], T]) -> T:
        try:
            if photo_pixels(photo) <= LARGE_PHOTO_PIXELS:
                return await anyio.to_thread.run_sync(measure, limiter=self._limiter)
            async with self._large:
                try:
                    return await anyio.to_thread.run_sync(measure, limiter=self._limiter)
                finally:
                    await anyio.to_thread.run_sync(release_free_memory)
        except ColorError as error:
            # A refusal's traceback holds the measurement's frames and so its images, in reference cycles that
            # only the cyclic collector frees, long after: drop them here, keeping the error itself.
            error.__context__ = error.__cause__ = None
            raise error.with_traceback(None) from None
