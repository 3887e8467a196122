"""Erasing a customer across the organization, and its consent records: through the stripe SDK on
the local system (what every account sees afterwards, what the tables still hold, the webhooks),
and in-process over moto for what needs a clock or a crash (a big customer erased over several
calls; a sharing enablement's consent)."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe

from localrun.receiver import Receiver
from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration

RIDE: Any = {
    "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "Ride service"}, "unit_amount": 7500}, "quantity": 1}],
    "mode": "payment", "customer_creation": "always", "ui_mode": "embedded", "return_url": "https://rides.example/done",
    "saved_payment_method_options": {"payment_method_save": "enabled"},
}  # fmt: skip
CARD = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}
WEBHOOK_PATHS = {"Rocket Rides": "/rides", "Rocket Deliveries": "/deliveries", "Rocket Platform": "/platform"}


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def erase(system: LocalSystem, customer: str, **params: Any) -> Any:
    return call(system.client(), "post", f"/v1/organization/customers/{customer}/erase", **params)


def checkout_with_saved_card(system: LocalSystem, email: str) -> dict[str, Any]:
    """What a customer does on Rocket Rides' checkout page: pays, and ticks "save my card" (consent)."""
    rides, platform = system.client("Rocket Rides"), system.client()
    session: Any = rides.v1.checkout.sessions.create(params=RIDE)
    pk: Any = call(platform, "post", f"/v1/accounts/{system.accounts['Rocket Rides'].id}/api_keys", type="publishable", name="erasure")
    body = urlencode({"client_secret": session.client_secret, **CARD, "save_payment_method": "true", "email": email}).encode()
    status, paid = system.http("POST", f"/v1/checkout/sessions/{session.id}/confirm", key=pk.publishable_key, body=body,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert status == 200 and paid["status"] == "complete", paid
    return dict(paid)


@pytest.fixture
def receiver(local_system: LocalSystem) -> Iterator[Receiver]:
    """Each account's customer.deleted webhooks, and the organization's."""
    running = Receiver().start()
    made: list[tuple[stripe.StripeClient, str]] = []
    for name, path in WEBHOOK_PATHS.items():
        client = local_system.client(name)
        made.append((client, client.v1.webhook_endpoints.create(
            params={"url": running.url + path, "enabled_events": ["customer.deleted"]}).id))  # fmt: skip
    platform = local_system.client()
    org: Any = call(platform, "post", "/v1/webhook_endpoints", url=running.url + "/org", scope="organization",
                    **{"enabled_events[0]": "customer.deleted"})  # fmt: skip
    made.append((platform, org.id))
    yield running
    for client, endpoint in made:
        client.v1.webhook_endpoints.delete(endpoint)
    running.stop()


def _strings(value: Any) -> Iterator[str]:
    """Every string and binary value of a raw DynamoDB item, nested ones included."""
    if isinstance(value, dict):
        for kind, inner in value.items():
            if kind == "S":
                yield inner
            elif kind == "B":
                yield base64.b64encode(inner).decode()
            else:
                yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def holding(system: LocalSystem, *needles: str) -> dict[str, list[dict[str, Any]]]:
    """The items of each table that hold any of `needles` anywhere."""
    return {table: [i for i in items if any(n in s for s in _strings(i) for n in needles)] for table, items in system.table_items().items()}


def test_erasure_forgets_the_customer_everywhere_and_keeps_the_payments(local_system: LocalSystem, receiver: Receiver) -> None:
    rides, deliveries, platform = (local_system.client(n) for n in ("Rocket Rides", "Rocket Deliveries", "Rocket Platform"))
    email = f"forget-{uuid.uuid4().hex[:8]}@example.com"
    paid = checkout_with_saved_card(local_system, email)
    cus, checkout_intent = paid["customer"], paid["payment_intent"]
    rides.v1.customers.update(cus, params={"name": "Jenny Forgotten", "phone": "+4930123456", "description": "VIP rider",
                                           "address": {"city": "Berlin", "line1": "Unter den Linden 1"},
                                           "shipping": {"name": "Jenny Forgotten", "address": {"city": "Berlin"}},
                                           "metadata": {"rider": "jenny"}})  # fmt: skip
    deliveries.v1.customers.update(cus, params={"metadata": {"courier_note": "ring twice, Jenny"}})
    card = deliveries.v1.customers.payment_methods.list(cus).data[0]
    # Deliveries charges the shared card and refunds part of it; Rides takes a one-off card it never saves.
    delivery: Any = deliveries.v1.payment_intents.create(params={
        "amount": 5000, "currency": "usd", "customer": cus, "payment_method": card.id, "confirm": True, "off_session": True,
        "description": "Delivery for Jenny Forgotten", "metadata": {"note": email}})  # fmt: skip
    refund = deliveries.v1.refunds.create(params={"payment_intent": delivery.id, "amount": 1000, "metadata": {"why": "late, Jenny"}})
    one_off: Any = rides.v1.payment_intents.create(params={"amount": 2500, "currency": "usd", "customer": cus, "confirm": True,
                                                           "payment_method": "pm_card_mastercard"})  # fmt: skip
    vaults = [
        i["vault"]["M"] for i in holding(local_system, card.id, one_off.payment_method)[local_system.env["DATA_TABLE"]] if "vault" in i
    ]
    sealed = [base64.b64encode(v[part]["B"]).decode() for v in vaults for part in ("ciphertext", "data_key")]
    assert len(sealed) == 2 * 2  # each card's ciphertext and its encrypted data key, in its one item

    erased = erase(local_system, cus, reason="The customer asked to be forgotten (GDPR art. 17)")
    assert (erased.object, erased.customer, erased.status) == ("customer_erasure", cus, "succeeded")
    assert erased.id.startswith("cer_") and erased.created and erased.completed_at >= erased.created
    requested_by = erased.requested_by.to_dict()  # (item access: a StripeObject's own `api_key` attribute is the client's key)
    assert requested_by["type"] == "organization" and requested_by["account"] == local_system.accounts["Rocket Platform"].id
    assert requested_by["api_key"].startswith("key_")
    assert erased.reason.startswith("The customer asked")
    assert erased.redacted.to_dict() == {"customer": 1, "account_overlays": 2, "payment_intents": 3, "charges": 3, "refunds": 1,
                                         "checkout_sessions": 1, "setup_intents": 0}  # fmt: skip
    assert erased.destroyed.to_dict() == {"cards": 2, "other_payment_methods": 0} and erased.kept.consents == 1

    # Idempotent: again (a new Idempotency-Key), the same record, and no second customer.deleted.
    assert erase(local_system, cus).to_dict() == erased.to_dict()
    assert call(platform, "get", f"/v1/organization/customer_erasures/{erased.id}").to_dict() == erased.to_dict()
    listed = call(platform, "get", "/v1/organization/customer_erasures", customer=cus).data
    assert [e.id for e in listed] == [erased.id]
    assert erased.id in [e.id for e in call(platform, "get", "/v1/organization/customer_erasures", limit=100).data]

    # Every account sees a deleted customer (as Stripe answers for one); the cards are gone for all.
    for client in (rides, deliveries, platform):
        assert client.v1.customers.retrieve(cus).to_dict() == {"id": cus, "object": "customer", "deleted": True}
        for pm in (card.id, one_off.payment_method):
            with pytest.raises(stripe.InvalidRequestError) as gone:
                client.v1.payment_methods.retrieve(pm)
            assert gone.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as refused:
        deliveries.v1.payment_intents.create(params={"amount": 100, "currency": "usd", "payment_method": card.id, "confirm": True})
    assert (refused.value.http_status, refused.value.code) == (404, "resource_missing")
    assert cus not in [c.id for c in rides.v1.customers.list(params={"email": email}).data]

    # Payments stay, amounts intact, their personal fields gone.
    kept: Any = deliveries.v1.payment_intents.retrieve(delivery.id)
    assert (kept.amount, kept.amount_received, kept.amount_refunded, kept.status) == (5000, 5000, 1000, "succeeded")
    assert kept.description is None and kept.metadata.to_dict() == {} and kept.customer == cus
    assert delivery.id in [p.id for p in deliveries.v1.payment_intents.list(params={"limit": 100}).data]
    charge: Any = deliveries.v1.charges.retrieve(delivery.latest_charge)
    assert (charge.amount, charge.amount_refunded) == (5000, 1000) and charge.billing_details.email is None
    assert charge.description is None and charge.payment_method_details.card.fingerprint is None
    assert charge.payment_method_details.card.last4 == "4242" and charge.refunds.data[0].metadata.to_dict() == {}
    assert deliveries.v1.refunds.retrieve(refund.id).to_dict()["metadata"] == {}
    assert rides.v1.payment_intents.retrieve(checkout_intent).amount_received == 7500
    session: Any = rides.v1.checkout.sessions.retrieve(paid["id"])
    assert session.customer_email is None and session.customer_details.email is None and session.amount_total == 7500

    # customer.deleted: one per pool account, each with its own context; the organization's once.
    deliveries_seen = receiver.wait_until(lambda ds: all(_deleted(ds, p, cus) for p in (*WEBHOOK_PATHS.values(), "/org")))
    for name, path in WEBHOOK_PATHS.items():
        (event,) = _deleted(deliveries_seen, path, cus)
        assert event["context"] == local_system.accounts[name].id and event["data"]["object"] == {"id": cus, "object": "customer",
                                                                                                  "deleted": True}  # fmt: skip
        assert event["actor"]["type"] == "organization"
    (org_event,) = _deleted(deliveries_seen, "/org", cus)
    assert org_event["context"] == local_system.accounts["Rocket Platform"].id

    # What the tables hold: no trace of the email, the card's sealed data or the customer's
    # personal fields in the data or directory tables; what the event and idempotency tables keep
    # of it expires on its own. (The organization view's projection, ORGV# items, is another
    # module's: it reacts to customer.deleted itself, and is left out here.)
    data, directory = local_system.env["DATA_TABLE"], local_system.env["DIRECTORY_TABLE"]

    def traces() -> list[Any]:
        needles = (email, "Jenny Forgotten", "+4930123456", "ring twice")
        found = holding(local_system, *needles)
        return [(i["pk"]["S"], i["sk"]["S"], [n for n in needles if any(n in s for s in _strings(i))]) for t in (data, directory)
                for i in found[t] if not i["pk"]["S"].startswith("ORGV#")]  # fmt: skip

    with contextlib.suppress(TimeoutError):
        eventually(lambda: not traces())
    assert traces() == [], traces()
    found = holding(local_system, *sealed)
    assert not any(found.values()), "a sealed card survived"
    left = holding(local_system, email)
    now = time.time()
    for table, ttl, limit in ((local_system.env["EVENTS_TABLE"], "expires_at", 31 * 86400), (local_system.env["IDEMPOTENCY_TABLE"],
                                                                                               "expiration", 86400 + 60)):  # fmt: skip
        assert all(now < float(i[ttl]["N"]) <= now + limit for i in left[table])
    time.sleep(0.5)  # a second customer.deleted, had one been sent, would be in by now
    assert len(_deleted(receiver.deliveries, "/org", cus)) == 1


def _deleted(deliveries: list[Any], path: str, customer: str) -> list[dict[str, Any]]:
    events = [json.loads(d.body) for d in deliveries if d.path == path]
    return [e for e in events if e["type"] == "customer.deleted" and e["data"]["object"]["id"] == customer]


def test_a_customer_of_a_standard_account_is_erased_in_its_own_pool(local_system: LocalSystem) -> None:
    repairs, rides = local_system.client("Rocket Repairs"), local_system.client("Rocket Rides")
    cus = repairs.v1.customers.create(params={"email": f"repair-{uuid.uuid4().hex[:6]}@example.com", "metadata": {"bike": "red"}})
    repairs.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.customers.retrieve(cus.id)  # another pool
    erased = erase(local_system, cus.id)
    assert erased.status == "succeeded" and erased.destroyed.cards == 1 and erased.redacted.account_overlays == 1
    assert repairs.v1.customers.retrieve(cus.id).to_dict() == {"id": cus.id, "object": "customer", "deleted": True}
    with pytest.raises(stripe.InvalidRequestError) as gone:
        repairs.v1.customers.payment_methods.list(cus.id)  # as for any deleted customer
    assert gone.value.http_status == 404


BAD = [
    ("a non-platform key", "Rocket Rides", None, {}, 403, "platform_api_key_required"),
    ("acting for an account", "Rocket Platform", "Rocket Rides", {}, 403, "platform_api_key_required"),
    ("an unknown parameter", "Rocket Platform", None, {"forget": "true"}, 400, "parameter_unknown"),
    ("a reason too long", "Rocket Platform", None, {"reason": "x" * 501}, 400, "parameter_invalid"),
]


@pytest.mark.parametrize(("case", "who", "acting", "body", "status", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_erasures_are_refused_and_erase_nothing(local_system: LocalSystem, case: str, who: str, acting: str | None,
                                                    body: dict[str, str], status: int, code: str) -> None:  # fmt: skip
    rides = local_system.client("Rocket Rides")
    cus = rides.v1.customers.create(params={"email": "keep-me@example.com"})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": str(uuid.uuid4())}
    if acting:
        headers["Stripe-Account"] = local_system.accounts[acting].id
    got, answer = local_system.http("POST", f"/v1/organization/customers/{cus.id}/erase", key=local_system.accounts[who].key,
                                    body=urlencode(body).encode(), headers=headers)  # fmt: skip
    assert (got, answer["error"]["code"]) == (status, code), case
    assert rides.v1.customers.retrieve(cus.id).email == "keep-me@example.com"
    assert call(local_system.client(), "get", "/v1/organization/customer_erasures", customer=cus.id).data == []


def test_unknown_customers_and_erasures_answer_404(local_system: LocalSystem) -> None:
    other_org = "cus_0VcaaaaaaaaaaaaaaaaaaaaA"  # an id of the right shape no pool of this organization holds
    for customer in (other_org, "cus_nope", "nope"):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            erase(local_system, customer)
        assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
        with pytest.raises(stripe.InvalidRequestError):
            call(local_system.client(), "get", f"/v1/organization/customers/{customer}/consents")
    for erasure in ("cer_0VcaaaaaaaaaaaaaaaaaaaaA", "nope"):
        with pytest.raises(stripe.InvalidRequestError) as unknown:
            call(local_system.client(), "get", f"/v1/organization/customer_erasures/{erasure}")
        assert unknown.value.http_status == 404


def test_consents_are_listed_exported_and_outlive_the_erasure(local_system: LocalSystem) -> None:
    platform = local_system.client()
    paid = checkout_with_saved_card(local_system, f"consent-{uuid.uuid4().hex[:6]}@example.com")
    cus = paid["customer"]
    consents = call(platform, "get", f"/v1/organization/customers/{cus}/consents").data
    assert len(consents) == 1
    (consent,) = consents
    assert (consent.object, consent.source, consent.customer, consent.checkout_session) == ("customer_consent", "checkout", cus, paid["id"])
    assert consent.account == local_system.accounts["Rocket Rides"].id and "businesses" in consent.text and consent.created
    status, _ = local_system.http("GET", f"/v1/organization/customers/{cus}/consents", key=local_system.accounts["Rocket Rides"].key)
    assert status == 403

    def export() -> tuple[Any, dict[str, str]]:
        answer = platform.raw_request("get", f"/v1/organization/customers/{cus}/consents/export")
        return json.loads(answer.body), {k.lower(): v for k, v in answer.headers.items()}

    document, headers = export()
    assert headers["content-disposition"] == f'attachment; filename="consents-{cus}.json"'
    assert document["object"] == "customer_consent_export" and document["customer"] == cus
    assert abs(document["generated_at"] - time.time()) < 60 and [c["id"] for c in document["consents"]] == [consent.id]
    assert document["deleted"] is False

    erase(local_system, cus)
    after = call(platform, "get", f"/v1/organization/customers/{cus}/consents").data
    assert [c.to_dict() for c in after] == [consent.to_dict()]  # kept as proof: it names no one but the customer's id
    document, _ = export()
    assert document["deleted"] is True and document["erasure"] and len(document["consents"]) == 1


# -- in-process, over moto: a customer erased over many calls, and a sharing enablement's consent --
@pytest.fixture
def org(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from orgshare import admin, messaging
    from orgshare.domain import auth
    from orgshare.settings import get_settings

    for name, value in {"AUTHORIZER_CACHE_SECONDS": "0", "ACCOUNT_CACHE_SECONDS": "0", "SHARING_SWITCH_MARGIN_SECONDS": "0",
                        "MIGRATION_RETRY_SECONDS": "0"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    messaging.sqs.cache_clear()
    auth._account_cache.clear()
    demo = admin.seed_demo()
    yield {a.name: auth.authenticate(a.key) for a in demo.accounts}
    auth._account_cache.clear()


def _changes_of(env: dict[str, str], event_type: str, object_id: str) -> list[dict[str, Any]]:
    import boto3

    items = boto3.client("dynamodb").scan(TableName=env["EVENTS_TABLE"])["Items"]
    return [i for i in items if i["pk"]["S"].startswith("CHANGE#") and i["type"]["S"] == event_type and i["object_id"]["S"] == object_id]


def test_a_big_customer_is_erased_over_several_calls_each_going_on_where_the_last_stopped(
    org: dict[str, Any], aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orgshare.domain import customers, payment_methods, payments
    from orgshare.domain.organization import erasure
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.customers import CustomerCreate, CustomerRetrieve
    from orgshare.params.org_privacy import CustomerErase
    from orgshare.params.payment_methods import PaymentMethodAttach
    from orgshare.params.payments import PaymentIntentCreate
    from orgshare.storage import erasure as erasure_store

    req, rides, platform = RequestInfo("req_test"), org["Rocket Rides"], org["Rocket Platform"]
    cus = customers.create(rides, CustomerCreate.model_validate({"email": "big@example.com", "metadata": {"a": "b"}}), req)["id"]
    card = payment_methods.attach(rides, "pm_card_visa", PaymentMethodAttach(customer=cus), req)["id"]
    for n in range(7):
        payments.create(rides, PaymentIntentCreate(amount=100 + n, currency="usd", customer=cus, payment_method=card, confirm=True,
                                                   description=f"ride {n}"), req)  # fmt: skip
    # Three writes a transaction (as a hundred are for a customer with thousands), and no time to
    # spare: each call commits one batch and answers in_progress.
    monkeypatch.setattr(erasure_store, "BATCH_WRITES", 3)
    monkeypatch.setattr(erasure, "PAGE", 2)
    answers: list[dict[str, Any]] = []
    while not answers or answers[-1]["status"] == "in_progress":
        answers.append(erasure.erase(platform, cus, CustomerErase(reason="asked"), req, budget_seconds=0))
        assert len(answers) < 200
    assert len(answers) > 5 and len({a["id"] for a in answers}) == 1
    done = answers[-1]
    assert done["redacted"]["payment_intents"] == 7 and done["redacted"]["charges"] == 7 and done["destroyed"]["cards"] == 1
    assert done["redacted"]["customer"] == 1 and done["redacted"]["account_overlays"] == 1
    assert customers.retrieve(rides, cus, CustomerRetrieve()) == {"id": cus, "object": "customer", "deleted": True}
    assert len(_changes_of(aws, "customer.deleted", cus)) == 1  # announced once, by the first call
    assert erasure.erase(platform, cus, CustomerErase(), req) == done


def test_a_sharing_enablement_that_moved_the_customer_is_its_consent_and_outlives_the_erasure(org: dict[str, Any]) -> None:
    from orgshare import messaging
    from orgshare.domain import customers
    from orgshare.domain.migration import enablement_view, worker
    from orgshare.domain.organization import consents, enablements, erasure
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.customers import CustomerCreate
    from orgshare.params.org_privacy import ConsentList, CustomerErase
    from orgshare.params.organization import SharingEnablementCreate
    from orgshare.settings import get_settings

    req, repairs, platform = RequestInfo("req_test"), org["Rocket Repairs"], org["Rocket Platform"]
    cus = customers.create(repairs, CustomerCreate.model_validate({"email": "fixed@example.com"}), req)["id"]
    assert consents.list_consents(platform, cus, ConsentList(), "")["data"] == []
    enablement = enablements.create(platform, SharingEnablementCreate(accounts=[repairs.account], consent_collected=True), req)
    sqs, url = messaging.sqs(), get_settings().migration_queue_url
    for _ in range(50):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", [])
        if not got:
            break
        worker.handle(json.loads(got[0]["Body"]))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert enablements.retrieve(platform, enablement["id"])["status"] == "succeeded"

    (consent,) = consents.list_consents(platform, cus, ConsentList(), "")["data"]
    assert (consent["source"], consent["sharing_enablement"], consent["account"]) == (
        "sharing_enablement",
        enablement["id"],
        repairs.account,
    )
    assert consent["text"] == enablement_view.CONSENT_WORDING and consent["wording_version"] == enablement_view.CONSENT_WORDING_VERSION
    assert consent["collected_by"]["account"] == platform.account and consent["created"] == enablement["consent"]["collected_at"]
    erased = erasure.erase(platform, cus, CustomerErase(), req)
    assert erased["status"] == "succeeded" and consents.list_consents(platform, cus, ConsentList(), "")["data"] == [consent]
    assert consents.export(platform, cus, __import__("orgshare.params.org_privacy").params.org_privacy.ConsentExport())["consents"] == [
        consent
    ]
