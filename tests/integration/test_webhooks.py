"""Events and webhooks end to end on the local system: stream -> publisher -> bus -> queue ->
dispatcher -> a real HTTP receiver on 127.0.0.1, signatures checked with the stripe SDK."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from localrun.receiver import Behaviour, Delivery, Receiver
from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration


_created: list[tuple[stripe.StripeClient, str]] = []


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _remove_endpoints() -> Iterator[None]:
    # Each test's endpoints go with its receiver, so no later test's events are sent to them.
    yield
    while _created:
        client, endpoint_id = _created.pop()
        with contextlib.suppress(stripe.InvalidRequestError):  # the test may have deleted it itself
            client.v1.webhook_endpoints.delete(endpoint_id)


def endpoint(client: stripe.StripeClient, url: str, events: list[str] | None = None, **extra: Any) -> Any:
    params = {"url": url, **{f"enabled_events[{i}]": e for i, e in enumerate(events or ["*"])}, **extra}
    created: Any = client.deserialize(client.raw_request("post", "/v1/webhook_endpoints", **params), api_mode="V1")
    _created.append((client, created.id))
    return created


def verified(delivery: Delivery, secret: str) -> Any:
    return stripe.Webhook.construct_event(delivery.body, delivery.signature, secret)


def about(deliveries: list[Delivery], path: str, object_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    events = [json.loads(d.body) for d in deliveries if d.path == path]
    return [e for e in events if e["data"]["object"].get("id") == object_id and (kind is None or e["type"] == kind)]


def test_shared_update_reaches_every_pool_account_and_the_organization_once(local_system: LocalSystem, receiver: Receiver) -> None:
    names = ("Rocket Rides", "Rocket Deliveries", "Rocket Platform")
    clients = {n: local_system.client(n) for n in names}
    secrets = {n: endpoint(clients[n], f"{receiver.url}/{n.split()[1]}").secret for n in names}
    secrets["org"] = endpoint(clients["Rocket Platform"], f"{receiver.url}/org", scope="organization").secret
    rides_id = local_system.accounts["Rocket Rides"].id

    rides = clients["Rocket Rides"]
    cus = rides.v1.customers.create(params={"name": "Evt Eve", "metadata": {"from": "rides"}})
    rides.v1.customers.update(cus.id, params={"email": "eve@example.com"}, options={"idempotency_key": "evt-shared-1"})
    rides.v1.customers.update(cus.id, params={"metadata": {"vip": "yes"}})
    marker = rides.v1.customers.create(params={"name": "Marker"})

    def updates_of(field: str, ds: list[Delivery], path: str) -> list[dict[str, Any]]:
        return [e for e in about(ds, path, cus.id, "customer.updated") if field in e["data"]["previous_attributes"]]

    # Webhooks carry no order guarantee (as Stripe's): wait for everything expected, and for a later
    # change (the marker) everywhere, after which an event wrongly sent would most likely be in too.
    paths = [f"/{n.split()[1]}" for n in names] + ["/org"]
    deliveries = receiver.wait_until(
        lambda ds: (
            all(about(ds, p, marker.id) and updates_of("email", ds, p) for p in paths)
            and all(updates_of("metadata", ds, p) for p in ("/Rides", "/org"))
        )
    )

    # A shared field: one customer.updated per pool account, each with its own id and context, and
    # the object as that account sees it (its own metadata, not Rides').
    shared_updates = {p: updates_of("email", deliveries, p) for p in paths}
    assert all(len(events) == 1 for events in shared_updates.values()), shared_updates
    per_account = {p: events[0] for p, events in shared_updates.items()}
    assert len({e["id"] for p, e in per_account.items() if p != "/org"}) == 3
    assert per_account["/Rides"]["context"] == rides_id and per_account["/Rides"]["data"]["object"]["metadata"] == {"from": "rides"}
    assert per_account["/Deliveries"]["context"] == local_system.accounts["Rocket Deliveries"].id
    assert per_account["/Deliveries"]["data"]["object"]["metadata"] == {}
    assert per_account["/Deliveries"]["data"]["object"]["email"] == "eve@example.com"
    assert per_account["/Rides"]["request"]["idempotency_key"] == "evt-shared-1"
    # The organization endpoint: exactly one event for the change, with the account it came from.
    assert per_account["/org"]["context"] == rides_id and per_account["/org"]["id"] == per_account["/Rides"]["id"]

    # A metadata-only update: one event, to Rides only (and the organization's copy of it).
    metadata_updates = {p: updates_of("metadata", deliveries, p) for p in paths}
    assert len(metadata_updates["/Rides"]) == 1 and len(metadata_updates["/org"]) == 1
    assert metadata_updates["/Deliveries"] == [] and metadata_updates["/Platform"] == []
    assert metadata_updates["/Rides"][0]["data"]["previous_attributes"] == {"metadata": {"vip": ""}}

    # Every delivery carries a signature the stripe SDK accepts with that endpoint's secret.
    for delivery in deliveries:
        if delivery.path in ("/Rides", "/Deliveries", "/Platform", "/org"):
            key = {"/Rides": "Rocket Rides", "/Deliveries": "Rocket Deliveries", "/Platform": "Rocket Platform", "/org": "org"}[
                delivery.path
            ]
            assert verified(delivery, secrets[key]).id
    with pytest.raises(stripe.SignatureVerificationError):
        verified(next(d for d in deliveries if d.path == "/Rides"), secrets["Rocket Deliveries"])


def test_events_api_is_scoped_to_the_caller(local_system: LocalSystem) -> None:
    rides, deliveries, platform = (local_system.client(n) for n in ("Rocket Rides", "Rocket Deliveries", "Rocket Platform"))
    cus = rides.v1.customers.create(params={"name": "Api Ann"})
    rides.v1.customers.update(cus.id, params={"phone": "+4930111"})

    def listed(client: stripe.StripeClient, **params: Any) -> list[Any]:
        query: Any = {"limit": 100, **params}
        page = client.v1.events.list(params=query).data
        return [e for e in page if e.to_dict()["data"]["object"].get("id") == cus.id]

    # The publisher runs asynchronously: its two events per account appear shortly.
    eventually(lambda: len(listed(rides)) == 2 and len(listed(deliveries)) == 2)
    mine = listed(rides)
    assert [e.type for e in mine] == ["customer.updated", "customer.created"]  # newest first
    assert all(e["context"] == local_system.accounts["Rocket Rides"].id for e in mine)
    assert [e.type for e in listed(rides, type="customer.created")] == ["customer.created"]
    assert listed(rides, type="customer.*") == mine
    assert rides.v1.events.retrieve(mine[0].id).id == mine[0].id
    with pytest.raises(stripe.InvalidRequestError):
        deliveries.v1.events.retrieve(mine[0].id)  # another account's event id
    assert {e.id for e in listed(platform)} == {e.id for e in mine}  # the organization's copies: the actor's events
    assert all(e.livemode is False and e.api_version for e in mine)


def test_failing_endpoint_gets_the_event_once_after_retries(local_system: LocalSystem, receiver: Receiver) -> None:
    rides = local_system.client("Rocket Rides")
    receiver.behaviours["/flaky"] = Behaviour(fail_first=2)
    hook = endpoint(rides, f"{receiver.url}/flaky", ["customer.created"])
    cus = rides.v1.customers.create(params={"name": "Retry Rex"})

    delivered = receiver.wait_until(lambda ds: bool(about(ds, "/flaky", cus.id)))
    events = about(delivered, "/flaky", cus.id)
    assert len(events) == 1 and receiver.behaviours["/flaky"].seen == 3

    def attempts() -> list[Any]:
        answer = rides.raw_request("get", f"/v1/events/{events[0]['id']}/delivery_attempts")
        return [a for a in rides.deserialize(answer, api_mode="V1")["data"] if a.webhook_endpoint == hook.id]

    eventually(lambda: len(attempts()) == 3)  # the third attempt is recorded just after its answer
    # Only the class of the receiver's status is kept, never the exact code.
    history = sorted((a.attempt, a.status, a.response_status_class, a.error) for a in attempts())
    assert history == [(1, "failed", "5xx", None), (2, "failed", "5xx", None), (3, "succeeded", "2xx", None)]
    assert all("response_status" not in a for a in attempts())


def test_a_slow_endpoint_does_not_hold_up_the_others(local_system: LocalSystem, receiver: Receiver) -> None:
    rides = local_system.client("Rocket Rides")
    fast_arrived = threading.Event()
    # The slow endpoint answers only once the fast one has its event: delivered one after the other
    # (slow first), it would time out and the fast one would come later.
    receiver.behaviours["/slow"] = Behaviour(wait_for=fast_arrived, wait_timeout=1.5)
    endpoint(rides, f"{receiver.url}/slow", ["customer.created"])
    endpoint(rides, f"{receiver.url}/fast", ["customer.created"])
    cus = rides.v1.customers.create(params={"name": "Race Ray"})
    receiver.wait_until(lambda ds: bool(about(ds, "/fast", cus.id)))
    fast_arrived.set()
    delivered = receiver.wait_until(lambda ds: bool(about(ds, "/slow", cus.id)))
    fast = next(d for d in delivered if d.path == "/fast" and cus.id in d.body)
    slow = next(d for d in delivered if d.path == "/slow" and cus.id in d.body)
    assert fast.received <= slow.received
    assert receiver.behaviours["/slow"].seen >= 1


def test_resend_delivers_an_event_again(local_system: LocalSystem, receiver: Receiver) -> None:
    rides = local_system.client("Rocket Rides")
    hook = endpoint(rides, f"{receiver.url}/resend", ["customer.created"])
    cus = rides.v1.customers.create(params={"name": "Again Abe"})
    first = about(receiver.wait_until(lambda ds: bool(about(ds, "/resend", cus.id))), "/resend", cus.id)[0]
    rides.raw_request("post", f"/v1/events/{first['id']}/retry", webhook_endpoint=hook.id)
    twice = about(receiver.wait_until(lambda ds: len(about(ds, "/resend", cus.id)) == 2), "/resend", cus.id)
    assert [e["id"] for e in twice] == [first["id"], first["id"]]


def test_webhook_endpoints_api(local_system: LocalSystem) -> None:
    rides, platform = local_system.client("Rocket Rides"), local_system.client("Rocket Platform")
    created = endpoint(rides, "http://localhost:9/hooks", ["customer.created", "payment_method.*"], description="Orders")
    assert created.secret.startswith("whsec_") and created.status == "enabled" and created["scope"] == "account"
    fetched = rides.v1.webhook_endpoints.retrieve(created.id)
    assert "secret" not in fetched and fetched.enabled_events == ["customer.created", "payment_method.*"]
    assert created.id in [e.id for e in rides.v1.webhook_endpoints.list(params={"limit": 100}).data]
    updated = rides.v1.webhook_endpoints.update(created.id, params={"disabled": True, "description": "Paused"})
    assert updated.status == "disabled" and updated.description == "Paused"
    with pytest.raises(stripe.InvalidRequestError):
        local_system.client("Rocket Deliveries").v1.webhook_endpoints.retrieve(created.id)
    assert rides.v1.webhook_endpoints.delete(created.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.webhook_endpoints.retrieve(created.id)
    with pytest.raises(stripe.PermissionError):
        endpoint(rides, "http://localhost:9/all", scope="organization")
    with pytest.raises(stripe.InvalidRequestError) as bad_event:
        endpoint(rides, "http://localhost:9/x", ["Customer Created!"])
    assert bad_event.value.http_status == 400
    org = endpoint(platform, "http://127.0.0.1:9/org", scope="organization")
    assert org["scope"] == "organization" and org.id in [e.id for e in platform.v1.webhook_endpoints.list(params={"limit": 100}).data]


@pytest.mark.parametrize(
    ("mode", "url", "allowed"),
    [
        ("test", "http://localhost:8000/hooks", True),
        ("test", "http://127.0.0.1:8000/hooks", True),
        ("test", "http://169.254.169.254/latest/meta-data", False),
        ("test", "http://10.1.2.3/hooks", False),
        ("test", "ftp://127.0.0.1/hooks", False),
        ("test", "http://user:pw@127.0.0.1/hooks", False),
        ("live", "http://93.184.216.34/hooks", False),
        ("live", "https://127.0.0.1/hooks", False),
        ("live", "https://10.0.0.1/hooks", False),
        ("live", "https://192.168.1.1/hooks", False),
        ("live", "https://169.254.169.254/hooks", False),
        ("live", "https://[::1]/hooks", False),
        ("live", "https://93.184.216.34/hooks", True),
    ],
)
def test_endpoint_urls_are_checked(local_system: LocalSystem, mode: str, url: str, allowed: bool) -> None:
    keys = local_system.admin("create-org", "--name", "Url Co")["keys"]
    assert isinstance(keys, dict)
    client = local_system.client(key=keys[mode])
    if allowed:
        assert endpoint(client, url).url == url
    else:
        with pytest.raises(stripe.InvalidRequestError) as err:
            endpoint(client, url)
        assert err.value.param == "url"
