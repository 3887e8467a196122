"""Connectors and payments across the accounts of a pool, through the stripe SDK on the local
system; the stripe connector charges localstripe on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import stripe
from stripe.params import PaymentIntentCreateParams

from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration

CARD: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def processor_charges(processor: stripe.StripeClient) -> dict[str, Any]:
    """Every charge the processor (localstripe) holds, by id; it keeps them across runs, in no set order."""
    return {c.id: c for c in processor.v1.charges.list(params={"limit": 100}).auto_paging_iter()}


def default_profile(client: stripe.StripeClient) -> str:
    return str(next(p for p in call(client, "get", "/v1/business_profiles").data if p.is_default).id)


def add_connector(client: stripe.StripeClient, name: str, credentials: dict[str, str], **settings: str) -> Any:
    params = {
        "connector_name": name,
        **{f"credentials[{k}]": v for k, v in credentials.items()},
        **{f"settings[{k}]": v for k, v in settings.items()},
    }
    return call(client, "post", f"/v1/business_profiles/{default_profile(client)}/connectors", **params)


@pytest.fixture(scope="module")
def merchants(local_system: LocalSystem, localstripe: str) -> dict[str, stripe.StripeClient]:
    """Connected Merchant 1 (Rocket Rides) on the test connector; Connected Merchant 2 (Rocket
    Deliveries) on the stripe connector against localstripe, configured by the platform on its behalf."""
    rides = local_system.client("Rocket Rides")  # the demo seed gave it a test connector
    as_deliveries = stripe.StripeClient(
        local_system.accounts["Rocket Platform"].key, base_addresses={"api": local_system.url},
        stripe_account=local_system.accounts["Rocket Deliveries"].id, max_network_retries=0,
    )  # fmt: skip
    profile = default_profile(as_deliveries)
    for seeded in call(as_deliveries, "get", f"/v1/business_profiles/{profile}/connectors").data:  # swap the demo's test connector
        call(as_deliveries, "post", f"/v1/business_profiles/{profile}/connectors/{seeded.id}", disabled="true")
    connector = add_connector(as_deliveries, "stripe", {"secret_key": "sk_test_merchant_two_0002"}, api_base=localstripe)
    assert connector.credentials["secret_key"] == "****0002"  # masked from now on
    return {"rides": rides, "deliveries": local_system.client("Rocket Deliveries"), "platform": local_system.client("Rocket Platform")}


def test_seed_walkthrough_a_card_saved_by_one_merchant_is_charged_by_another(
    local_system: LocalSystem, localstripe: str, merchants: dict[str, stripe.StripeClient]
) -> None:
    rides, deliveries, platform = merchants["rides"], merchants["deliveries"], merchants["platform"]
    jenny = rides.v1.customers.create(params={"name": "Jenny Rosen"})
    # payment_method_data[card] is Stripe's (for accounts with raw card access); the SDK's types omit it.
    paying: Any = {"amount": 2500, "currency": "eur", "customer": jenny.id, "payment_method_data": {"type": "card", "card": CARD},
                   "setup_future_usage": "off_session", "confirm": True}  # fmt: skip
    first = rides.v1.payment_intents.create(params=paying)
    assert first.status == "succeeded" and first.amount_received == 2500 and first.latest_charge

    saved = deliveries.v1.customers.payment_methods.list(jenny.id).data
    assert [pm.id for pm in saved] == [first.payment_method]  # the card Rides saved, same id

    ls = stripe.StripeClient("sk_test_merchant_two_0002", base_addresses={"api": localstripe}, max_network_retries=0)
    before = processor_charges(ls)
    second = deliveries.v1.payment_intents.create(
        params={"amount": 1800, "currency": "eur", "customer": jenny.id, "payment_method": saved[0].id, "confirm": True}
    )
    assert second.status == "succeeded"
    new = [c for i, c in processor_charges(ls).items() if i not in before]
    assert [(c.amount, c.currency) for c in new] == [(1800, "eur")]  # it reached the processor, once

    # Each merchant lists only its own payments; the platform sees Deliveries' only on its behalf.
    assert first.id in [p.id for p in rides.v1.payment_intents.list(params={"limit": 100}).data]
    assert second.id not in [p.id for p in rides.v1.payment_intents.list(params={"limit": 100}).data]
    assert [p.id for p in deliveries.v1.payment_intents.list(params={"limit": 100}).data if p.customer == jenny.id] == [second.id]
    assert second.id not in [p.id for p in platform.v1.payment_intents.list(params={"limit": 100}).data]
    on_behalf = platform.v1.payment_intents.list(options={"stripe_account": local_system.accounts["Rocket Deliveries"].id})
    assert second.id in [p.id for p in on_behalf.data]
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.payment_intents.retrieve(second.id)

    # Each payment's events go to the account that made it.
    def types(client: stripe.StripeClient, intent: str) -> set[str]:
        return {e.type for e in client.v1.events.list(params={"limit": 100}).data if e.to_dict()["data"]["object"].get("id") == intent}

    eventually(lambda: {"payment_intent.created", "payment_intent.succeeded"} <= types(deliveries, second.id))
    assert types(rides, second.id) == set()

    # A standard merchant cannot even name the card.
    rentals = local_system.client("Rocket Rentals")
    add_connector(rentals, "test", {"api_key": "sim_rentals_0003"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        rentals.v1.payment_intents.create(params={"amount": 500, "currency": "eur", "payment_method": saved[0].id, "confirm": True})
    assert err.value.http_status == 404

    # The audit trail: who charged the shared card, through which connector, for whom.
    usage = call(rides, "get", f"/v1/payment_methods/{saved[0].id}/usage").data
    assert sorted((u.account, u.connector_name, u.amount, u.customer) for u in usage) == sorted([
        (local_system.accounts["Rocket Rides"].id, "test", 2500, jenny.id),
        (local_system.accounts["Rocket Deliveries"].id, "stripe", 1800, jenny.id),
    ])  # fmt: skip
    assert len(call(platform, "get", f"/v1/payment_methods/{saved[0].id}/usage").data) == 2
    newest = call(rides, "get", f"/v1/payment_methods/{saved[0].id}/usage", limit=1)
    assert newest.has_more and [u.payment_intent for u in newest.data] == [second.id]
    older = call(rides, "get", f"/v1/payment_methods/{saved[0].id}/usage", limit=1, starting_after=newest.data[0].id)
    assert not older.has_more and [u.payment_intent for u in older.data] == [first.id]
    with pytest.raises(stripe.PermissionError):
        call(deliveries, "get", f"/v1/payment_methods/{saved[0].id}/usage")


@pytest.mark.parametrize(
    ("number", "code", "decline_code"),
    [
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("4000000000000069", "expired_card", "expired_card"),
        ("4000000000000127", "incorrect_cvc", "incorrect_cvc"),
        ("4000000000000119", "processing_error", "processing_error"),
        ("4000000000000341", "card_declined", "generic_decline"),
    ],
)
def test_test_card_declines(merchants: dict[str, stripe.StripeClient], number: str, code: str, decline_code: str) -> None:
    rides = merchants["rides"]
    declining: Any = {"amount": 1000, "currency": "usd", "payment_method_data": {"type": "card", "card": {**CARD, "number": number}}}
    intent = rides.v1.payment_intents.create(params=declining)
    with pytest.raises(stripe.CardError) as err:
        rides.v1.payment_intents.confirm(intent.id, options={"idempotency_key": f"decline-{number}"})
    body = err.value.json_body
    assert isinstance(body, dict) and err.value.http_status == 402
    assert (body["error"]["code"], body["error"]["decline_code"]) == (code, decline_code)
    assert body["error"]["payment_intent"]["status"] == "requires_payment_method"
    assert rides.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    with pytest.raises(stripe.CardError):  # the same key replays the same 402, without a second attempt
        rides.v1.payment_intents.confirm(intent.id, options={"idempotency_key": f"decline-{number}"})

    def failures() -> list[str]:
        return [e.id for e in rides.v1.events.list(params={"type": "payment_intent.payment_failed"}).data if e.data.object.id == intent.id]

    eventually(lambda: len(failures()) > 0)
    assert len(failures()) == 1  # one attempt, one event


def test_authentication_required_and_tokens(merchants: dict[str, stripe.StripeClient]) -> None:
    rides = merchants["rides"]
    three_ds = rides.v1.payment_intents.create(
        params={"amount": 700, "currency": "eur", "payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    assert three_ds.status == "requires_action" and three_ds.next_action is not None
    ok = rides.v1.payment_intents.create(params={"amount": 700, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": True})
    assert ok.status == "succeeded" and ok.currency == "jpy" and ok.amount_received == 700


def test_capture_cancel_and_refund(merchants: dict[str, stripe.StripeClient]) -> None:
    rides = merchants["rides"]
    held = rides.v1.payment_intents.create(
        params={"amount": 5000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True, "capture_method": "manual"}
    )
    assert held.status == "requires_capture" and held.amount_capturable == 5000
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.payment_intents.capture(held.id, params={"amount_to_capture": 6000})
    captured = rides.v1.payment_intents.capture(held.id, params={"amount_to_capture": 4000})
    assert captured.status == "succeeded" and captured.amount_received == 4000

    partial = rides.v1.refunds.create(params={"payment_intent": held.id, "amount": 1500})
    assert partial.status == "succeeded" and partial.amount == 1500
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        rides.v1.refunds.create(params={"payment_intent": held.id, "amount": 3000})
    assert too_much.value.param == "amount"
    rest = rides.v1.refunds.create(params={"payment_intent": held.id}, options={"idempotency_key": f"refund-rest-{held.id}"})
    again = rides.v1.refunds.create(params={"payment_intent": held.id}, options={"idempotency_key": f"refund-rest-{held.id}"})
    assert rest.amount == 2500 and again.id == rest.id
    assert rides.v1.refunds.retrieve(rest.id).payment_intent == held.id
    assert sorted(r.amount for r in rides.v1.refunds.list(params={"payment_intent": held.id}).data) == [1500, 2500]
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.refunds.create(params={"payment_intent": held.id, "amount": 1})

    to_cancel = rides.v1.payment_intents.create(
        params={"amount": 900, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True, "capture_method": "manual"}
    )
    canceled = rides.v1.payment_intents.cancel(to_cancel.id, params={"cancellation_reason": "requested_by_customer"})
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.payment_intents.capture(to_cancel.id)

    # Every step is an event of the acting account (a refund's object is the charge).
    def kinds(object_id: Any) -> list[str]:
        recent = rides.v1.events.list(params={"limit": 100}).data
        return sorted(e.type for e in recent if e.to_dict()["data"]["object"].get("id") == object_id)

    refunds_and_cancel = (["charge.refunded", "charge.refunded", "charge.succeeded"], "payment_intent.canceled")
    eventually(lambda: kinds(held.latest_charge) == refunds_and_cancel[0] and refunds_and_cancel[1] in kinds(to_cancel.id))
    assert kinds(held.id) == ["payment_intent.amount_capturable_updated", "payment_intent.created", "payment_intent.succeeded"]
    assert kinds(to_cancel.id) == ["payment_intent.amount_capturable_updated", "payment_intent.canceled", "payment_intent.created"]
    refunded = next(e for e in rides.v1.events.list(params={"type": "charge.refunded"}).data if e.data.object.id == held.latest_charge)
    assert refunded.to_dict()["data"]["object"]["amount_refunded"] == 4000


def test_a_retry_with_the_same_key_charges_once(
    local_system: LocalSystem, localstripe: str, merchants: dict[str, stripe.StripeClient]
) -> None:
    deliveries = merchants["deliveries"]
    ls = stripe.StripeClient("sk_test_merchant_two_0002", base_addresses={"api": localstripe}, max_network_retries=0)
    before = processor_charges(ls)
    params: Any = {"amount": 4200, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    first = deliveries.v1.payment_intents.create(params=params, options={"idempotency_key": f"charge-once-{len(before)}"})
    again = deliveries.v1.payment_intents.create(params=params, options={"idempotency_key": f"charge-once-{len(before)}"})
    assert again.id == first.id and first.status == "succeeded"
    assert [c.amount for i, c in processor_charges(ls).items() if i not in before] == [4200]


def test_bad_payment_requests(local_system: LocalSystem, localstripe: str, merchants: dict[str, stripe.StripeClient]) -> None:
    rides = merchants["rides"]
    for params, code, param in (
        ({"amount": 1000, "currency": "xyz"}, "currency_invalid", "currency"),
        ({"amount": 0, "currency": "eur"}, "amount_too_small", "amount"),
        ({"amount": -5, "currency": "eur"}, "amount_too_small", "amount"),
        ({"amount": "ten", "currency": "eur"}, "parameter_invalid_integer", "amount"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as err:
            rides.v1.payment_intents.create(params=params)  # type: ignore[arg-type]
        assert (err.value.code, err.value.param) == (code, param)

    rentals_card = local_system.client("Rocket Rentals").v1.payment_methods.create(params={"type": "card", "card": CARD})
    with pytest.raises(stripe.InvalidRequestError) as other_pool:
        rides.v1.payment_intents.create(params={"amount": 100, "currency": "eur", "payment_method": rentals_card.id})
    assert other_pool.value.http_status == 404

    repairs = local_system.client("Rocket Repairs")  # no connector configured
    unconfirmed = repairs.v1.payment_intents.create(params={"amount": 100, "currency": "eur", "payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError) as none:
        repairs.v1.payment_intents.confirm(unconfirmed.id)
    assert none.value.code == "connector_not_configured"
    assert repairs.v1.payment_intents.retrieve(unconfirmed.id).status == "requires_confirmation"  # nothing half-written
    before = local_system.request_items(local_system.accounts["Rocket Repairs"].id)
    with pytest.raises(stripe.InvalidRequestError) as none:  # nor is the card it was given saved
        paying: Any = {"amount": 100, "currency": "eur", "payment_method_data": {"type": "card", "card": CARD}, "confirm": True}
        repairs.v1.payment_intents.create(params=paying)
    assert none.value.code == "connector_not_configured"
    assert local_system.request_items(local_system.accounts["Rocket Repairs"].id) == before

    bad_key = local_system.admin("create-org", "--name", "Bad Key Co")["keys"]
    assert isinstance(bad_key, dict)
    merchant = local_system.client(key=bad_key["test"])
    connector = add_connector(merchant, "stripe", {"secret_key": "not-a-stripe-key"}, api_base=localstripe)
    intent = merchant.v1.payment_intents.create(params={"amount": 100, "currency": "eur", "payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        merchant.v1.payment_intents.confirm(intent.id)
    assert refused.value.code == "connector_authentication_failed"
    assert merchant.v1.payment_intents.retrieve(intent.id).status == "requires_confirmation"

    # A live key cannot see, nor name, a test connector.
    live = local_system.client(key=bad_key["live"])
    assert call(live, "get", f"/v1/business_profiles/{connector.business_profile}/connectors").data == []
    with pytest.raises(stripe.InvalidRequestError) as hidden:
        call(live, "get", f"/v1/business_profiles/{connector.business_profile}/connectors/{connector.id}")
    assert hidden.value.http_status == 404

    # The processor unreachable: a 502 api_error, nothing changed; once it is back, the same confirm succeeds.
    path = f"/v1/business_profiles/{connector.business_profile}/connectors/{connector.id}"
    call(merchant, "post", path, **{"credentials[secret_key]": "sk_test_bad_key_co_0009", "settings[api_base]": "http://127.0.0.1:9"})
    with pytest.raises(stripe.APIError) as unreachable:
        merchant.v1.payment_intents.confirm(intent.id, options={"max_network_retries": 0})
    body = unreachable.value.json_body
    assert isinstance(body, dict) and unreachable.value.http_status == 502
    assert (body["error"]["type"], body["error"]["code"]) == ("api_error", "connector_unavailable")
    assert merchant.v1.payment_intents.retrieve(intent.id).status == "requires_confirmation"
    call(merchant, "post", path, **{"settings[api_base]": localstripe})
    assert merchant.v1.payment_intents.confirm(intent.id).status == "succeeded"

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        add_connector(merchant, "stripe", {"api_key": "x"})
    assert unknown.value.param.startswith("credentials[")


def test_connector_credentials_are_never_shown_stored_or_logged(local_system: LocalSystem, merchants: dict[str, Any]) -> None:
    as_deliveries = merchants["deliveries"]
    profile = default_profile(as_deliveries)
    listed = call(as_deliveries, "get", f"/v1/business_profiles/{profile}/connectors").data
    assert "****0002" in [c.to_dict()["credentials"].get("secret_key") for c in listed]
    secret = "sk_test_merchant_two_0002"
    assert secret not in json.dumps([c.to_dict() for c in listed])
    stored = json.dumps(local_system.table_items(), default=lambda raw: base64.b64encode(raw).decode())
    assert secret not in stored and "sim_rentals_0003" not in stored
    assert not [line for line in local_system.logs if secret in line or "sim_rentals_0003" in line]


def test_later_steps_go_to_the_processor_that_took_the_payment(local_system: LocalSystem, localstripe: str) -> None:
    """Capture and cancel reach the connector that authorized, even after the merchant switched to another."""
    key = local_system.admin("create-org", "--name", "Switching Co")["keys"]
    assert isinstance(key, dict)
    merchant = local_system.client(key=key["test"])
    old = add_connector(merchant, "stripe", {"secret_key": "sk_test_switching_0004"}, api_base=localstripe)
    ls = stripe.StripeClient("sk_test_switching_0004", base_addresses={"api": localstripe}, max_network_retries=0)

    def authorize(amount: int) -> Any:
        params: Any = {"amount": amount, "currency": "eur", "payment_method": "pm_card_visa", "capture_method": "manual", "confirm": True}
        return merchant.v1.payment_intents.create(params=params)

    to_capture, to_cancel = authorize(3331), authorize(3332)

    add_connector(merchant, "test", {"api_key": "sim_switching_0005"})  # the new processor for new payments
    call(merchant, "post", f"/v1/business_profiles/{old.business_profile}/connectors/{old.id}", disabled="true")
    assert merchant.v1.payment_intents.capture(to_capture.id).status == "succeeded"
    assert merchant.v1.payment_intents.cancel(to_cancel.id).status == "canceled"

    at_processor = {pi.amount: pi.status for pi in ls.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()}
    assert (at_processor.get(3331), at_processor.get(3332)) == ("succeeded", "canceled")
    new = merchant.v1.payment_intents.create(params={"amount": 3333, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True})
    assert new.status == "succeeded" and 3333 not in {pi.amount for pi in ls.v1.payment_intents.list(params={"limit": 100}).data}

    # Its connector deleted, a payment cannot be refunded, and nothing is claimed on it.
    call(merchant, "delete", f"/v1/business_profiles/{old.business_profile}/connectors/{old.id}")
    with pytest.raises(stripe.InvalidRequestError) as gone:
        merchant.v1.refunds.create(params={"payment_intent": to_capture.id})
    assert gone.value.code == "connector_not_configured"
    assert merchant.v1.payment_intents.retrieve(to_capture.id).to_dict().get("amount_refunded") == 0
    assert merchant.v1.refunds.list(params={"payment_intent": to_capture.id}).data == []


@pytest.mark.parametrize("number", ["4000002500003155", "4000002760003184"])
def test_a_card_that_needs_authentication_is_declined_when_the_customer_is_not_there(
    merchants: dict[str, stripe.StripeClient], number: str
) -> None:
    """Charging a card another merchant saved is merchant-initiated: nobody can complete 3-D Secure,
    so the processor declines (authentication_required), on both connectors (the stripe one as Stripe
    answers off_session=true); with the customer present (off_session=false) it asks for authentication."""
    rides, deliveries = merchants["rides"], merchants["deliveries"]
    for saver, charger in ((deliveries, rides), (rides, deliveries)):  # rides: the test connector; deliveries: stripe
        customer = saver.v1.customers.create(params={"name": "Off Session Olga"})
        card = saver.v1.payment_methods.create(params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034}})
        saver.v1.payment_methods.attach(card.id, params={"customer": customer.id})
        paying: PaymentIntentCreateParams = {"amount": 1234, "currency": "eur", "customer": customer.id, "payment_method": card.id,
                                             "confirm": True}  # fmt: skip
        with pytest.raises(stripe.CardError) as err:
            charger.v1.payment_intents.create(params=paying)
        body = err.value.json_body
        assert isinstance(body, dict) and err.value.http_status == 402
        assert (body["error"]["code"], body["error"]["decline_code"]) == ("authentication_required", "authentication_required")
        assert body["error"]["payment_intent"]["status"] == "requires_payment_method"
        assert body["error"]["payment_intent"]["last_payment_error"]["code"] == "authentication_required"
        present = charger.v1.payment_intents.create(params={**paying, "off_session": False})
        assert present.status == "requires_action" and present.next_action is not None
        assert charger.v1.payment_intents.cancel(present.id).status == "canceled"
        # The merchant that saved it, with the customer in its checkout, is asked for authentication too.
        assert saver.v1.payment_intents.create(params=paying).status == "requires_action"


def test_stripe_python_16s_allowed_payment_method_types_is_accepted(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    paying: Any = {"amount": 700, "currency": "eur", "allowed_payment_method_types": ["card"], "payment_method": "pm_card_visa"}
    paying["confirm"] = True
    intent = rides.v1.payment_intents.create(params=paying)
    assert intent.status == "succeeded" and intent.payment_method_types == ["card"]
    with pytest.raises(stripe.InvalidRequestError) as other:
        rides.v1.payment_intents.create(params={"amount": 700, "currency": "eur", "allowed_payment_method_types": ["sepa_debit"]})
    assert other.value.param == "allowed_payment_method_types[0]"
