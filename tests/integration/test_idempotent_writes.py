"""Idempotency-Key on the writes that record their key in their own transaction (customers and
payment methods): a retry is answered with the first answer, whatever happened since, and never
applies its change a second time; a key used once cannot be used for another request."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

CARD: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def _key() -> str:
    return f"idem-{uuid.uuid4()}"


def _replayed(obj: stripe.StripeObject) -> bool:
    return obj.last_response is not None and obj.last_response.headers.get("Idempotent-Replayed") == "true"


def test_a_retried_update_gives_its_first_answer_and_does_not_undo_a_later_change(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    cus = rides.v1.customers.create(params={"name": "Retry Rita"})
    key = _key()
    first = rides.v1.customers.update(cus.id, params={"email": "first@example.com"}, options={"idempotency_key": key})
    rides.v1.customers.update(cus.id, params={"email": "later@example.com"})
    again = rides.v1.customers.update(cus.id, params={"email": "first@example.com"}, options={"idempotency_key": key})
    assert _replayed(again) and not _replayed(first)
    assert again.email == "first@example.com" and again.to_dict() == first.to_dict()
    assert rides.v1.customers.retrieve(cus.id).email == "later@example.com"  # the retry changed nothing


def test_one_key_for_two_requests_is_refused_whichever_comes_first(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    key = _key()
    cus = rides.v1.customers.create(params={"name": "Key Kim"}, options={"idempotency_key": key})
    with pytest.raises(stripe.IdempotencyError) as refused:
        rides.v1.customers.delete(cus.id, options={"idempotency_key": key})
    body: Any = refused.value.json_body
    assert body["error"]["code"] == "idempotency_key_reused"
    assert rides.v1.customers.retrieve(cus.id).name == "Key Kim"  # the refused delete did not happen

    # A change that found nothing to change records its key all the same.
    same = _key()
    unchanged = rides.v1.customers.update(cus.id, params={"name": "Key Kim"}, options={"idempotency_key": same})
    assert unchanged.name == "Key Kim"
    with pytest.raises(stripe.IdempotencyError):
        rides.v1.customers.update(cus.id, params={"name": "Other"}, options={"idempotency_key": same})
    assert rides.v1.customers.retrieve(cus.id).name == "Key Kim"


def test_a_retried_delete_gives_its_first_answer_not_a_404(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    cus = rides.v1.customers.create(params={"name": "Gone Gus"})
    key = _key()
    first = rides.v1.customers.delete(cus.id, options={"idempotency_key": key})
    again = rides.v1.customers.delete(cus.id, options={"idempotency_key": key})
    assert first.deleted is True and again.deleted is True and _replayed(again)
    with pytest.raises(stripe.InvalidRequestError):  # without the key, a second delete finds nothing
        rides.v1.customers.delete(cus.id)


def test_retried_card_attach_and_detach_give_their_first_answers(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    cus = rides.v1.customers.create(params={"name": "Card Cal"})
    made_key = _key()
    card = rides.v1.payment_methods.create(params={"type": "card", "card": CARD}, options={"idempotency_key": made_key})
    again = rides.v1.payment_methods.create(params={"type": "card", "card": CARD}, options={"idempotency_key": made_key})
    assert again.id == card.id and _replayed(again)

    attach_key, detach_key = _key(), _key()
    params: dict[str, object] = {"customer": cus.id, "expand": ["customer"]}
    attached = rides.v1.payment_methods.attach(card.id, params=params, options={"idempotency_key": attach_key})  # type: ignore[arg-type]
    rides.v1.payment_methods.detach(card.id, options={"idempotency_key": detach_key})
    replayed = rides.v1.payment_methods.attach(card.id, params=params, options={"idempotency_key": attach_key})  # type: ignore[arg-type]
    # The first answer, expanded as it was (the expansion came after the write and was recorded too).
    assert _replayed(replayed) and replayed.to_dict() == attached.to_dict()
    assert isinstance(replayed.customer, stripe.Customer) and replayed.customer.id == cus.id
    assert rides.v1.payment_methods.retrieve(card.id).customer is None  # still detached
    detached_again = rides.v1.payment_methods.detach(card.id, options={"idempotency_key": detach_key})
    assert _replayed(detached_again) and detached_again.customer is None


def _call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def test_a_checkout_failing_after_its_first_step_is_not_answered_with_that_step(local_system: LocalSystem) -> None:
    """A session is paid in steps (a new customer, then the payment). When a later step fails, a
    retry with the same key runs again: it is not answered with the customer the first step made."""
    rides = local_system.client("Rocket Rides")
    profile = str(next(p for p in _call(rides, "get", "/v1/business_profiles").data if p.is_default).id)
    connectors = [c.id for c in _call(rides, "get", f"/v1/business_profiles/{profile}/connectors").data if not c.to_dict().get("disabled")]
    line: Any = {"price_data": {"currency": "usd", "unit_amount": 1200, "product_data": {"name": "Ride"}}, "quantity": 1}
    session = rides.v1.checkout.sessions.create(
        params={"mode": "payment", "line_items": [line], "customer_creation": "always", "success_url": "https://rides.example/ok"}
    )
    card = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}
    key = _key()

    def submit() -> Any:
        return rides.raw_request("post", f"/v1/checkout/sessions/{session.id}/confirm", **card, idempotency_key=key)

    for connector in connectors:  # no connector to charge with: the payment step fails, after the customer was made
        _call(rides, "post", f"/v1/business_profiles/{profile}/connectors/{connector}", disabled="true")
    try:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            submit()
        assert refused.value.code == "connector_not_configured"
        with pytest.raises(stripe.InvalidRequestError):  # the same failure again, not a replayed 200 with a customer
            submit()
    finally:
        for connector in connectors:
            _call(rides, "post", f"/v1/business_profiles/{profile}/connectors/{connector}", disabled="false")
    paid: Any = rides.deserialize(submit(), api_mode="V1")
    assert paid.object == "checkout.session" and paid.status == "complete" and paid.customer is not None
    again = rides.deserialize(submit(), api_mode="V1")
    assert again.to_dict() == paid.to_dict()  # now the key answers with the paid session
