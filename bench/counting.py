"""Counting DynamoDB round trips: every call the shared client makes, by operation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orgshare.storage import dynamo


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Counts the calls of the process's DynamoDB client inside the block, by operation name."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = dynamo.client().meta.events
    events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", count)
