"""Checkout Sessions and SetupIntents through the stripe SDK: the seed walk-through (a card saved,
with consent, in Rocket Rides' checkout is offered and paid with in Rocket Deliveries' checkout),
paid through the confirm call a checkout page's script makes with a publishable key."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from localrun.receiver import Receiver
from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration

RIDE: Any = {
    "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "Ride service"}, "unit_amount": 7500}, "quantity": 1}],
    "mode": "payment",
}
CARD = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}


def sessions_create(client: stripe.StripeClient, params: Any, options: Any = None) -> Any:
    """The SDK's typed call with the test's variations of its parameters."""
    return client.v1.checkout.sessions.create(params=params, options=options)


def publishable_key(system: LocalSystem, account: str) -> str:
    platform = system.client()
    answer = platform.raw_request("post", f"/v1/accounts/{system.accounts[account].id}/api_keys", type="publishable", name="checkout")
    created: Any = platform.deserialize(answer, api_mode="V1")
    key: str = created.publishable_key
    assert key.startswith("pk_test_")
    return key


def confirm(system: LocalSystem, pk: str, session: Any, **params: str) -> tuple[int, Any]:
    """What the checkout page's script sends: the publishable key and the session's client secret."""
    body = {"client_secret": session.client_secret, **params}
    from urllib.parse import urlencode

    return system.http(
        "POST", f"/v1/checkout/sessions/{session.id}/confirm", key=pk, body=urlencode(body).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip


@pytest.fixture
def org_receiver(local_system: LocalSystem) -> Iterator[tuple[Receiver, Any]]:
    receiver = Receiver().start()
    platform = local_system.client()
    endpoint: Any = platform.deserialize(
        platform.raw_request("post", "/v1/webhook_endpoints", url=f"{receiver.url}/org", scope="organization",
                             **{"enabled_events[0]": "checkout.session.completed"}),
        api_mode="V1",
    )  # fmt: skip
    yield receiver, endpoint
    platform.v1.webhook_endpoints.delete(endpoint.id)
    receiver.stop()


def test_seed_walkthrough_card_saved_in_one_checkout_is_offered_and_paid_in_another(
    local_system: LocalSystem, org_receiver: tuple[Receiver, Any]
) -> None:
    receiver, _ = org_receiver
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    acct_rides, acct_deliveries = (local_system.accounts[n].id for n in ("Rocket Rides", "Rocket Deliveries"))
    first = sessions_create(rides, params={**RIDE, "customer_creation": "always", "ui_mode": "embedded", "return_url": "https://checkout.rocket-rides.com/success",
                "saved_payment_method_options": {"payment_method_save": "enabled"}},
        options={"stripe_account": acct_rides},  # an account naming itself, as the seed's call does
    )  # fmt: skip
    assert (first.status, first.payment_status, first.amount_total, first.currency) == ("open", "unpaid", 7500, "usd")
    assert first.ui_mode == "embedded_page" and first.client_secret and first.url is None and first.livemode is False

    status, paid = confirm(local_system, publishable_key(local_system, "Rocket Rides"), first, **CARD,
                           save_payment_method="true", email="jenny@example.com")  # fmt: skip
    assert status == 200, paid
    assert (paid["status"], paid["payment_status"], paid["confirmation"]["status"]) == ("complete", "paid", "complete")
    customer, intent = paid["customer"], paid["payment_intent"]
    assert customer and intent and paid["client_secret"] is None  # a completed session's secret is gone

    # The customer and the card are the pool's: Deliveries sees them under the same ids.
    assert deliveries.v1.customers.retrieve(customer).email == "jenny@example.com"
    cards = deliveries.v1.customers.payment_methods.list(customer).data
    assert len(cards) == 1 and cards[0].allow_redisplay == "always"
    card = cards[0]
    consent = card.to_dict()["sharing_consent"]
    assert consent["checkout_session"] == first.id and consent["account"] == acct_rides and "businesses" in consent["text"]
    listed: Any = rides.deserialize(rides.raw_request("get", f"/v1/payment_methods/{card.id}/usage"), api_mode="V1")
    usage = listed.data
    assert [u.object for u in usage] == ["payment_method_consent", "payment_method_usage"]  # consent, then the charge, newest first
    assert rides.v1.payment_intents.retrieve(intent).amount_received == 7500

    # Deliveries' session for the same customer offers the saved card; one click pays with it.
    second = sessions_create(deliveries, params={"customer": customer, "mode": "payment", "ui_mode": "embedded", "return_url": "https://deliveries.example/done",
                "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "Delivery service"}, "unit_amount": 5000},
                                "quantity": 1}]},
        options={"stripe_account": acct_deliveries},
    )  # fmt: skip
    status, again = confirm(local_system, publishable_key(local_system, "Rocket Deliveries"), second, payment_method=card.id)
    assert status == 200 and again["status"] == "complete", again
    theirs = deliveries.v1.payment_intents.retrieve(again["payment_intent"])
    assert (theirs.amount_received, theirs.payment_method, theirs.customer) == (5000, card.id, customer)
    with pytest.raises(stripe.InvalidRequestError):  # each payment is its account's
        rides.v1.payment_intents.retrieve(theirs.id)
    assert [s.id for s in rides.v1.checkout.sessions.list(params={"customer": customer}).data] == [first.id]

    # The organization endpoint got both completions, once each, with their account as context.
    def completions() -> list[dict[str, Any]]:
        events = [json.loads(d.body) for d in receiver.deliveries if d.path == "/org"]
        return [e for e in events if e["type"] == "checkout.session.completed" and e["data"]["object"]["id"] in (first.id, second.id)]

    eventually(lambda: len(completions()) >= 2)
    seen = {(e["context"], e["data"]["object"]["customer"]) for e in completions()}
    assert seen == {(acct_rides, customer), (acct_deliveries, customer)} and len(completions()) == 2
    assert all(e["data"]["object"]["client_secret"] is None and e["data"]["object"]["url"] is None for e in completions())


def test_hosted_session_url_line_items_list_and_expire(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    session = sessions_create(rides, params={**RIDE, "success_url": "https://rides.example/ok?session={CHECKOUT_SESSION_ID}", "cancel_url": "https://rides.example/no",
                "metadata": {"order": "42"}, "client_reference_id": "order-42", "expires_at": int(time.time()) + 3600}
    )  # fmt: skip
    assert session.ui_mode == "hosted_page" and session.url and session.url.startswith(local_system.url + "/checkout/" + session.id)
    assert session.client_secret is None and session.to_dict()["metadata"] == {"order": "42"} and session.client_reference_id == "order-42"
    assert rides.v1.checkout.sessions.retrieve(session.id).url == session.url
    items = rides.v1.checkout.sessions.line_items.list(session.id).data
    assert [(i.description, i.amount_total, i.quantity, i.price and i.price.unit_amount) for i in items] == [
        ("Ride service", 7500, 1, 7500)
    ]
    assert session.id in [s.id for s in rides.v1.checkout.sessions.list(params={"status": "open"}).data]

    expired = rides.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError) as twice:
        rides.v1.checkout.sessions.expire(session.id)
    assert twice.value.code == "checkout_session_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as elsewhere:  # a session belongs to the account that made it
        local_system.client("Rocket Deliveries").v1.checkout.sessions.retrieve(session.id)
    assert elsewhere.value.http_status == 404


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"ui_mode": "hosted_page", "success_url": "https://x.example", "return_url": "https://x.example"}, "return_url"),
        ({"ui_mode": "embedded_page", "return_url": "https://x.example", "success_url": "https://x.example"}, "success_url"),
        ({"ui_mode": "embedded"}, "return_url"),
        ({"ui_mode": "sideways", "success_url": "https://x.example"}, "ui_mode"),
        ({"success_url": "https://x.example", "expires_at": 1}, "expires_at"),
        ({"success_url": "https://x.example", "customer": "cus_missing", "customer_email": "a@example.com"}, "customer_email"),
        ({"success_url": "https://x.example", "customer": "cus_0000000000000000000000000"}, "customer"),
        ({"success_url": "https://x.example", "line_items": [{"price": "price_123", "quantity": 1}]}, "line_items[0][price]"),
        ({"success_url": "https://x.example", "mode": "subscription"}, "mode"),
        ({"success_url": "https://x.example", "mode": "setup"}, "line_items"),
    ],
)
def test_bad_sessions_are_refused_with_stripes_errors(local_system: LocalSystem, extra: dict[str, Any], param: str) -> None:
    rides = local_system.client("Rocket Rides")
    before = rides.v1.checkout.sessions.list(params={"limit": 100}).data
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sessions_create(rides, params={**RIDE, **extra})
    assert refused.value.http_status in (400, 404) and refused.value.param == param, refused.value.json_body
    assert rides.v1.checkout.sessions.list(params={"limit": 100}).data == before


def test_a_standard_accounts_customer_cannot_be_used_from_a_pool_account(local_system: LocalSystem) -> None:
    rentals, rides = local_system.client("Rocket Rentals"), local_system.client("Rocket Rides")
    theirs = rentals.v1.customers.create(params={"name": "Isolated Ida"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sessions_create(rides, params={**RIDE, "success_url": "https://x.example", "customer": theirs.id})
    assert missing.value.http_status == 404 and missing.value.param == "customer"


def test_publishable_keys_only_pay_their_own_open_session_once(local_system: LocalSystem) -> None:
    pk = publishable_key(local_system, "Rocket Rides")
    rides = local_system.client("Rocket Rides")
    for method, path in (("GET", "/v1/customers"), ("GET", "/v1/checkout/sessions"), ("GET", "/v1/payment_intents")):
        status, body = local_system.http(method, path, key=pk)
        assert status == 403 and body["error"]["code"] == "secret_key_required"
    session = sessions_create(rides, params={**RIDE, "ui_mode": "embedded", "return_url": "https://x.example"})
    status, _ = confirm(local_system, pk, type("S", (), {"id": session.id, "client_secret": session.id + "_secret_wrong"})(), **CARD)
    assert status == 404  # a wrong secret: the session is not there
    other = publishable_key(local_system, "Rocket Deliveries")
    assert confirm(local_system, other, session, **CARD)[0] == 404  # another account's key
    declined = confirm(local_system, pk, session, **{**CARD, "card[number]": "4000000000000002"})
    assert declined[0] == 402 and declined[1]["error"]["code"] == "card_declined"
    assert confirm(local_system, pk, session, **CARD)[1]["status"] == "complete"  # a new card after the decline
    status, twice = confirm(local_system, pk, session, **CARD)
    assert status == 400 and twice["error"]["code"] == "checkout_session_unexpected_state"


def test_setup_mode_saves_a_card_through_a_setup_intent(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    session = sessions_create(rides, params={"mode": "setup", "currency": "usd", "ui_mode": "embedded", "return_url": "https://x.example",
                "customer_email": "sam@example.com"}
    )  # fmt: skip
    assert session.payment_status == "no_payment_required" and session.amount_total == 0
    status, done = confirm(local_system, publishable_key(local_system, "Rocket Rides"), session, **CARD)
    assert status == 200 and done["status"] == "complete" and done["setup_intent"], done
    intent = rides.v1.setup_intents.retrieve(done["setup_intent"])
    assert intent.status == "succeeded" and intent.customer == done["customer"] and intent.payment_method
    assert [pm.id for pm in rides.v1.customers.payment_methods.list(done["customer"]).data] == [intent.payment_method]


def test_setup_intents_api(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    customer = rides.v1.customers.create(params={"name": "Seti"})
    card = rides.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    intent = rides.v1.setup_intents.create(params={"customer": customer.id, "payment_method": card.id})
    assert intent.status == "requires_confirmation" and intent.usage == "off_session"
    confirmed = rides.v1.setup_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"
    assert [pm.id for pm in deliveries.v1.customers.payment_methods.list(customer.id).data] == [card.id]  # now the pool's
    assert intent.id in [i.id for i in rides.v1.setup_intents.list(params={"customer": customer.id}).data]
    with pytest.raises(stripe.InvalidRequestError):
        deliveries.v1.setup_intents.retrieve(intent.id)
    other = rides.v1.setup_intents.create(params={"customer": customer.id})
    assert rides.v1.setup_intents.cancel(other.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as canceled:
        rides.v1.setup_intents.confirm(other.id, params={"payment_method": card.id})
    assert canceled.value.code == "setup_intent_unexpected_state"


def test_a_session_is_no_place_to_test_cards(local_system: LocalSystem) -> None:
    pk = publishable_key(local_system, "Rocket Rides")
    rides = local_system.client("Rocket Rides")
    session = sessions_create(rides, params={**RIDE, "ui_mode": "embedded", "return_url": "https://x.example"})
    declined = {**CARD, "card[number]": "4000000000000002"}
    for _ in range(5):
        status, answer = confirm(local_system, pk, session, **declined)
        assert status == 402 and answer["error"]["code"] == "card_declined"
    assert rides.v1.checkout.sessions.retrieve(session.id).status == "expired"  # after five declines
    status, answer = confirm(local_system, pk, session, **CARD)
    assert status == 400 and answer["error"]["code"] == "checkout_session_unexpected_state"
