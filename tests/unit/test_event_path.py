"""The event path under faults: nothing committed is lost; PutEvents is batched; signatures verify."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import stripe
from botocore.exceptions import ClientError

from localrun import template as tpl
from localrun.gateway import Function
from orgshare import admin, messaging
from orgshare.domain import accounts, auth, customers, delivery, events
from orgshare.domain.principal import RequestInfo
from orgshare.params.accounts import AccountCreate
from orgshare.params.customers import CustomerCreate, CustomerUpdate
from orgshare.storage.outbox import change_from_stream


def publisher() -> Function:
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")["PublisherFunction"]
    return Function("PublisherFunction", tpl.ROOT / res["Properties"]["CodeUri"], res["Properties"]["Handler"])


class FlakyEventBridge:
    """moto's EventBridge behind a fault injector: every third call is throttled outright, and
    every other call fails every second entry (as PutEvents reports partial failures)."""

    def __init__(self, real: Any) -> None:
        self.real, self.calls = real, 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls % 3 == 0:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutEvents")
        results: list[dict[str, Any]] = []
        for i, entry in enumerate(Entries):
            if self.calls % 2 == 0 and i % 2 == 1:
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "injected"})
            else:
                results.append(self.real.put_events(Entries=[entry])["Entries"][0])
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def stream_records(table: str) -> list[dict[str, Any]]:
    """What the events table's stream carries, in commit order (sorted by change id)."""
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    changes = sorted((i for i in items if change_from_stream(i)), key=lambda i: i["pk"]["S"])
    return [
        {"eventID": str(n), "eventName": "INSERT", "eventSource": "aws:dynamodb", "dynamodb": {"NewImage": item, "SequenceNumber": str(n)}}
        for n, item in enumerate(changes)
    ]


def drain(queue_url: str) -> list[dict[str, Any]]:
    sqs, found = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return found


@pytest.fixture
def big_pool(aws: dict[str, str]) -> Iterator[tuple[Any, list[str]]]:
    """The demo organization with 12 more connected accounts: 15 accounts in the shared pool."""
    demo = admin.seed_demo()
    platform = admin.platform_principal(demo.org, demo.accounts[0].id, demo.pool, "test")
    for n in range(12):
        accounts.create_account(platform, AccountCreate.model_validate({"type": "connected", "business_profile": {"name": f"Extra {n}"}}))
    yield auth.authenticate(demo.accounts[1].key), [a.key for a in demo.accounts]


def test_put_events_failing_for_a_share_of_calls_loses_no_event(
    aws: dict[str, str], big_pool: tuple[Any, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    rides, _ = big_pool
    cus = customers.create(rides, CustomerCreate(name="Fault Fay"), RequestInfo("req_1"))
    customers.update(rides, cus["id"], CustomerUpdate(email="fay@example.com"), RequestInfo("req_2"))
    customers.update(rides, cus["id"], CustomerUpdate(metadata={"k": "v"}), RequestInfo("req_3"))
    records = stream_records(aws["EVENTS_TABLE"])
    expected = {e["id"] for r in records for _, e in events.events_for_change(change_from_stream(r["dynamodb"]["NewImage"]) or {})}
    assert len(expected) == 15 + 15 + 1  # created and the shared update for all 15 accounts; metadata for Rides only

    flaky = FlakyEventBridge(messaging.eventbridge())
    monkeypatch.setattr(messaging, "eventbridge", lambda: flaky)
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)  # the retries' backoff, not the subject here
    handler = publisher()
    rounds = 0
    while records:  # Lambda hands a failed record (and what follows it) over again, until it passes
        rounds += 1
        assert rounds <= 50, "the publisher never got through"
        failures = handler.invoke({"Records": records}).get("batchItemFailures") or []
        first = next(
            (i for i, r in enumerate(records) if failures and r["dynamodb"]["SequenceNumber"] == failures[0]["itemIdentifier"]), None
        )
        records = records[first:] if first is not None else []
    assert flaky.calls > 3  # faults were injected, and survived

    delivered = {m["detail"]["event"]["id"] for m in drain(aws["DELIVERY_QUEUE_URL"])}
    assert delivered == expected


def test_a_shared_update_takes_one_put_events_call_per_ten_accounts(aws: dict[str, str], big_pool: tuple[Any, list[str]]) -> None:
    rides, _ = big_pool
    cus = customers.create(rides, CustomerCreate(name="Count Cal"), RequestInfo("req_1"))
    customers.update(rides, cus["id"], CustomerUpdate(name="Calvin"), RequestInfo("req_2"))
    update = change_from_stream(stream_records(aws["EVENTS_TABLE"])[-1]["dynamodb"]["NewImage"])
    assert update is not None and update["type"] == "customer.updated"
    calls: list[int] = []
    bus = messaging.eventbridge()
    bus.meta.events.register("provide-client-params.events.PutEvents", lambda params, **_: calls.append(len(params["Entries"])))
    assert events.publish(update) == 15
    assert calls == [10, 5] and len(calls) == math.ceil(15 / 10)


def test_publishing_a_change_twice_gives_the_same_events(aws: dict[str, str], big_pool: tuple[Any, list[str]]) -> None:
    rides, _ = big_pool
    customers.create(rides, CustomerCreate(name="Twice Tom"), RequestInfo("req_1"))
    change = change_from_stream(stream_records(aws["EVENTS_TABLE"])[-1]["dynamodb"]["NewImage"])
    assert change is not None
    first, again = events.events_for_change(change), events.events_for_change(change)
    assert [e["id"] for _, e in first] == [e["id"] for _, e in again] and len({e["id"] for _, e in first}) == 15


def test_signatures_verify_with_the_stripe_sdk() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "customer.created", "data": {"object": {}}})
    header = delivery.signature("whsec_test", payload, int(time.time()))
    assert stripe.Webhook.construct_event(payload, header, "whsec_test")["id"] == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace("evt_1", "evt_2"), header, "whsec_test")
    stale = delivery.signature("whsec_test", payload, int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError):  # receivers refuse timestamps older than 300 s
        stripe.Webhook.construct_event(payload, stale, "whsec_test")


def test_a_poison_message_fails_alone_and_blocks_no_delivery(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from localrun.receiver import Receiver
    from orgshare.domain import webhooks
    from orgshare.params.webhooks import WebhookEndpointCreate
    from orgshare.settings import get_settings

    monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")  # the receiver is on 127.0.0.1
    get_settings.cache_clear()
    demo = admin.seed_demo()
    rides = auth.authenticate(demo.accounts[1].key)
    receiver = Receiver().start()
    try:
        webhooks.create(rides, WebhookEndpointCreate(url=f"{receiver.url}/ok", enabled_events=["*"]))
        event = {
            "id": "evt_0VbkAAAAAAAAAAAAAAAAAAAA",
            "object": "event",
            "type": "customer.created",
            "context": rides.account,
            "data": {"object": {}},
        }
        envelope = {"detail": {"org": rides.org, "mode": "test", "account": rides.account, "org_copy": False, "event": event}}
        res = tpl.resources(tpl.load(), "AWS::Serverless::Function")["DispatcherFunction"]
        dispatcher = Function("DispatcherFunction", tpl.ROOT / res["Properties"]["CodeUri"], res["Properties"]["Handler"])
        common = {"eventSource": "aws:sqs", "receiptHandle": "r", "attributes": {}, "messageAttributes": {}}
        records = [{"messageId": "poison", "body": "{not json", **common}, {"messageId": "good", "body": json.dumps(envelope), **common}]
        reply = dispatcher.invoke({"Records": records})
        assert reply["batchItemFailures"] == [{"itemIdentifier": "poison"}]  # to the DLQ after maxReceiveCount, alone
        delivered = receiver.wait_until(lambda ds: len(ds) == 1)
        assert json.loads(delivered[0].body)["id"] == event["id"]
    finally:
        receiver.stop()
