"""The warm container's cache: kept while young, bounded, a failed load not kept. (Threads missing
together load once: tests/unit/test_webhook_secrets.py, a cold fan-out's single KMS call.)"""

from __future__ import annotations

import pytest

from orgshare.caching import Cache


def test_an_answer_is_kept_until_it_is_older_than_asked() -> None:
    cache: Cache[str, int] = Cache(size=10, seconds=60)
    loads = iter(range(100))
    assert cache.get("a", lambda: next(loads)) == 0
    assert cache.get("a", lambda: next(loads)) == 0
    assert cache.get("a", lambda: next(loads), seconds=0) == 1  # a caller may want it fresher (0: always loaded)
    assert cache.get("b", lambda: next(loads)) == 2


def test_a_full_cache_starts_over_rather_than_grow() -> None:
    cache: Cache[int, int] = Cache(size=2)
    for key in range(3):
        cache.get(key, lambda k=key: k)  # type: ignore[misc]
    assert cache.get(0, lambda: -1) == -1


def test_a_load_that_raises_is_not_kept() -> None:
    cache: Cache[str, int] = Cache(size=10)

    def failing() -> int:
        raise RuntimeError("KMS said no")

    with pytest.raises(RuntimeError):
        cache.get("k", failing)
    assert cache.get("k", lambda: 7) == 7
