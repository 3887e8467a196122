"""Counting round trips: every call the shared DynamoDB and KMS clients make, by operation."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orgshare.storage import dynamo
from orgshare.vault import sealing

# The local system's event path (stream and queue pollers, webhook posts) runs on these threads in
# the same process and shares the clients; its work is asynchronous, not the request's.
BACKGROUND = ("stream-", "queue-", "webhook")


@contextmanager
def _calls(client: Any, service: str, background: bool = False) -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        if background or not threading.current_thread().name.startswith(BACKGROUND):
            calls[model.name] += 1

    client.meta.events.register(f"before-call.{service}", count)
    try:
        yield calls
    finally:
        client.meta.events.unregister(f"before-call.{service}", count)


def dynamodb_calls() -> Any:
    """Counts the calls of the process's DynamoDB client inside the block, by operation name."""
    return _calls(dynamo.client(), "dynamodb")


def kms_calls(background: bool = False) -> Any:
    """Counts the calls of the vault's KMS client inside the block, by operation name (with
    `background`, the event path's threads' too)."""
    return _calls(sealing.kms(), "kms", background)
