"""EventBridge and SQS: the event bus the publisher feeds and the queue the dispatcher drains.

Both calls are batched (10 entries a call, the services' limit) and retry the entries that failed,
with backoff; what still fails raises, so the caller's batch is retried as a whole, and nothing
committed is lost (consumers see each event at least once; ids make duplicates recognisable).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from orgshare.settings import get_settings

_ATTEMPTS = 4
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


class PublishFailed(Exception):
    """Some entries could not be handed on after every retry."""


@lru_cache(maxsize=1)
def eventbridge() -> Any:
    return boto3.client("events", config=_CONFIG)


@lru_cache(maxsize=1)
def sqs() -> Any:
    return boto3.client("sqs", config=_CONFIG)


def _in_batches(entries: list[dict[str, Any]], send: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Sends `entries` 10 at a time; `send` returns the entries of its batch that failed."""
    for start in range(0, len(entries), 10):
        batch = entries[start : start + 10]
        for attempt in range(_ATTEMPTS):
            try:
                batch = send(batch)
            except ClientError as exc:  # throttled or failed outright: the whole batch is retried
                if attempt == _ATTEMPTS - 1:
                    raise PublishFailed(str(exc)) from exc
            if not batch:
                break
            time.sleep(0.05 * 2**attempt)  # backoff between retries of the failed entries only
        if batch:
            raise PublishFailed(f"{len(batch)} entries failed after {_ATTEMPTS} attempts")


def put_events(details: list[tuple[str, dict[str, Any]]]) -> None:
    """(detail type, detail) pairs onto the event bus."""
    bus = get_settings().event_bus_name
    entries = [{"Source": "orgshare", "DetailType": kind, "Detail": json.dumps(detail), "EventBusName": bus} for kind, detail in details]

    def send(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = eventbridge().put_events(Entries=batch)
        return [entry for entry, result in zip(batch, answer["Entries"], strict=True) if result.get("ErrorCode")]

    _in_batches(entries, send)


def enqueue_deliveries(messages: list[tuple[dict[str, Any], int]], *, slow: bool = False) -> None:
    """(message, delay in seconds) pairs onto the delivery queue, or with `slow` its slow lane
    (retries, and endpoints that are failing); SQS delays up to 15 minutes."""
    settings = get_settings()
    queue = settings.delivery_slow_queue_url if slow else settings.delivery_queue_url
    entries = [
        {"Id": str(i), "MessageBody": json.dumps(body), "DelaySeconds": min(max(delay, 0), 900)} for i, (body, delay) in enumerate(messages)
    ]

    def send(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        failed = {f["Id"] for f in sqs().send_message_batch(QueueUrl=queue, Entries=batch).get("Failed", [])}
        return [entry for entry in batch if entry["Id"] in failed]

    _in_batches(entries, send)


def enqueue_migration(message: dict[str, Any], delay: float = 0) -> None:
    """The next step of a sharing enablement onto the migration queue (delayed up to 15 minutes)."""
    sqs().send_message(
        QueueUrl=get_settings().migration_queue_url, MessageBody=json.dumps(message), DelaySeconds=min(max(int(delay + 0.999), 0), 900)
    )
