"""Fair webhook delivery, on a local system of this module's own (its slow lane is kept busy on
purpose): an organization whose endpoints hang for their whole timeout does not hold up another
organization's webhooks, and an endpoint failing for days is disabled, with an event."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from localrun.receiver import Behaviour, Receiver
from tests.conftest import LocalSystem, eventually, launch, stop
from tests.integration.test_webhooks import about

pytestmark = pytest.mark.integration

TIMEOUT = 2  # seconds an endpoint has to answer


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    # No retries within the test (the first is an hour away): only first attempts are counted.
    proc, running = launch(tmp_path_factory.mktemp("fairness"), "--retry-schedule", "3600", "--webhook-timeout", str(TIMEOUT))
    yield running
    stop(proc)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def _endpoint(client: stripe.StripeClient, url: str, events: list[str]) -> Any:
    params = {"url": url, **{f"enabled_events[{i}]": e for i, e in enumerate(events)}}
    return client.deserialize(client.raw_request("post", "/v1/webhook_endpoints", **params), api_mode="V1")


def _stored(system: LocalSystem, endpoint_id: str) -> dict[str, Any]:
    """The endpoint's item as stored (what the API does not show: its health)."""
    items = system.table_items()[system.env["DIRECTORY_TABLE"]]
    return next(i for i in items if i["sk"]["S"].endswith(f"#{endpoint_id}"))


def _plant_failing_since(system: LocalSystem, endpoint_id: str, since: int) -> None:
    item = _stored(system, endpoint_id)
    system.dynamodb().update_item(
        TableName=system.env["DIRECTORY_TABLE"], Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="SET failing_since = :t", ExpressionAttributeValues={":t": {"N": str(since)}},
    )  # fmt: skip


def test_an_organization_whose_endpoints_hang_does_not_hold_up_another_organizations_webhooks(
    system: LocalSystem, receiver: Receiver
) -> None:
    hostile = system.client(key=str(system.admin("create-org", "--name", "Hanging Hosts")["keys"]["test"]))  # type: ignore[index]
    never = threading.Event()
    hanging = [f"/hang{n}" for n in range(3)]
    for path in hanging:
        receiver.behaviours[path] = Behaviour(wait_for=never, wait_timeout=120)
    ids = [_endpoint(hostile, receiver.url + path, ["customer.created"]).id for path in hanging]
    try:
        # Each endpoint's first failure (a timeout, on the main lane) makes it failing.
        hostile.v1.customers.create(params={"name": "First"})
        eventually(lambda: all("failing_since" in _stored(system, i) for i in ids), timeout=30)
        # A burst of the hanging organization's events (60 deliveries, each holding its attempt for the
        # whole timeout), then one event of another organization.
        for n in range(20):
            hostile.v1.customers.create(params={"name": f"Burst {n}"})
        rides = system.client("Rocket Rides")
        fair = _endpoint(rides, f"{receiver.url}/fair", ["customer.created"])
        cus = rides.v1.customers.create(params={"name": "Fair Fay"})
        receiver.wait_until(lambda ds: bool(about(ds, "/fair", cus.id)), timeout=30)
        # Posted one lane for all (as before), the other organization's delivery would have waited for the
        # burst's 60 attempts to be made and time out first; on the slow lane at most a batch of them had started.
        started = sum(receiver.behaviours[p].seen for p in hanging)
        assert started < 3 + 60, started
        rides.v1.webhook_endpoints.delete(fair.id)
    finally:
        for endpoint_id in ids:
            hostile.v1.webhook_endpoints.delete(endpoint_id)
        never.set()


def test_an_endpoint_failing_for_days_is_disabled_with_an_event_and_enabled_again_starts_afresh(
    system: LocalSystem, receiver: Receiver
) -> None:
    rides = system.client("Rocket Rides")
    receiver.behaviours["/down"] = Behaviour(fail_first=10**6)
    down = _endpoint(rides, f"{receiver.url}/down", ["customer.created"])
    watcher = _endpoint(rides, f"{receiver.url}/watch", ["webhook_endpoint.disabled"])
    try:
        # Its failing streak began four days ago (planted: the default is to disable after three).
        _plant_failing_since(system, down.id, int(time.time()) - 4 * 86_400)
        cus = rides.v1.customers.create(params={"name": "Down Dee"})
        told = receiver.wait_until(lambda ds: any(d.path == "/watch" for d in ds), timeout=30)
        event = stripe.Webhook.construct_event(next(d for d in told if d.path == "/watch").body,
                                               next(d for d in told if d.path == "/watch").signature, watcher.secret)  # fmt: skip
        assert event.type == "webhook_endpoint.disabled"
        disabled = json.loads(str(event))["data"]["object"]
        assert (disabled["id"], disabled["status"], "secret" in disabled) == (down.id, "disabled", False)
        assert json.loads(str(event))["data"]["previous_attributes"] == {"status": "enabled"}
        assert rides.v1.webhook_endpoints.retrieve(down.id).status == "disabled"
        assert receiver.behaviours["/down"].seen == 1  # its attempt for the customer, and no more
        assert about(told, "/down", cus.id) == []

        # Enabled again, it starts afresh: not failing, so its next event goes out on the main lane. (Updating an
        # endpoint that is enabled keeps its streak: "disabled=false" is no way back to the main lane; a new URL is.)
        rides.v1.webhook_endpoints.update(down.id, params={"disabled": False})
        assert "failing_since" not in _stored(system, down.id)
        assert rides.v1.webhook_endpoints.retrieve(down.id).status == "enabled"
        _plant_failing_since(system, down.id, int(time.time()))
        rides.v1.webhook_endpoints.update(down.id, params={"disabled": False})
        assert "failing_since" in _stored(system, down.id)
        rides.v1.webhook_endpoints.update(down.id, params={"url": f"{receiver.url}/moved"})
        assert "failing_since" not in _stored(system, down.id)
    finally:
        rides.v1.webhook_endpoints.delete(down.id)
        rides.v1.webhook_endpoints.delete(watcher.id)
