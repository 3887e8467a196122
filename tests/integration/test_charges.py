"""Charges through the stripe SDK on the local system: each confirm's charge readable by id and
listed (by intent, customer, creation time, with cursors), refunds by charge, `latest_charge`
expanded; a charge is its account's alone (the platform reads it on the account's behalf)."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration

DECLINED: Any = {"type": "card", "card": {"number": "4000000000009995", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}


def pay(client: stripe.StripeClient, amount: int, **params: Any) -> Any:
    """A payment on the demo's test connector (Rocket Rides has one), confirmed at once."""
    paying: Any = {"amount": amount, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True, **params}
    return client.v1.payment_intents.create(params=paying)


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


@pytest.fixture(scope="module")
def rides(local_system: LocalSystem) -> stripe.StripeClient:
    return local_system.client("Rocket Rides")


def test_a_payment_has_a_charge_of_its_account_only(local_system: LocalSystem, rides: stripe.StripeClient) -> None:
    jenny = rides.v1.customers.create(params={"name": "Charged Jenny"})
    intent = pay(rides, 2500, customer=jenny.id, description="Ride 42", metadata={"ride": "42"})
    assert intent.status == "succeeded" and isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")

    charge: Any = rides.v1.charges.retrieve(intent.latest_charge)
    assert (charge.object, charge.amount, charge.amount_captured, charge.amount_refunded) == ("charge", 2500, 2500, 0)
    assert (charge.captured, charge.refunded, charge.paid, charge.status, charge.livemode) == (True, False, True, "succeeded", False)
    assert (charge.payment_intent, charge.customer, charge.payment_method) == (intent.id, jenny.id, intent.payment_method)
    assert (charge.currency, charge.description, charge.metadata.to_dict()) == ("eur", "Ride 42", {"ride": "42"})
    assert (charge.failure_code, charge.failure_message, charge.outcome.type) == (None, None, "authorized")
    assert charge.balance_transaction is None and charge.receipt_email is None and charge.created > 0
    card = rides.v1.payment_methods.retrieve(intent.payment_method).card
    details = charge.payment_method_details
    assert details.type == "card" and card is not None
    assert details.card.to_dict() == {
        k: getattr(card, k) for k in ("brand", "last4", "exp_month", "exp_year", "funding", "country", "fingerprint")
    }
    assert (details.card.brand, details.card.last4) == ("visa", "4242")
    assert charge.billing_details.to_dict()["address"]["country"] is None
    assert (charge.refunds.object, charge.refunds.data, charge.refunds.url) == ("list", [], f"/v1/charges/{charge.id}/refunds")

    # Another account of the same pool cannot see it, nor find it by filter; nor can another pool.
    deliveries = local_system.client("Rocket Deliveries")
    for other in (deliveries, local_system.client("Rocket Rentals"), local_system.client("Rocket Platform")):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            other.v1.charges.retrieve(charge.id)
        assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert charge.id not in [c.id for c in deliveries.v1.charges.list(params={"limit": 100}).data]
    assert deliveries.v1.charges.list(params={"payment_intent": intent.id}).data == []
    assert deliveries.v1.charges.list(params={"customer": jenny.id}).data == []
    with pytest.raises(stripe.InvalidRequestError) as refused:
        deliveries.v1.refunds.create(params={"charge": charge.id})
    assert refused.value.http_status == 404

    # The platform reads it acting for Rides.
    as_rides: Any = {"stripe_account": local_system.accounts["Rocket Rides"].id}
    platform = local_system.client("Rocket Platform")
    assert platform.v1.charges.retrieve(charge.id, options=as_rides).to_dict() == charge.to_dict()
    assert [c.id for c in platform.v1.charges.list(params={"customer": jenny.id}, options=as_rides).data] == [charge.id]

    # Stripe's events: the charge's beside the intent's, the charge as the API shows it.
    def types() -> list[str]:
        return [e.type for e in rides.v1.events.list(params={"limit": 100}).data if e.data.object.id in (intent.id, charge.id)]

    eventually(lambda: len(types()) == 3)
    assert sorted(types()) == ["charge.succeeded", "payment_intent.created", "payment_intent.succeeded"]
    succeeded = next(e for e in rides.v1.events.list(params={"type": "charge.succeeded"}).data if e.data.object.id == charge.id)
    assert succeeded.data.object.to_dict() == charge.to_dict()


def test_a_decline_is_a_failed_charge_and_the_retry_another(rides: stripe.StripeClient) -> None:
    olga = rides.v1.customers.create(params={"name": "Declined Olga"})
    intent = rides.v1.payment_intents.create(params={"amount": 1200, "currency": "eur", "customer": olga.id,
                                                     "payment_method_data": DECLINED})  # fmt: skip
    with pytest.raises(stripe.CardError) as err:
        rides.v1.payment_intents.confirm(intent.id)
    body = err.value.json_body
    assert isinstance(body, dict)
    failed_id = body["error"]["charge"]
    assert body["error"]["payment_intent"]["latest_charge"] == failed_id
    assert body["error"]["payment_intent"]["last_payment_error"]["charge"] == failed_id
    failed: Any = rides.v1.charges.retrieve(failed_id)
    assert (failed.status, failed.paid, failed.captured, failed.amount_captured) == ("failed", False, False, 0)
    assert (failed.failure_code, failed.outcome.type, failed.outcome.reason) == ("card_declined", "issuer_declined", "insufficient_funds")
    assert failed.failure_message and failed.outcome.network_status == "declined_by_network"

    # Nothing to refund on a failed charge.
    with pytest.raises(stripe.InvalidRequestError) as refused:
        rides.v1.refunds.create(params={"charge": failed_id})
    assert (refused.value.code, refused.value.param) == ("charge_not_refundable", "charge")

    paid = rides.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded" and paid.latest_charge != failed_id
    attempts = rides.v1.charges.list(params={"payment_intent": intent.id}).data
    assert [(c.id, c.status) for c in attempts] == [(paid.latest_charge, "succeeded"), (failed_id, "failed")]
    assert [c.id for c in rides.v1.charges.list(params={"customer": olga.id}).data] == [paid.latest_charge, failed_id]
    assert [c.id for c in rides.v1.charges.list(params={"payment_intent": intent.id, "customer": olga.id}).data] == [
        paid.latest_charge,
        failed_id,
    ]

    def types() -> set[str]:
        return {e.type for e in rides.v1.events.list(params={"limit": 100}).data if e.data.object.id == failed_id}

    eventually(lambda: types() == {"charge.failed"})


def test_lists_newest_first_with_filters_and_cursors(rides: stripe.StripeClient) -> None:
    kim = rides.v1.customers.create(params={"name": "Listed Kim"})
    mine = [pay(rides, 100 + i, customer=kim.id).latest_charge for i in range(5)][::-1]  # newest first
    time.sleep(1.1)  # a later second, for the created ranges below
    other = pay(rides, 999).latest_charge  # no customer: not in kim's list

    listed = rides.v1.charges.list(params={"customer": kim.id})
    assert [c.id for c in listed.data] == mine and not listed.has_more
    assert [c.amount for c in listed.data] == [104, 103, 102, 101, 100]

    first = rides.v1.charges.list(params={"customer": kim.id, "limit": 2})
    assert [c.id for c in first.data] == mine[:2] and first.has_more
    second = rides.v1.charges.list(params={"customer": kim.id, "limit": 2, "starting_after": mine[1]})
    assert [c.id for c in second.data] == mine[2:4] and second.has_more
    last = rides.v1.charges.list(params={"customer": kim.id, "limit": 2, "starting_after": mine[3]})
    assert [c.id for c in last.data] == mine[4:] and not last.has_more
    back = rides.v1.charges.list(params={"customer": kim.id, "limit": 2, "ending_before": mine[4]})
    assert [c.id for c in back.data] == mine[2:4] and back.has_more
    assert [c.id for c in rides.v1.charges.list(params={"customer": kim.id, "limit": 2}).auto_paging_iter()] == mine

    # The account's own charges, newest first: the latest six are these.
    everything = rides.v1.charges.list(params={"limit": 5})
    assert [c.id for c in everything.data] == [other, *mine[:4]] and everything.has_more
    after = rides.v1.charges.list(params={"limit": 2, "starting_after": other})
    assert [c.id for c in after.data] == mine[:2]

    # created: a key range (ids are time-ordered), with or without a filter, exact seconds included.
    charges = {c.id: c for c in listed.data}
    newest, oldest = charges[mine[0]].created, charges[mine[-1]].created
    ranged = rides.v1.charges.list(params={"customer": kim.id, "created": {"gte": oldest, "lte": newest}})
    assert [c.id for c in ranged.data] == mine
    assert rides.v1.charges.list(params={"customer": kim.id, "created": {"gt": newest}}).data == []
    assert rides.v1.charges.list(params={"customer": kim.id, "created": {"lt": oldest}}).data == []
    exact = [c.id for c in rides.v1.charges.list(params={"customer": kim.id, "created": oldest}).data]
    assert mine[-1] in exact and all(charges[c].created == oldest for c in exact)
    recent = rides.v1.charges.list(params={"created": {"gte": oldest}, "limit": 100})
    # (other tests' charges of the same first second may be listed too: they are older than these)
    assert [c.id for c in recent.data if c.id in mine] == mine and other in [c.id for c in recent.data]
    paged = rides.v1.charges.list(params={"created": {"gte": oldest}, "limit": 2, "ending_before": mine[-1]})
    assert [c.id for c in paged.data] == mine[-3:-1] and paged.has_more
    assert rides.v1.charges.list(params={"created": {"gt": newest + 3600}}).data == []
    # A range's far end stops the read: going back in time (the default) and forward (ending_before).
    later = rides.v1.charges.retrieve(other).created
    assert [c.id for c in rides.v1.charges.list(params={"created": {"gt": newest}}).data] == [other]
    forward = rides.v1.charges.list(params={"created": {"lt": later}, "ending_before": mine[1], "limit": 5})
    assert [c.id for c in forward.data] == [mine[0]] and not forward.has_more


def test_expand_latest_charge(rides: stripe.StripeClient) -> None:
    created = pay(rides, 700, expand=["latest_charge"])
    charge = created.latest_charge
    assert isinstance(charge, stripe.Charge) and (charge.amount, charge.payment_intent, charge.status) == (700, created.id, "succeeded")
    assert rides.v1.charges.retrieve(charge.id).to_dict() == charge.to_dict()

    retrieved = rides.v1.payment_intents.retrieve(created.id, params={"expand": ["latest_charge"]})
    assert isinstance(retrieved.latest_charge, stripe.Charge) and retrieved.latest_charge.id == charge.id
    assert rides.v1.payment_intents.retrieve(created.id).latest_charge == charge.id  # not asked: the id

    listed = rides.v1.payment_intents.list(params={"limit": 3, "expand": ["data.latest_charge"]}).data
    assert listed[0].id == created.id and isinstance(listed[0].latest_charge, stripe.Charge)

    unconfirmed = rides.v1.payment_intents.create(params={"amount": 800, "currency": "eur", "payment_method": "pm_card_visa"})
    assert rides.v1.payment_intents.retrieve(unconfirmed.id, params={"expand": ["latest_charge"]}).latest_charge is None
    confirmed = rides.v1.payment_intents.confirm(unconfirmed.id, params={"expand": ["latest_charge"]})
    assert isinstance(confirmed.latest_charge, stripe.Charge) and confirmed.latest_charge.amount == 800

    held = pay(rides, 900, capture_method="manual")
    captured = rides.v1.payment_intents.capture(held.id, params={"amount_to_capture": 600, "expand": ["latest_charge"]})
    assert isinstance(captured.latest_charge, stripe.Charge)
    assert (captured.latest_charge.captured, captured.latest_charge.amount_captured) == (True, 600)

    for expand in (["shipping"], ["latest_charge.widget"], ["data.latest_charge"]):  # customer and below: tests/integration/test_expand.py
        with pytest.raises(stripe.InvalidRequestError) as bad:
            rides.v1.payment_intents.retrieve(created.id, params={"expand": expand})
        assert (bad.value.code, bad.value.param) == ("parameter_invalid", "expand")


def test_refunds_by_charge(local_system: LocalSystem, rides: stripe.StripeClient) -> None:
    intent = pay(rides, 5000)
    charge_id = intent.latest_charge
    partial = rides.v1.refunds.create(params={"charge": charge_id, "amount": 1500, "reason": "requested_by_customer"})
    assert (partial.status, partial.amount, partial.charge, partial.payment_intent) == ("succeeded", 1500, charge_id, intent.id)
    charge: Any = rides.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (1500, False)
    assert [r.id for r in charge.refunds.data] == [partial.id] and charge.refunds.data[0].status == "succeeded"

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        rides.v1.refunds.create(params={"charge": charge_id, "amount": 3501})
    assert (too_much.value.http_status, too_much.value.code, too_much.value.param) == (400, "amount_too_large", "amount")
    assert rides.v1.charges.retrieve(charge_id).amount_refunded == 1500  # nothing taken by the refused one

    rest = rides.v1.refunds.create(params={"charge": charge_id})
    assert rest.amount == 3500
    charge = rides.v1.charges.retrieve(charge_id)
    assert (charge.amount_refunded, charge.refunded, charge.amount_captured) == (5000, True, 5000)
    assert [r.id for r in charge.refunds.data] == [rest.id, partial.id]
    assert rides.v1.payment_intents.retrieve(intent.id).to_dict()["amount_refunded"] == 5000  # the intent agrees
    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        rides.v1.refunds.create(params={"charge": charge_id, "amount": 1})
    assert nothing_left.value.code == "amount_too_large"

    # The refunds list by charge (kept in the charge), by intent, and the charge's own refunds list.
    assert [r.id for r in rides.v1.refunds.list(params={"charge": charge_id}).data] == [rest.id, partial.id]
    newest = rides.v1.refunds.list(params={"charge": charge_id, "limit": 1})
    assert [r.id for r in newest.data] == [rest.id] and newest.has_more
    older = rides.v1.refunds.list(params={"charge": charge_id, "limit": 1, "starting_after": rest.id})
    assert [r.id for r in older.data] == [partial.id] and not older.has_more
    assert {r.id for r in rides.v1.refunds.list(params={"payment_intent": intent.id}).data} == {rest.id, partial.id}
    assert rides.v1.refunds.list(params={"charge": charge_id, "payment_intent": "pi_other"}).data == []
    own = call(rides, "get", f"/v1/charges/{charge_id}/refunds", limit=1, ending_before=partial.id)
    assert [r.id for r in own.data] == [rest.id] and not own.has_more
    assert rides.v1.refunds.retrieve(partial.id).charge == charge_id

    # Stripe's errors for the wrong targets.
    other = pay(rides, 300)
    with pytest.raises(stripe.InvalidRequestError) as both:
        rides.v1.refunds.create(params={"charge": other.latest_charge, "payment_intent": other.id})
    assert (both.value.http_status, both.value.code) == (400, "parameters_exclusive")
    with pytest.raises(stripe.InvalidRequestError) as neither:
        rides.v1.refunds.create(params={"amount": 100})
    assert (neither.value.code, neither.value.param) == ("parameter_missing", "payment_intent")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        rides.v1.refunds.create(params={"charge": "ch_unknown"})
    assert (unknown.value.http_status, unknown.value.code, unknown.value.param) == (404, "resource_missing", "charge")
    with pytest.raises(stripe.InvalidRequestError) as unknown_list:
        rides.v1.refunds.list(params={"charge": "ch_unknown"})
    assert unknown_list.value.http_status == 404
    assert rides.v1.charges.retrieve(other.latest_charge).amount_refunded == 0  # none of them touched it

    def types() -> list[str]:
        return sorted(e.type for e in rides.v1.events.list(params={"limit": 100}).data if e.data.object.id in (partial.id, charge_id))

    eventually(lambda: types() == ["charge.refunded", "charge.refunded", "charge.succeeded", "refund.created"])
    refunded = [e for e in rides.v1.events.list(params={"type": "charge.refunded"}).data if e.data.object.id == charge_id]
    assert sorted(e.data.object.amount_refunded for e in refunded) == [1500, 5000]


def test_a_charge_shows_its_newest_refunds_and_pages_through_them(rides: stripe.StripeClient) -> None:
    intent = pay(rides, 500)
    made = [rides.v1.refunds.create(params={"charge": intent.latest_charge, "amount": 1}).id for _ in range(12)][::-1]
    charge: Any = rides.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, [r.id for r in charge.refunds.data], charge.refunds.has_more) == (12, made[:10], True)
    assert [r.id for r in charge.refunds.auto_paging_iter()] == made  # through /v1/charges/{id}/refunds
    by_intent = rides.v1.refunds.list(params={"payment_intent": intent.id, "limit": 5, "starting_after": made[5]})
    assert [r.id for r in by_intent.data] == made[6:11] and by_intent.has_more
    back = rides.v1.refunds.list(params={"payment_intent": intent.id, "limit": 3, "ending_before": made[5]})
    assert [r.id for r in back.data] == made[2:5] and back.has_more


def test_capture_and_cancel_change_the_charge(rides: stripe.StripeClient) -> None:
    held = pay(rides, 4000, capture_method="manual")
    authorized = rides.v1.charges.retrieve(held.latest_charge)
    assert (authorized.status, authorized.paid, authorized.captured, authorized.amount_captured) == ("succeeded", True, False, 0)
    with pytest.raises(stripe.InvalidRequestError) as not_yet:
        rides.v1.refunds.create(params={"charge": held.latest_charge})
    assert not_yet.value.code == "charge_not_refundable"

    rides.v1.payment_intents.capture(held.id, params={"amount_to_capture": 3000})
    captured = rides.v1.charges.retrieve(held.latest_charge)
    assert (captured.captured, captured.amount_captured, captured.amount, captured.refunded) == (True, 3000, 4000, False)
    rides.v1.refunds.create(params={"charge": held.latest_charge})
    assert rides.v1.charges.retrieve(held.latest_charge).to_dict()["refunded"] is True  # all that was captured

    released = pay(rides, 2000, capture_method="manual")
    rides.v1.payment_intents.cancel(released.id)
    charge = rides.v1.charges.retrieve(released.latest_charge)
    assert (charge.captured, charge.amount_refunded, charge.refunded) == (False, 2000, True)


@pytest.mark.parametrize(
    ("path", "query", "status", "code", "param"),
    [
        ("/v1/charges/ch_unknown", {}, 404, "resource_missing", "id"),
        ("/v1/charges/nonsense", {}, 404, "resource_missing", "id"),
        ("/v1/charges/ch_unknown/refunds", {}, 404, "resource_missing", "id"),
        ("/v1/charges", {"limit": "0"}, 400, "parameter_invalid", "limit"),
        ("/v1/charges", {"limit": "ten"}, 400, "parameter_invalid_integer", "limit"),
        ("/v1/charges", {"created[gt]": "soon"}, 400, "parameter_invalid_integer", "created[gt]"),
        ("/v1/charges", {"created[after]": "1"}, 400, "parameter_unknown", "created[after]"),
        ("/v1/charges", {"transfer_group": "x"}, 400, "parameter_unknown", "transfer_group"),
        ("/v1/charges", {"starting_after": "ch_a", "ending_before": "ch_b"}, 400, "parameters_exclusive", "ending_before"),
        ("/v1/charges", {"expand[]": "data.widget"}, 400, "parameter_invalid", "expand"),
        ("/v1/charges", {"customer": "x" * 300}, 400, "parameter_invalid", "customer"),
        ("/v1/charges", {"created": "99999999999999999"}, 200, None, None),
        ("/v1/charges", {"created[lt]": "-5"}, 200, None, None),
        ("/v1/charges", {"starting_after": "not-an-id"}, 200, None, None),
        ("/v1/charges", {"ending_before": "ch_zzzzzzzzzzzzzzzzzzzzzzzz"}, 200, None, None),
        ("/v1/charges", {"payment_intent": "pi_unknown", "customer": "cus_unknown"}, 200, None, None),
        ("/v1/charges", {"customer": "cus_unknown", "expand[]": "data.refunds"}, 200, None, None),
    ],
)
def test_bad_charge_requests_are_stripe_errors(
    local_system: LocalSystem, path: str, query: dict[str, str], status: int, code: str | None, param: str | None
) -> None:
    key = local_system.accounts["Rocket Rides"].key
    answer_status, body = local_system.http("GET", path + ("?" + urllib.parse.urlencode(query) if query else ""), key=key)
    assert answer_status == status, body
    if code is None:
        assert body["object"] == "list" and body["data"] == []
    else:
        assert (body["error"]["type"], body["error"]["code"], body["error"]["param"]) == ("invalid_request_error", code, param)


QUERY_KEYS = st.sampled_from(["created", "created[gt]", "created[gte]", "created[lt]", "created[lte]", "created[x]", "customer",
                              "payment_intent", "limit", "starting_after", "ending_before", "expand[]", "created[gt][a]"])  # fmt: skip
QUERY_VALUES = st.one_of(
    st.text(max_size=30), st.integers(min_value=-(10**19), max_value=10**19).map(str),
    st.sampled_from(["", "ch_0000000000000000000000zz", "ch_zzzzzzzzzzzzzzzzzzzzzzzz", "cus_x", "pi_x", "data.refunds", "refunds"]),
)  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=6).map(urllib.parse.urlencode))
def test_list_queries_never_cause_a_server_error(local_system: LocalSystem, query: str) -> None:
    status, body = local_system.http("GET", f"/v1/charges?{query}", key=local_system.accounts["Rocket Rides"].key)
    assert status < 500, body
    assert body["object"] == "list" if status == 200 else set(body) == {"error"} and body["error"]["type"] == "invalid_request_error"
