"""An endpoint's health is best effort: when it cannot be recorded, the batch's attempts and
retries still are, and the queue message is not handed over again (which would post its
deliveries a second time)."""

from __future__ import annotations

import json

import boto3
import pytest

from orgshare.domain import delivery
from orgshare.ids import new_id
from orgshare.settings import get_settings
from orgshare.storage import webhooks as webhooks_store


def test_a_health_write_that_fails_does_not_fail_the_batch(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise RuntimeError("DynamoDB said no")

    monkeypatch.setattr(webhooks_store, "mark_failing", refuse)
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "0")  # the retry visible at once
    get_settings.cache_clear()
    endpoint = {"id": new_id("we"), "org": "org_health", "mode": "test", "owner": "acct_health", "url": "https://example.com/h",
                "enabled_events": ["*"], "status": "enabled", "version": 1}  # fmt: skip
    event = {"id": new_id("evt"), "object": "event", "type": "customer.created", "data": {"object": {}}}
    failed = {"event": event["id"], "webhook_endpoint": endpoint["id"], "attempt": 1, "status": "failed", "created_ms": 1}
    delivery.settle([delivery.Delivery(event, endpoint, "acct_health", 1)], [failed])  # does not raise
    sqs = boto3.client("sqs")
    got = sqs.receive_message(QueueUrl=aws["DELIVERY_SLOW_QUEUE_URL"], MaxNumberOfMessages=10).get("Messages", [])
    assert [(json.loads(m["Body"])["endpoint"], json.loads(m["Body"])["attempt"]) for m in got] == [(endpoint["id"], 2)]
