"""The card-sharing rules through the stripe SDK on the local system."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

# Typed Any: the SDK's TypedDicts would otherwise reject the test's variations of them.
VISA: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
BANK: Any = {"account_number": "000123456789", "routing_number": "110000000", "account_holder_type": "individual"}


def create(client: stripe.StripeClient, params: Any) -> stripe.PaymentMethod:
    return client.v1.payment_methods.create(params=params)


def default_of(client: stripe.StripeClient, customer: str) -> Any:
    return client.v1.customers.retrieve(customer).to_dict()["invoice_settings"]["default_payment_method"]


def save_card(client: stripe.StripeClient, customer: str, card: dict[str, Any] | None = None) -> stripe.PaymentMethod:
    pm = create(client, {"type": "card", "card": card or VISA, "billing_details": {"name": "Jenny Rosen"}})
    return client.v1.payment_methods.attach(pm.id, params={"customer": customer})


def ids(listing: Any) -> list[str]:
    return [pm.id for pm in listing.data]


def test_seed_walkthrough_a_card_saved_by_one_account_serves_the_pool(local_system: LocalSystem) -> None:
    rides, deliveries, rentals = (local_system.client(n) for n in ("Rocket Rides", "Rocket Deliveries", "Rocket Rentals"))
    jenny = rides.v1.customers.create(params={"name": "Jenny Rosen", "email": "jenny@example.com"})
    card = save_card(rides, jenny.id)
    assert card.customer == jenny.id and card.card is not None
    assert (card.card.brand, card.card.last4, card.card.exp_month, card.card.exp_year) == ("visa", "4242", 12, 2034)
    assert card.card.funding == "credit" and card.card.country == "US" and card.card.fingerprint

    # Rocket Deliveries lists Jenny's payment methods and finds the same card, by both routes.
    assert ids(deliveries.v1.customers.payment_methods.list(jenny.id)) == [card.id]
    assert ids(deliveries.v1.payment_methods.list(params={"customer": jenny.id, "type": "card"})) == [card.id]
    assert deliveries.v1.customers.payment_methods.retrieve(jenny.id, card.id).id == card.id

    # It updates the expiry; Rocket Rides sees the change.
    deliveries.v1.payment_methods.update(card.id, params={"card": {"exp_month": 6, "exp_year": 2035}})
    seen = rides.v1.payment_methods.retrieve(card.id)
    assert seen.card is not None and (seen.card.exp_month, seen.card.exp_year) == (6, 2035)
    assert ids(rides.v1.customers.payment_methods.list(jenny.id)) == [card.id]  # the customer's copy moved too
    listed = rides.v1.customers.payment_methods.list(jenny.id).data[0]
    assert listed.card is not None and listed.card.exp_year == 2035

    # A bank account saved by Rocket Rides stays with Rocket Rides.
    bank = create(rides, {"type": "us_bank_account", "us_bank_account": BANK, "billing_details": {"name": "Jenny Rosen"}})
    rides.v1.payment_methods.attach(bank.id, params={"customer": jenny.id})
    assert (
        bank.us_bank_account is not None and bank.us_bank_account.last4 == "6789" and bank.us_bank_account.bank_name == "STRIPE TEST BANK"
    )
    assert set(ids(rides.v1.customers.payment_methods.list(jenny.id))) == {card.id, bank.id}
    assert ids(deliveries.v1.customers.payment_methods.list(jenny.id)) == [card.id]
    with pytest.raises(stripe.InvalidRequestError) as hidden:
        deliveries.v1.payment_methods.retrieve(bank.id)
    assert hidden.value.http_status == 404
    assert ids(rides.v1.customers.payment_methods.list(jenny.id, params={"type": "us_bank_account"})) == [bank.id]

    # Defaults are per account.
    second = save_card(deliveries, jenny.id, {**VISA, "number": "5555555555554444"})
    rides.v1.customers.update(jenny.id, params={"invoice_settings": {"default_payment_method": card.id}})
    deliveries.v1.customers.update(jenny.id, params={"invoice_settings": {"default_payment_method": second.id}})
    assert default_of(rides, jenny.id) == card.id
    assert default_of(deliveries, jenny.id) == second.id
    expanded = rides.v1.customers.retrieve(jenny.id, params={"expand": ["invoice_settings.default_payment_method"]})
    assert expanded.to_dict()["invoice_settings"]["default_payment_method"]["card"]["last4"] == "4242"
    with pytest.raises(stripe.InvalidRequestError) as not_visible:  # the bank account is not Deliveries' to use
        deliveries.v1.customers.update(jenny.id, params={"invoice_settings": {"default_payment_method": bank.id}})
    assert not_visible.value.param == "invoice_settings[default_payment_method]"

    # A standard account sees none of it.
    for target in (card.id, second.id, bank.id):
        with pytest.raises(stripe.InvalidRequestError):
            rentals.v1.payment_methods.retrieve(target)
    with pytest.raises(stripe.InvalidRequestError):
        rentals.v1.customers.payment_methods.list(jenny.id)


def test_detach_from_any_account_detaches_for_all_and_clears_defaults(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    sam = rides.v1.customers.create(params={"name": "Sam"})
    card = save_card(rides, sam.id)
    rides.v1.customers.update(sam.id, params={"invoice_settings": {"default_payment_method": card.id, "footer": "Thanks"}})

    detached = deliveries.v1.payment_methods.detach(card.id)
    assert detached.customer is None
    assert rides.v1.payment_methods.retrieve(card.id).customer is None
    assert ids(rides.v1.customers.payment_methods.list(sam.id)) == []
    settings = rides.v1.customers.retrieve(sam.id).to_dict()["invoice_settings"]
    assert settings["default_payment_method"] is None and settings["footer"] == "Thanks"
    with pytest.raises(stripe.InvalidRequestError) as twice:
        rides.v1.payment_methods.detach(card.id)
    assert twice.value.http_status == 400 and twice.value.param == "payment_method"


def test_an_unattached_card_is_its_creators_until_attached_to_a_pool_customer(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    card = create(rides, {"type": "card", "card": VISA})
    pay: Any = {"amount": 700, "currency": "usd", "payment_method": card.id, "confirm": True}

    # Unattached, it belongs to Rocket Rides alone: Deliveries cannot see, charge or attach it.
    for attempt in (
        lambda: deliveries.v1.payment_methods.retrieve(card.id),
        lambda: deliveries.v1.payment_intents.create(params=pay),
        lambda: deliveries.v1.payment_methods.attach(card.id, params={"customer": deliveries.v1.customers.create().id}),
        lambda: deliveries.v1.payment_methods.update(card.id, params={"metadata": {"mine": "no"}}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            attempt()
        assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert rides.v1.payment_methods.retrieve(card.id).id == card.id
    assert rides.v1.payment_intents.create(params=pay).status == "succeeded"  # its creator may charge it

    # Attached to a customer of the shared pool, it joins the pool under the same id.
    jenny = rides.v1.customers.create(params={"name": "Jenny Rosen"})
    rides.v1.payment_methods.attach(card.id, params={"customer": jenny.id})
    assert deliveries.v1.payment_methods.retrieve(card.id).customer == jenny.id
    assert deliveries.v1.payment_intents.create(params=pay).status == "succeeded"
    assert ids(deliveries.v1.customers.payment_methods.list(jenny.id)) == [card.id]
    deliveries.v1.payment_methods.detach(card.id)  # once in the pool it stays there, detached or not
    assert rides.v1.payment_methods.retrieve(card.id).customer is None


def test_test_tokens_attach_in_test_mode_only(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    tia = rides.v1.customers.create(params={"name": "Tia"})
    attached = rides.v1.payment_methods.attach("pm_card_mastercard", params={"customer": tia.id})
    assert attached.id.startswith("pm_") and attached.id != "pm_card_mastercard"
    assert attached.card is not None and attached.card.brand == "mastercard" and attached.card.last4 == "4444"
    declined = rides.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": tia.id})
    assert declined.card is not None and declined.card.last4 == "0002"

    live = local_system.admin("create-org", "--name", "Live Only")["keys"]
    assert isinstance(live, dict)
    live_client = local_system.client(key=live["live"])
    live_customer = live_client.v1.customers.create(params={"name": "Lou"})
    with pytest.raises(stripe.InvalidRequestError):
        live_client.v1.payment_methods.attach("pm_card_visa", params={"customer": live_customer.id})


def test_customer_deletion_detaches_its_cards(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    dee = rides.v1.customers.create(params={"name": "Dee"})
    card = save_card(rides, dee.id)
    rides.v1.customers.delete(dee.id)
    assert rides.v1.payment_methods.retrieve(card.id).customer is None
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.customers.payment_methods.list(dee.id)


@pytest.mark.parametrize(
    ("params", "error", "code", "param"),
    [
        ({"type": "card", "card": {**VISA, "number": "4242424242424241"}}, stripe.CardError, "incorrect_number", "card[number]"),
        ({"type": "card", "card": {**VISA, "number": "1234"}}, stripe.CardError, "incorrect_number", "card[number]"),
        ({"type": "card", "card": {**VISA, "exp_year": 2020}}, stripe.CardError, "invalid_expiry_year", "card[exp_year]"),
        ({"type": "card", "card": {**VISA, "exp_month": 13}}, stripe.CardError, "invalid_expiry_month", "card[exp_month]"),
        ({"type": "card", "card": {**VISA, "cvc": "12"}}, stripe.CardError, "invalid_cvc", "card[cvc]"),
        ({"type": "card", "card": {"number": "4242424242424242"}}, stripe.InvalidRequestError, "parameter_missing", "card[exp_month]"),
        ({"type": "card"}, stripe.InvalidRequestError, "parameter_missing", "card"),
        ({"type": "alipay"}, stripe.InvalidRequestError, "parameter_invalid", "type"),
        ({"type": "card", "card": {"token": "tok_nope"}}, stripe.InvalidRequestError, "resource_missing", "card[token]"),
        ({"type": "us_bank_account", "us_bank_account": {**BANK, "routing_number": "110000001"}, "billing_details": {"name": "X"}},
         stripe.InvalidRequestError, "routing_number_invalid", "us_bank_account[routing_number]"),
        ({"type": "us_bank_account", "us_bank_account": BANK}, stripe.InvalidRequestError, "parameter_missing", "billing_details[name]"),
        ({"type": "card", "card": VISA, "us_bank_account": BANK}, stripe.InvalidRequestError, "parameter_invalid", "us_bank_account"),
    ],
)  # fmt: skip
def test_bad_payment_methods_are_refused_and_nothing_is_written(
    local_system: LocalSystem, params: dict[str, Any], error: type[stripe.StripeError], code: str, param: str
) -> None:
    before = local_system.request_items(local_system.accounts["Rocket Repairs"].id)
    with pytest.raises(error) as err:
        create(local_system.client("Rocket Repairs"), params)
    assert err.value.http_status in (400, 402)
    body = err.value.json_body
    assert isinstance(body, dict) and (body["error"]["code"], body["error"]["param"]) == (code, param)
    assert local_system.request_items(local_system.accounts["Rocket Repairs"].id) == before


def test_attaching_across_pools_is_a_404(local_system: LocalSystem) -> None:
    rides, rentals = local_system.client("Rocket Rides"), local_system.client("Rocket Rentals")
    pool_customer = rides.v1.customers.create(params={"name": "Pia"})
    rental_customer = rentals.v1.customers.create(params={"name": "Ria"})
    rental_card = create(rentals, {"type": "card", "card": VISA})
    pool_card = create(rides, {"type": "card", "card": VISA})
    with pytest.raises(stripe.InvalidRequestError) as other_pm:
        rides.v1.payment_methods.attach(rental_card.id, params={"customer": pool_customer.id})
    assert other_pm.value.http_status == 404 and other_pm.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError) as other_customer:
        rides.v1.payment_methods.attach(pool_card.id, params={"customer": rental_customer.id})
    assert other_customer.value.http_status == 404 and other_customer.value.param == "customer"
    assert rides.v1.payment_methods.retrieve(pool_card.id).customer is None


def test_fingerprints_match_within_an_organization_only(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    card = {**VISA, "number": "4000056655665556"}
    first = create(rides, {"type": "card", "card": card})
    again = create(deliveries, {"type": "card", "card": {**card, "exp_year": 2031}})
    other = create(local_system.client("Rocket Rentals"), {"type": "card", "card": card})
    assert first.card and again.card and other.card
    assert first.id != again.id and first.card.fingerprint == again.card.fingerprint == other.card.fingerprint
    assert first.card.funding == "debit"

    elsewhere = local_system.admin("create-org", "--name", "Fingerprint Corp")["keys"]
    assert isinstance(elsewhere, dict)
    theirs = create(local_system.client(key=elsewhere["test"]), {"type": "card", "card": card})
    assert theirs.card is not None and theirs.card.fingerprint != first.card.fingerprint


def test_no_card_number_or_cvc_in_any_table_or_log(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    vic = rides.v1.customers.create(params={"name": "Vic"})
    cards = [("4000000000000077", "731"), ("5200828282828210", "846"), ("378282246310005", "9354")]
    for number, cvc in cards:
        save_card(rides, vic.id, {"number": number, "exp_month": 3, "exp_year": 2033, "cvc": cvc})
    bank = create(
        rides, {"type": "us_bank_account", "us_bank_account": {**BANK, "account_number": "987654321012"}, "billing_details": {"name": "V"}}
    )
    assert bank.us_bank_account is not None

    # Sealed values are binary: compare their base64 text, in which a card number cannot hide.
    dump = json.dumps(local_system.table_items(), default=lambda raw: base64.b64encode(raw).decode())
    logs = "".join(local_system.logs)
    assert local_system.logs, "the system logged nothing: this test would prove nothing"
    for number, cvc in cards:
        assert number not in dump and number not in logs
        assert f'"{cvc}"' not in dump and f"cvc={cvc}" not in logs
    assert "987654321012" not in dump and "987654321012" not in logs
    assert '"cvc"' not in dump  # the field itself is never stored
