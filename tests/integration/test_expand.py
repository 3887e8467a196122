"""expand[] through the stripe SDK on the local system: a payment intent's customer, payment method
and latest charge (and below it), in every answer of the intent and in lists (`data.`); a charge's
customer and intent; a payment method's customer; a checkout session's customer and intent; a
refund's charge. What cannot be expanded is refused as Stripe does, before anything is written, and
an id the caller cannot see is never expanded."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rides(local_system: LocalSystem) -> Any:  # Any: what the SDK types as an id or an object is here always the object
    return local_system.client("Rocket Rides")


@pytest.fixture(scope="module")
def jenny(rides: Any) -> Any:
    return rides.v1.customers.create(params={"name": "Expanded Jenny", "email": "jenny@expand.example"})


def pay(client: Any, **params: Any) -> Any:
    paying: Any = {"amount": 1200, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True, **params}
    return client.v1.payment_intents.create(params=paying)


def test_a_payment_intent_expands_its_customer_method_and_charge(rides: Any, jenny: Any) -> None:
    created = pay(rides, customer=jenny.id, expand=["customer", "payment_method", "latest_charge.customer"])
    assert (created.customer.object, created.customer.id, created.customer.name) == ("customer", jenny.id, "Expanded Jenny")
    assert created.payment_method.object == "payment_method" and created.payment_method.card.last4 == "4242"
    charge = created.latest_charge
    assert charge.object == "charge" and charge.payment_intent == created.id and charge.customer.email == "jenny@expand.example"

    plain = rides.v1.payment_intents.retrieve(created.id)
    assert (plain.customer, plain.payment_method, plain.latest_charge) == (jenny.id, created.payment_method.id, charge.id)
    retrieved = rides.v1.payment_intents.retrieve(created.id, params={"expand": ["customer", "payment_method"]})
    assert retrieved.customer.id == jenny.id and retrieved.payment_method.id == created.payment_method.id
    assert retrieved.latest_charge == charge.id  # only what was asked

    unconfirmed = rides.v1.payment_intents.create(params={"amount": 300, "currency": "eur", "customer": jenny.id})
    updated = rides.v1.payment_intents.update(unconfirmed.id, params={"metadata": {"ride": "9"}, "expand": ["customer"]})
    assert updated.customer.id == jenny.id and updated.metadata.to_dict() == {"ride": "9"}


def test_confirm_capture_and_cancel_answers_expand(rides: Any, jenny: Any) -> None:
    held = rides.v1.payment_intents.create(params={"amount": 900, "currency": "eur", "customer": jenny.id, "capture_method": "manual"})
    confirmed = rides.v1.payment_intents.confirm(
        held.id, params={"payment_method": "pm_card_visa", "expand": ["payment_method", "customer"]}
    )
    assert confirmed.status == "requires_capture" and confirmed.payment_method.card.brand == "visa" and confirmed.customer.id == jenny.id
    captured = rides.v1.payment_intents.capture(held.id, params={"expand": ["latest_charge", "latest_charge.payment_intent"]})
    assert captured.latest_charge.captured is True and captured.latest_charge.payment_intent.id == held.id
    open_one = rides.v1.payment_intents.create(params={"amount": 500, "currency": "eur", "customer": jenny.id})
    canceled = rides.v1.payment_intents.cancel(open_one.id, params={"expand": ["customer"]})
    assert canceled.status == "canceled" and canceled.customer.id == jenny.id


def test_lists_expand_through_data(rides: Any, jenny: Any) -> None:
    with_customer = pay(rides, customer=jenny.id)
    without = pay(rides)
    listed = rides.v1.payment_intents.list(params={"limit": 5, "expand": ["data.customer", "data.payment_method", "data.latest_charge"]})
    by_id = {i.id: i for i in listed.data}
    assert by_id[with_customer.id].customer.id == jenny.id and by_id[with_customer.id].payment_method.object == "payment_method"
    assert by_id[without.id].customer is None and by_id[without.id].latest_charge.object == "charge"
    mine = rides.v1.payment_intents.list(params={"customer": jenny.id, "limit": 3, "expand": ["data.customer"]}).data
    assert mine and all(i.customer.id == jenny.id for i in mine)

    charges = rides.v1.charges.list(params={"customer": jenny.id, "limit": 3, "expand": ["data.customer", "data.payment_intent"]}).data
    assert charges and all(c.customer.id == jenny.id and c.payment_intent.object == "payment_intent" for c in charges)
    charge = rides.v1.charges.retrieve(with_customer.latest_charge, params={"expand": ["customer", "payment_intent.customer", "refunds"]})
    assert charge.customer.name == "Expanded Jenny" and charge.payment_intent.customer.id == jenny.id


def test_a_shared_card_expands_its_customer_for_every_account_of_the_pool(local_system: LocalSystem, jenny: Any) -> None:
    rides: Any = local_system.client("Rocket Rides")
    deliveries: Any = local_system.client("Rocket Deliveries")
    card = rides.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    attached = rides.v1.payment_methods.attach(card.id, params={"customer": jenny.id, "expand": ["customer"]})
    assert attached.customer.id == jenny.id
    seen = deliveries.v1.payment_methods.retrieve(card.id, params={"expand": ["customer"]})
    assert seen.customer.id == jenny.id and seen.customer.name == "Expanded Jenny"  # the pool's customer, as Deliveries sees it
    listed = deliveries.v1.customers.payment_methods.list(jenny.id, params={"expand": ["data.customer"]}).data
    assert any(m.id == card.id and m.customer.id == jenny.id for m in listed)
    detached = rides.v1.payment_methods.detach(card.id, params={"expand": ["customer"]})
    assert detached.customer is None


def test_a_checkout_session_and_a_refund_expand(rides: Any, jenny: Any) -> None:
    session = rides.v1.checkout.sessions.create(params={
        "mode": "payment", "customer": jenny.id, "success_url": "https://example.com/ok", "expand": ["customer"],
        "line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 700, "product_data": {"name": "Ride"}}}],
    })  # fmt: skip
    assert session.customer.id == jenny.id
    assert rides.v1.checkout.sessions.retrieve(session.id, params={"expand": ["customer"]}).customer.name == "Expanded Jenny"
    listed = rides.v1.checkout.sessions.list(params={"customer": jenny.id, "expand": ["data.customer"]}).data
    assert listed and all(s.customer.id == jenny.id for s in listed)

    paid = pay(rides, customer=jenny.id)
    refund = rides.v1.refunds.create(params={"charge": paid.latest_charge, "amount": 200, "expand": ["charge", "payment_intent"]})
    assert refund.charge.id == paid.latest_charge and refund.charge.amount_refunded == 200 and refund.payment_intent.id == paid.id
    again = rides.v1.refunds.retrieve(refund.id, params={"expand": ["charge.customer"]})
    assert again.charge.customer.id == jenny.id


def test_a_deleted_customer_expands_to_its_deleted_stub(rides: Any) -> None:
    gone = rides.v1.customers.create(params={"name": "Soon gone"})
    intent = pay(rides, customer=gone.id)
    rides.v1.customers.delete(gone.id)
    shown = rides.v1.payment_intents.retrieve(intent.id, params={"expand": ["customer"]}).to_dict()["customer"]
    assert shown == {"id": gone.id, "object": "customer", "deleted": True}


@pytest.mark.parametrize(
    "expand",
    [["foo"], ["customer.foo"], ["latest_charge.widget"], ["data.customer.foo"], ["payment_method.customer.x.y.z"], ["customer."]],
)
def test_what_cannot_be_expanded_is_refused_before_anything_is_written(rides: Any, expand: list[str]) -> None:
    before = [i.id for i in rides.v1.payment_intents.list(params={"limit": 3}).data]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        pay(rides, expand=expand)
    error = refused.value.error
    assert refused.value.http_status == 400 and error is not None and (error.code, error.param) == ("parameter_invalid", "expand")
    assert error.message and error.message.startswith(("This property cannot be expanded", "You cannot expand more than 4 levels"))
    assert [i.id for i in rides.v1.payment_intents.list(params={"limit": 3}).data] == before
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.charges.list(params={"expand": ["data.widget"]})
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.checkout.sessions.retrieve("cs_test_nothing", params={"expand": ["line_items.foo"]})


def test_another_pools_customer_is_never_expanded(local_system: LocalSystem, rides: Any) -> None:
    """An id the caller cannot see stays an id (planted: the API would never link an intent to
    another pool's customer), as if it did not exist."""
    platform = local_system.client("Rocket Platform")
    solo = platform.v1.accounts.create(params={"type": "standard", "business_profile": {"name": "Solo Expand"}})
    hidden = platform.v1.customers.create(params={"name": "Someone else's"}, options={"stripe_account": solo.id})
    intent = pay(rides)
    dynamodb, table = local_system.dynamodb(), local_system.env["DATA_TABLE"]
    item = next(
        i
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for i in page["Items"]
        if i.get("id", {}).get("S") == intent.id and i["sk"]["S"] == "PI"
    )
    dynamodb.update_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="SET customer = :c",
                         ExpressionAttributeValues={":c": {"S": hidden.id}})  # fmt: skip
    shown = rides.v1.payment_intents.retrieve(intent.id, params={"expand": ["customer"]})
    assert shown.customer == hidden.id
    listed = rides.v1.payment_intents.list(params={"limit": 5, "expand": ["data.customer"]}).data
    assert next(i for i in listed if i.id == intent.id).customer == hidden.id
