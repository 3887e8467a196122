"""Refund updates through the stripe SDK on the local system: the metadata changes on the refund
and on its charge's copy, `refund.updated` reaches the owning account with what changed, another
account cannot touch it, and a bad request writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rides(local_system: LocalSystem) -> stripe.StripeClient:
    return local_system.client("Rocket Rides")


def _refund(rides: stripe.StripeClient) -> Any:
    paying: Any = {"amount": 3000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    intent = rides.v1.payment_intents.create(params=paying)
    return rides.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000, "metadata": {"ride": "7"}})


def test_update_sets_metadata_everywhere_and_sends_refund_updated(local_system: LocalSystem, rides: Any) -> None:
    refund = _refund(rides)
    updated = rides.v1.refunds.update(refund.id, params={"metadata": {"note": "x"}})
    assert (updated.id, updated.object, updated.amount, updated.status) == (refund.id, "refund", 1000, "succeeded")
    assert updated.metadata.to_dict() == {"ride": "7", "note": "x"}
    assert rides.v1.refunds.retrieve(refund.id).metadata.to_dict() == {"ride": "7", "note": "x"}
    charge_id = str(refund.charge)
    in_charge = [r for r in rides.v1.charges.retrieve(charge_id).refunds.data if r.id == refund.id]
    assert [r.metadata.to_dict() for r in in_charge] == [{"ride": "7", "note": "x"}]
    listed = [r for r in rides.v1.refunds.list(params={"charge": charge_id}).data if r.id == refund.id]
    assert [r.metadata.to_dict() for r in listed] == [{"ride": "7", "note": "x"}]

    expanded = rides.v1.refunds.update(refund.id, params={"metadata": {"note": "x"}, "expand": ["charge"]})
    assert expanded.charge.id == charge_id and expanded.metadata.to_dict() == {"ride": "7", "note": "x"}

    # One key unset: the refund loses it, the other stays.
    unset = rides.v1.refunds.update(refund.id, params={"metadata": {"ride": ""}})
    assert unset.metadata.to_dict() == {"note": "x"}

    def updates() -> list[Any]:
        found = rides.v1.events.list(params={"type": "refund.updated", "limit": 100}).data
        return sorted((e for e in found if e.data.object.id == refund.id), key=lambda e: e.created)

    eventually(lambda: len(updates()) == 2)
    previous = sorted(sorted(e.data.previous_attributes.to_dict()["metadata"].items()) for e in updates())
    assert previous == [[("note", "")], [("ride", "7")]]  # each names the keys it changed, with their old values
    objects = sorted(sorted(e.data.object.metadata.to_dict().items()) for e in updates())
    assert objects == [[("note", "x")], [("note", "x"), ("ride", "7")]]

    # Another account (same pool, or the platform on its own) cannot update it, nor sees the event.
    deliveries = local_system.client("Rocket Deliveries")
    for other in (deliveries, local_system.client("Rocket Platform")):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            other.v1.refunds.update(refund.id, params={"metadata": {"note": "theirs"}})
        assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert [e for e in deliveries.v1.events.list(params={"type": "refund.updated"}).data if e.data.object.id == refund.id] == []
    assert rides.v1.refunds.retrieve(refund.id).metadata.to_dict() == {"note": "x"}


def test_a_bad_update_writes_nothing(rides: Any) -> None:
    refund = _refund(rides)
    for bad in (
        {"metadata": {"note": "y"}, "amount": 5},
        {"metadata": {"note": "y"}, "reason": "duplicate"},
        {"metadata": {"note": "y" * 501}},
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            rides.v1.refunds.update(refund.id, params=bad)
        assert refused.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        rides.v1.refunds.update("re_unknown", params={"metadata": {"note": "y"}})
    assert unknown.value.http_status == 404
    assert rides.v1.refunds.retrieve(refund.id).metadata.to_dict() == {"ride": "7"}
    in_charge = [r for r in rides.v1.charges.retrieve(str(refund.charge)).refunds.data if r.id == refund.id]
    assert [r.metadata.to_dict() for r in in_charge] == [{"ride": "7"}]
    # An update that changes nothing is answered, with no event.
    same = rides.v1.refunds.update(refund.id, params={"metadata": {"ride": "7"}})
    assert same.metadata.to_dict() == {"ride": "7"}
    assert [e for e in rides.v1.events.list(params={"type": "refund.updated"}).data if e.data.object.id == refund.id] == []
