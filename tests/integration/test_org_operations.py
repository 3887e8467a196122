"""Organization operations through the stripe SDK on the local system: the platform's key acting
for an account (Stripe-Account) refunds its payment, updates its customer's shared email, attaches
and detaches a card; each event belongs to that account (`context`) and says the organization
acted (`actor`), as do the refund and the card's audit trail. An account's own key acting shows
the account as actor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from localrun.receiver import Receiver
from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


@pytest.fixture
def org_endpoint(local_system: LocalSystem) -> Iterator[Receiver]:
    running = Receiver().start()
    platform = local_system.client()
    endpoint: Any = call(platform, "post", "/v1/webhook_endpoints", url=f"{running.url}/org", scope="organization",
                         **{"enabled_events[0]": "refund.created"})  # fmt: skip
    assert endpoint.scope == "organization"
    yield running
    platform.v1.webhook_endpoints.delete(endpoint.id)
    running.stop()


def events_about(client: stripe.StripeClient, object_id: str) -> list[dict[str, Any]]:
    listed = client.v1.events.list(params={"limit": 100}).data
    return [e.to_dict() for e in listed if e.to_dict()["data"]["object"].get("id") == object_id]


def test_the_platform_acting_for_an_account_is_recorded_as_the_organization(local_system: LocalSystem, org_endpoint: Receiver) -> None:
    rides, deliveries, platform = (local_system.client(n) for n in ("Rocket Rides", "Rocket Deliveries", "Rocket Platform"))
    rides_id, platform_id = local_system.accounts["Rocket Rides"].id, local_system.accounts["Rocket Platform"].id
    as_rides: Any = {"stripe_account": rides_id}
    jenny = rides.v1.customers.create(params={"name": "Jenny Operated", "email": "jenny.before@example.com"})
    paid: Any = rides.v1.payment_intents.create(params={"amount": 3000, "currency": "eur", "customer": jenny.id,
                                                        "payment_method": "pm_card_visa", "confirm": True})  # fmt: skip

    # The organization refunds Rides' payment.
    refund: Any = platform.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1200}, options=as_rides)
    assert refund.status == "succeeded" and refund["actor"]["type"] == "organization" and refund["actor"]["account"] == platform_id
    assert rides.v1.refunds.retrieve(refund.id)["actor"]["type"] == "organization"  # Rides sees who refunded its payment
    own: Any = rides.v1.refunds.create(params={"payment_intent": paid.id, "amount": 800})
    assert own["actor"]["type"] == "account" and own["actor"]["account"] == rides_id

    # ... updates Jenny's shared email, attaches a card and detaches it, for Rides.
    platform.v1.customers.update(jenny.id, params={"email": "jenny.after@example.com"}, options=as_rides)
    card: Any = platform.v1.payment_methods.attach("pm_card_mastercard", params={"customer": jenny.id}, options=as_rides)
    platform.v1.payment_methods.detach(card.id, options=as_rides)
    rides.v1.customers.update(jenny.id, params={"name": "Jenny Operated Herself"})  # and Rides itself

    def rides_events() -> dict[str, list[dict[str, Any]]]:
        seen: dict[str, list[dict[str, Any]]] = {}
        for object_id in (jenny.id, card.id, refund.id, own.id):
            for event in events_about(rides, object_id):
                seen.setdefault(event["type"], []).append(event)
        return seen

    wanted = ("refund.created", "customer.updated", "payment_method.attached", "payment_method.detached")
    eventually(lambda: all(k in rides_events() for k in wanted) and len(rides_events()["customer.updated"]) == 2
               and len(rides_events()["refund.created"]) == 2)  # fmt: skip
    seen = rides_events()
    for kind in wanted:
        by_org = [e for e in seen[kind] if e["actor"]["type"] == "organization"]
        assert len(by_org) == 1, kind
        assert by_org[0]["context"] == rides_id and by_org[0]["actor"] == {"type": "organization", "account": platform_id}, kind
        assert "api_key" not in by_org[0]["actor"]  # who, not with which key: that stays in the organization's records
    email_update = next(e for e in seen["customer.updated"] if "email" in e["data"]["previous_attributes"])
    assert email_update["actor"]["type"] == "organization"
    own_update = next(e for e in seen["customer.updated"] if "name" in e["data"]["previous_attributes"])
    assert own_update["actor"] == {"type": "account", "account": rides_id}
    assert next(e for e in seen["refund.created"] if e["data"]["object"]["id"] == own.id)["actor"]["type"] == "account"

    # A shared change reaches Deliveries too: its own event, its own context, the same actor.
    eventually(lambda: any("email" in e["data"].get("previous_attributes", {}) for e in events_about(deliveries, jenny.id)))
    theirs = next(e for e in events_about(deliveries, jenny.id) if "email" in e["data"].get("previous_attributes", {}))
    assert theirs["context"] == local_system.accounts["Rocket Deliveries"].id and theirs["actor"]["type"] == "organization"

    # The organization's endpoint gets the refund once, with the account it belongs to.
    delivered = org_endpoint.wait_until(lambda ds: any(refund.id in d.body for d in ds) and any(own.id in d.body for d in ds))
    refunds = [json.loads(d.body) for d in delivered if refund.id in d.body]
    assert len(refunds) == 1 and refunds[0]["context"] == rides_id and refunds[0]["actor"]["type"] == "organization"


def test_the_card_audit_trail_shows_who_charged(local_system: LocalSystem) -> None:
    rides, platform = local_system.client("Rocket Rides"), local_system.client("Rocket Platform")
    rides_id = local_system.accounts["Rocket Rides"].id
    cus = rides.v1.customers.create(params={"name": "Audited Ann"})
    card = rides.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    mine: Any = rides.v1.payment_intents.create(params={"amount": 700, "currency": "eur", "customer": cus.id, "payment_method": card.id,
                                                        "confirm": True})  # fmt: skip
    theirs: Any = platform.v1.payment_intents.create(params={"amount": 900, "currency": "eur", "customer": cus.id,
                                                             "payment_method": card.id, "confirm": True},
                                                     options={"stripe_account": rides_id})  # fmt: skip
    usage = {u.id: u.to_dict() for u in call(rides, "get", f"/v1/payment_methods/{card.id}/usage").data}
    assert usage[mine.latest_charge]["actor"]["type"] == "account" and usage[mine.latest_charge]["actor"]["account"] == rides_id
    by_org = usage[theirs.latest_charge]["actor"]
    assert by_org["type"] == "organization" and by_org["account"] == local_system.accounts["Rocket Platform"].id
    assert by_org["api_key"].startswith("key_")  # the key's id (never its secret), for the organization's own audit
    assert usage[theirs.latest_charge]["account"] == rides_id  # the payment is still Rides'
