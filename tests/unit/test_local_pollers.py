"""The local event path survives a function that raises: as Lambda does, the batch goes back to its
queue (or its stream position) and is handed over again, and every other message, whichever
organization it belongs to, keeps flowing. A poller that died with one raising batch stopped the
whole local event path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localrun.gateway import InFlight
from localrun.moto_server import Changes
from localrun.pollers import QueuePoller


class _Flaky:
    """A function whose first invocation raises; it then records what it is handed."""

    name = "Flaky"

    def __init__(self) -> None:
        self.calls = 0
        self.bodies: list[str] = []
        self.done = threading.Event()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("a hostile tenant's message broke the handler")
        self.bodies += [r["body"] for r in event["Records"]]
        if len(set(self.bodies)) >= 2:
            self.done.set()
        return {"batchItemFailures": []}


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, str]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="deliveries")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        yield sqs, url, arn


def test_a_batch_that_raises_is_handed_over_again_and_the_poller_goes_on(queue: tuple[Any, str, str]) -> None:
    sqs, url, arn = queue
    sqs.send_message(QueueUrl=url, MessageBody="org_a")
    sqs.send_message(QueueUrl=url, MessageBody="org_b")
    flaky, stop = _Flaky(), threading.Event()
    poller = QueuePoller(flaky, url, arn, {"BatchSize": 1}, stop, Changes(), InFlight())  # type: ignore[arg-type]
    poller.start()
    try:
        assert flaky.done.wait(10), f"the poller stopped after the raising batch (alive: {poller.is_alive()})"
    finally:
        stop.set()
        poller.join(5)
    assert sorted(set(flaky.bodies)) == ["org_a", "org_b"]


def test_the_event_path_is_quiet_once_every_poller_waits_having_seen_the_last_change() -> None:
    # System.wait_quiet (the bench's measurements start from a quiet event path).
    changes, stop, polled = Changes(), threading.Event(), threading.Semaphore(0)

    def poller() -> None:
        while not stop.is_set():
            seen = changes.seen("tables")
            polled.release()
            changes.wait("tables", seen, 10)

    assert not changes.wait_quiet(1, 0)  # no poller is waiting yet
    thread = threading.Thread(target=poller, daemon=True)
    thread.start()
    assert changes.wait_quiet(1, 10)
    with changes._moved:  # a change made, the poller not yet woken: not quiet until it has polled again
        changes._counts["tables"] += 1
        assert not changes.wait_quiet(1, 0)
        changes._moved.notify_all()
    assert changes.wait_quiet(1, 10)
    assert polled.acquire(timeout=0) and polled.acquire(timeout=0)  # it polled again for that change
    stop.set()
    changes.changed("tables")
    thread.join(10)
