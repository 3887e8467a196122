"""make run keeps data across a restart only when asked (PERSIST=1, i.e. --persist), a crash included,
and a restart sends every event once: none lost, none again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from localrun.receiver import Delivery, Receiver
from tests.conftest import FAST_WEBHOOKS, eventually, kill, launch, stop

pytestmark = pytest.mark.integration


def test_data_survives_a_restart_only_with_persist(tmp_path: Path) -> None:
    proc, first = launch(tmp_path / "kept", "--persist")
    cus = first.client("Rocket Rides").v1.customers.create(params={"name": "Kept Kim", "metadata": {"k": "v"}})
    card = first.client("Rocket Rides").v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})  # sealed, binary at rest
    stop(proc)

    proc, second = launch(tmp_path / "kept", "--persist")
    try:
        # Old secrets were never stored, so the restart mints and prints new keys for the same accounts.
        assert second.accounts["Rocket Rides"].id == first.accounts["Rocket Rides"].id
        assert second.accounts["Rocket Rides"].key != first.accounts["Rocket Rides"].key
        kept = second.client("Rocket Rides").v1.customers.retrieve(cus.id)
        assert kept.name == "Kept Kim" and kept.to_dict()["metadata"] == {"k": "v"}
        # The sealed card number came back intact: the card can still be charged through the seeded connector.
        paid = second.client("Rocket Rides").v1.payment_intents.create(
            params={"amount": 100, "currency": "eur", "payment_method": card.id, "confirm": True}
        )
        assert paid.status == "succeeded"
    finally:
        stop(proc)

    proc, fresh = launch(tmp_path / "kept")  # without --persist: a new, empty world
    try:
        assert fresh.accounts["Rocket Rides"].id != first.accounts["Rocket Rides"].id
        with pytest.raises(stripe.InvalidRequestError):
            fresh.client("Rocket Rides").v1.customers.retrieve(cus.id)
    finally:
        stop(proc)


# Continuous persistence: what a crash (kill -9) may lose, and what a restart sends.


def saved(state_dir: Path) -> dict[str, Any]:
    """The snapshot as it is on disk now (replaced whole, so never half-written)."""
    path = state_dir / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def holds(state_dir: Path, object_id: str) -> bool:
    return object_id in json.dumps(saved(state_dir).get("tables", {}))


def settled(state_dir: Path) -> bool:
    """The snapshot has every change handed on: none waits for the publisher, no message in a queue."""
    snapshot = saved(state_dir)
    return "stream" in snapshot and not any(snapshot["stream"].values()) and not any(snapshot.get("queues", {}).values())


def waiting_to_publish(state_dir: Path, object_id: str) -> bool:
    return object_id in json.dumps(saved(state_dir).get("stream", {}))


def created_events(deliveries: list[Delivery], object_id: str) -> list[str]:
    events = [json.loads(d.body) for d in deliveries]
    return [e["id"] for e in events if e["type"] == "customer.created" and e["data"]["object"]["id"] == object_id]


def hooks(client: stripe.StripeClient, receiver: Receiver) -> None:
    client.raw_request("post", "/v1/webhook_endpoints", url=f"{receiver.url}/hooks", **{"enabled_events[0]": "customer.created"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def test_a_crash_keeps_every_write_and_a_restart_sends_no_event_twice(tmp_path: Path, receiver: Receiver) -> None:
    state = tmp_path / "crash"
    proc, first = launch(state, "--persist", *FAST_WEBHOOKS)
    try:
        rides = first.client("Rocket Rides")
        hooks(rides, receiver)
        cus = rides.v1.customers.create(params={"name": "Crash Cora"})
        receiver.wait_until(lambda ds: bool(created_events(ds, cus.id)))
        eventually(lambda: holds(state, cus.id) and settled(state))
    finally:
        kill(proc)

    proc, second = launch(state, "--persist", *FAST_WEBHOOKS)
    try:
        rides = second.client("Rocket Rides")
        assert rides.v1.customers.retrieve(cus.id).name == "Crash Cora"
        later = rides.v1.customers.create(params={"name": "Later Lou"})  # the endpoint survived too: its event arrives
        receiver.wait_until(lambda ds: bool(created_events(ds, later.id)))
        eventually(lambda: holds(state, later.id) and settled(state))
        assert len(created_events(receiver.deliveries, cus.id)) == 1
        assert len(created_events(receiver.deliveries, later.id)) == 1
    finally:
        stop(proc)


def test_a_clean_restart_sends_no_event_twice(tmp_path: Path, receiver: Receiver) -> None:
    state = tmp_path / "clean"
    proc, first = launch(state, "--persist", *FAST_WEBHOOKS)
    try:
        hooks(first.client("Rocket Rides"), receiver)
        cus = first.client("Rocket Rides").v1.customers.create(params={"name": "Once Olive"})
        receiver.wait_until(lambda ds: bool(created_events(ds, cus.id)))
    finally:
        stop(proc)

    proc, second = launch(state, "--persist", *FAST_WEBHOOKS)
    try:
        later = second.client("Rocket Rides").v1.customers.create(params={"name": "Later Lena"})
        # A re-sent event would be published before the new one (it comes first in the stream).
        deliveries = receiver.wait_until(lambda ds: bool(created_events(ds, later.id)))
        assert len(created_events(deliveries, cus.id)) == 1
        eventually(lambda: holds(state, later.id) and settled(state))
        assert len(created_events(receiver.deliveries, cus.id)) == 1
    finally:
        stop(proc)


def test_a_change_not_yet_published_at_a_crash_is_published_after_the_restart(tmp_path: Path, receiver: Receiver) -> None:
    state = tmp_path / "held"
    # LOCALRUN_PAUSE_STREAM holds the publisher back: the change is committed, its event not yet sent.
    proc, first = launch(state, "--persist", *FAST_WEBHOOKS, env={"LOCALRUN_PAUSE_STREAM": "1"})
    try:
        rides = first.client("Rocket Rides")
        hooks(rides, receiver)
        cus = rides.v1.customers.create(params={"name": "Pending Pia"})
        eventually(lambda: holds(state, cus.id) and waiting_to_publish(state, cus.id))
        assert created_events(receiver.deliveries, cus.id) == []
    finally:
        kill(proc)

    proc, second = launch(state, "--persist", *FAST_WEBHOOKS)
    try:
        receiver.wait_until(lambda ds: bool(created_events(ds, cus.id)))
        eventually(lambda: settled(state))
        assert len(created_events(receiver.deliveries, cus.id)) == 1
        assert second.client("Rocket Rides").v1.customers.retrieve(cus.id).name == "Pending Pia"
    finally:
        stop(proc)
