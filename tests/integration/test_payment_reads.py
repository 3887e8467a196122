"""A payment intent created for a customer with a saved card reads both in one round trip; what it
refuses, and in which order, is as before: the customer first, then the card."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

CARD: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def _refusal(call: Any) -> stripe.StripeError:
    with pytest.raises(stripe.StripeError) as refused:
        call()
    return refused.value


def test_customer_and_card_named_together(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    cus = rides.v1.customers.create(params={"name": "Pay Pia"})
    other = rides.v1.customers.create(params={"name": "Other Otto"})
    card = rides.v1.payment_methods.create(params={"type": "card", "card": CARD})
    rides.v1.payment_methods.attach(card.id, params={"customer": cus.id})

    def pay(client: Any, customer: str, pm: str) -> Any:
        return client.v1.payment_intents.create(
            params={"amount": 500, "currency": "eur", "customer": customer, "payment_method": pm, "confirm": True}
        )

    paid = pay(rides, cus.id, card.id)
    assert paid.status == "succeeded" and paid.payment_method == card.id and paid.customer == cus.id
    # The pool's card, used by another account of the pool for the same customer.
    assert pay(deliveries, cus.id, card.id).status == "succeeded"

    missing_customer = _refusal(lambda: pay(rides, "cus_0VcdMissingMissingMiss", card.id))
    assert (missing_customer.http_status, missing_customer.param) == (404, "customer")  # type: ignore[attr-defined]
    both_missing = _refusal(lambda: pay(rides, "cus_0VcdMissingMissingMiss", "pm_0VcdMissingMissingMiss"))
    assert both_missing.param == "customer"  # type: ignore[attr-defined]
    missing_card = _refusal(lambda: pay(rides, cus.id, "pm_0VcdMissingMissingMiss"))
    assert (missing_card.http_status, missing_card.param) == (404, "payment_method")  # type: ignore[attr-defined]
    someone_elses = _refusal(lambda: pay(rides, other.id, card.id))
    assert (someone_elses.http_status, someone_elses.param) == (400, "payment_method")  # type: ignore[attr-defined]
