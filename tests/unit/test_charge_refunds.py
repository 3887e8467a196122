"""A charge keeps its refunds in its own item, so it takes a bounded number of them (the bound
lowered here: a hundred refunds over HTTP would make a slow test of a counter)."""

from __future__ import annotations

import pytest

from orgshare import admin
from orgshare.domain import auth, charges, payments, refunds
from orgshare.domain.principal import RequestInfo
from orgshare.errors import InvalidRequest
from orgshare.params.payments import ChargeRetrieve, PaymentIntentCreate, PaymentIntentRetrieve, RefundCreate


def test_a_charge_takes_at_most_max_refunds(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refunds, "MAX_REFUNDS", 3)
    rides = auth.authenticate(admin.seed_demo().accounts[1].key)  # a connected merchant, on the test connector
    paying = {"amount": 500, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    intent = payments.create(rides, PaymentIntentCreate.model_validate(paying), RequestInfo("req_pay"))
    made = [refunds.create(rides, RefundCreate(charge=intent["latest_charge"], amount=1), RequestInfo(f"req_{i}"))["id"] for i in range(3)]
    with pytest.raises(InvalidRequest) as full:
        refunds.create(rides, RefundCreate(charge=intent["latest_charge"], amount=1), RequestInfo("req_more"))
    assert (full.value.code, full.value.param) == ("charge_not_refundable", "charge")
    with pytest.raises(InvalidRequest):  # by its intent too: the count is the intent's
        refunds.create(rides, RefundCreate(payment_intent=intent["id"], amount=1), RequestInfo("req_more"))
    charge = charges.retrieve(rides, intent["latest_charge"], ChargeRetrieve())
    assert (charge["amount_refunded"], [r["id"] for r in charge["refunds"]["data"]]) == (3, made[::-1])
    assert payments.retrieve(rides, intent["id"], PaymentIntentRetrieve())["amount_refunded"] == 3
