"""The vault: card checks, sealing under KMS, the decrypt path for connectors, masked logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from orgshare import admin
from orgshare.domain import auth, customers, payment_methods
from orgshare.domain.principal import RequestInfo
from orgshare.errors import CardError
from orgshare.observability import logger
from orgshare.params.customers import CustomerCreate
from orgshare.params.payment_methods import CardInput, PaymentMethodAttach, PaymentMethodCreate, PaymentMethodRetrieve
from orgshare.vault import sealing
from orgshare.vault.cards import brand_of, check_card

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "brand"),
    [("4242424242424242", "visa"), ("5555555555554444", "mastercard"), ("2223003122003222", "mastercard"),
     ("378282246310005", "amex"), ("6011111111111117", "discover"), ("3056930009020004", "diners"),
     ("3566002020360505", "jcb"), ("6200000000000005", "unionpay")],
)  # fmt: skip
def test_brands_are_detected(number: str, brand: str) -> None:
    assert brand_of(number) == brand
    assert check_card(number, 12, 2030, None, NOW).last4 == number[-4:]


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "code"),
    [("4242424242424241", 12, 2030, None, "incorrect_number"), ("424242424242", 12, 2030, None, "incorrect_number"),
     ("9999999999999995", 12, 2030, None, "incorrect_number"), ("4242424242424242", 10, 2026, None, "invalid_expiry_month"),
     ("4242424242424242", 12, 2025, None, "invalid_expiry_year"), ("378282246310005", 12, 2030, "123", "invalid_cvc")],
)  # fmt: skip
def test_bad_cards_are_card_errors(number: str, month: int, year: int, cvc: str | None, code: str) -> None:
    with pytest.raises(CardError) as err:
        check_card(number, month, year, cvc, NOW)
    assert err.value.code == code and err.value.status == 402


def test_two_digit_years_and_this_month_are_accepted() -> None:
    facts = check_card("4242 4242 4242 4242", 11, 26, "123", NOW)
    assert (facts.exp_month, facts.exp_year, facts.brand) == (11, 2026, "visa")


def test_sealed_numbers_open_only_under_their_own_context(aws: dict[str, str]) -> None:
    context = {"org": "org_a", "payment_method": "pm_a"}
    sealed = sealing.seal("4242424242424242", context)
    assert b"4242424242424242" not in sealed.ciphertext + sealed.data_key
    assert sealing.open_sealed(sealed, context) == "4242424242424242"
    with pytest.raises(Exception):  # noqa: B017 - KMS refuses the data key under another context
        sealing.open_sealed(sealed, {"org": "org_b", "payment_method": "pm_a"})


def test_the_decrypt_path_gives_connectors_the_number_and_reads_need_no_kms(aws: dict[str, str]) -> None:
    from bench.counting import kms_calls

    demo = admin.seed_demo()
    rides = auth.authenticate(demo.accounts[1].key)
    with kms_calls() as on_create:
        card = payment_methods.create(rides, PaymentMethodCreate(type="card", card=CardInput(token="tok_visa")), RequestInfo("r"))
    jenny = customers.create(rides, CustomerCreate(name="Jenny"), RequestInfo("r"))
    payment_methods.attach(rides, card["id"], PaymentMethodAttach(customer=jenny["id"]), RequestInfo("r"))  # now the pool's
    with kms_calls() as on_read:
        payment_methods.retrieve(auth.authenticate(demo.accounts[2].key), card["id"], PaymentMethodRetrieve())
    assert dict(on_create) == {"GenerateMac": 1, "GenerateDataKey": 1} and dict(on_read) == {}
    assert "number" not in json.dumps(card)
    deliveries = auth.authenticate(demo.accounts[2].key)  # another account of the pool may charge it
    saved = payment_methods.visible(deliveries, card["id"])
    assert payment_methods.card_number_for_charge(deliveries, saved) == "4242424242424242"


def test_logs_never_show_a_card_number_or_cvc(caplog: pytest.LogCaptureFixture) -> None:
    # The filter rewrites the record itself, so every handler (CloudWatch's included) gets it masked.
    with caplog.at_level(logging.INFO):
        logger.info("saving 4242424242424242", extra={"card": {"number": "4000056655665556", "cvc": "314"}, "note": "cvc=271"})
    record = caplog.records[-1]
    seen = json.dumps({"message": record.getMessage(), "card": vars(record)["card"], "note": vars(record)["note"]})
    assert "4242424242424242" not in seen and "4000056655665556" not in seen
    assert "314" not in seen and "271" not in seen and "****4242" in seen
