"""A warm container's memory of recent answers, for the few things every request would otherwise
fetch or open again (an account record, opened credentials, a data key)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Cache(Generic[K, V]):
    """Answers kept for at most `seconds` (None: while the container lives) and at most `size` of
    them: past that it starts over rather than grow. Safe to share between threads: threads missing
    the same key at once wait for one load (a fan-out's deliveries open one data key, not one each)."""

    def __init__(self, size: int, seconds: float | None = None) -> None:
        self.size, self.seconds = size, seconds
        self._kept: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, Future[V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V], seconds: float | None = None) -> V:
        """The answer kept for `key` if younger than `seconds` (by default the cache's own), else
        `load()`'s, kept. A load that raises keeps nothing, and raises in every thread that waited for it."""
        max_age = self.seconds if seconds is None else seconds
        now = time.monotonic()
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None and (max_age is None or now - hit[0] < max_age):
                return hit[1]
            loading = self._loading.get(key)
            if loading is None:
                mine = self._loading[key] = Future()
        if loading is not None:
            return loading.result()
        try:
            value = load()
        except BaseException as exc:
            with self._lock:
                del self._loading[key]
            mine.set_exception(exc)
            raise
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[key] = (now, value)
            del self._loading[key]
        mine.set_result(value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
