"""Each handler answers its sample event from events/ (what `sam local invoke -e` users run),
with the placeholders swapped for a seeded organization's ids."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest

from localrun import events as samples
from localrun import template as tpl
from localrun.gateway import Function
from orgshare import admin
from orgshare.domain import (
    accounts,
    api_keys,
    auth,
    customers,
    events,
    payment_methods,
    payments,
    profiles,
    refunds,
    setup_intents,
    webhooks,
)
from orgshare.domain.checkout import secrets as checkout_secrets
from orgshare.domain.checkout import sessions
from orgshare.domain.organization import enablements, erasure, projection
from orgshare.domain.principal import RequestInfo
from orgshare.params.accounts import ApiKeyCreate
from orgshare.params.checkout import CheckoutSessionCreate, SetupIntentCreate
from orgshare.params.customers import CustomerCreate
from orgshare.params.org_keys import OrgKeyCreate
from orgshare.params.org_privacy import CustomerErase
from orgshare.params.organization import SharingEnablementCreate
from orgshare.params.payment_methods import CardInput, PaymentMethodAttach, PaymentMethodCreate
from orgshare.params.payments import ConnectorCreate, PaymentIntentCreate, RefundCreate
from orgshare.params.webhooks import WebhookEndpointCreate
from orgshare.settings import get_settings
from orgshare.storage.outbox import change_from_stream

# Sharing cannot be turned off; a sandbox is made from the live organization, with a live key; an
# enablement that is running (the sample's, just made) is not retried.
REFUSED = {"organization_deleteenablement": "sharing_irreversible", "organization_createsandbox": "livemode_required",
           "organization_retryenablement": "sharing_enablement_running"}  # fmt: skip
EVENTS = sorted(p for p in samples.EVENTS.glob("*.json") if p.stem != "authorizer" and p != samples.ENV_VARS)


@cache
def handler(name: str) -> Function:
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")[name]
    return Function(name, tpl.ROOT / res["Properties"]["CodeUri"], res["Properties"]["Handler"])


def test_events_folder_matches_the_template() -> None:
    on_disk = {p.stem: json.loads(p.read_text()) for p in samples.EVENTS.glob("*.json") if p != samples.ENV_VARS}
    generated = samples.sample_events()
    for event in generated.values():
        event.get("requestContext", {}).pop("requestTimeEpoch", None)
    assert on_disk == generated, "events/ is stale: run 'make events'"
    assert json.loads(samples.ENV_VARS.read_text()) == samples.sam_env_vars(), "events/env.json is stale: run 'make events'"


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_handler_answers_its_sample_event(aws: dict[str, str], path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")  # the sample endpoint is on 127.0.0.1, as the local system allows
    get_settings.cache_clear()
    demo = admin.seed_demo()
    platform, rides = demo.accounts[0], demo.accounts[1]
    platform_who = admin.platform_principal(demo.org, platform.id, demo.pool, "test")
    caller = platform if path.stem.startswith(("accounts", "organization", "orgview", "orgprivacy")) else rides
    rentals, repairs = (next(a for a in demo.accounts if a.name == name) for name in ("Rocket Rentals", "Rocket Repairs"))
    enablement = enablements.create(platform_who, SharingEnablementCreate(accounts=[rentals.id], consent_collected=True),
                                    RequestInfo("req_seed"))  # fmt: skip
    customer = customers.create(platform_who, CustomerCreate(name="Sample"), RequestInfo("req_seed"))
    key = accounts.create_api_key(platform_who, rides.id, ApiKeyCreate(name="to revoke"))
    if "orgkey" in path.stem:  # the organization's own keys
        key = api_keys.create_org_key(platform_who, OrgKeyCreate(name="to roll"))
    erased = {"id": "cer_none"}
    if path.stem == "orgprivacy_retrieveerasure":  # another customer's erasure: the sample's customer stays
        gone = customers.create(platform_who, CustomerCreate(name="Erased"), RequestInfo("req_seed"))
        erased = erasure.erase(platform_who, gone["id"], CustomerErase(), RequestInfo("req_seed"))
    caller_who = platform_who if caller is platform else auth.authenticate(caller.key)
    card = payment_methods.create(caller_who, PaymentMethodCreate(type="card", card=CardInput(token="tok_visa")), RequestInfo("req_seed"))
    if not path.stem.endswith("attach"):  # everything else wants the card attached already
        # by its creator: an unattached card is its creator's alone
        payment_methods.attach(caller_who, card["id"], PaymentMethodAttach(customer=customer["id"]), RequestInfo("req_seed"))
    endpoint = webhooks.create(caller_who, WebhookEndpointCreate(url="http://127.0.0.1:9/hooks", enabled_events=["*"]))
    changes = map(change_from_stream, boto3.client("dynamodb").scan(TableName=aws["EVENTS_TABLE"])["Items"])
    change = next(c for c in changes if c and c["type"] == "customer.created")
    events.publish(change)  # what the publisher does with the outbox record
    # ... and what the organization's projector does with its organization copy
    actor_event = events.events_for_change(change)[0][1]
    projection.apply({"org": change["org"], "mode": change["mode"], "account": change["account"], "org_copy": True, "event": actor_event})
    profile = profiles.profile_of(caller_who, None)
    connector = profiles.create_connector(
        caller_who, profile["id"], ConnectorCreate(connector_name="test", credentials={"api_key": "sim_key_1234"})
    )
    # The intent each payments event needs: confirmed for capture (manual), refunds and its charge, unconfirmed otherwise.
    confirmed = path.stem in ("payments_capture", "payments_createrefund", "payments_listrefunds", "payments_retrieverefund",
                              "payments_updaterefund", "payments_retrievecharge", "payments_listchargerefunds")  # fmt: skip
    intent_params = {"amount": 2000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": confirmed}
    if path.stem == "payments_capture":
        intent_params["capture_method"] = "manual"
    intent = payments.create(caller_who, PaymentIntentCreate.model_validate(intent_params), RequestInfo("req_seed"))
    refunded = confirmed and path.stem != "payments_capture"
    refund = (
        refunds.create(caller_who, RefundCreate(payment_intent=intent["id"], amount=100), RequestInfo("req_seed"))
        if refunded
        else {"id": "re_none"}
    )
    session = sessions.create(caller_who, CheckoutSessionCreate.model_validate(
        {"mode": "payment", "success_url": "https://x.example", "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Ride"}}, "quantity": 1}]}
    ), RequestInfo("req_seed"), "http://127.0.0.1")  # fmt: skip
    setup = setup_intents.create(caller_who, SetupIntentCreate(customer=customer["id"]), RequestInfo("req_seed"))
    text = path.read_text()
    # Longest placeholders first: acct_SAMPLE_CALLER before acct_SAMPLE.
    for placeholder, value in (
        ("acct_SAMPLE_CALLER", caller.id),
        ("acct_SAMPLE_STANDARD", repairs.id),
        ("key_SAMPLE_CALLER", "key_sample"),
        ("acct_SAMPLE", rides.id),
        ("org_SAMPLE", demo.org),
        ("pool_SAMPLE", demo.pool),
        ("cus_SAMPLE", customer["id"]),
        ("key_SAMPLE", key["id"]),
        ("pm_SAMPLE", card["id"]),
        ("evt_SAMPLE", events.event_id(change["id"], caller.id)),
        ("we_SAMPLE", endpoint["id"]),
        ("pro_SAMPLE", profile["id"]),
        ("mca_SAMPLE", connector["id"]),
        ("pi_SAMPLE", intent["id"]),
        ("re_SAMPLE", refund["id"]),
        ("ch_SAMPLE", intent.get("latest_charge") or "ch_none"),
        ("cs_test_SAMPLE", session["id"]),
        ("seti_SAMPLE", setup["id"]),
        ("SESSION_KEY", checkout_secrets.session_secret(session["id"])),
        ("she_SAMPLE", enablement["id"]),
        ("cer_SAMPLE", erased["id"]),
    ):
        text = text.replace(placeholder, value)
    event: dict[str, Any] = json.loads(text)
    if path.stem == "migration_step":  # a queue message, not a request: the step runs, nothing fails
        assert handler("MigrationFunction").invoke(event) == {"batchItemFailures": []}
        return
    event["requestContext"]["authorizer"]["kind"] = caller.kind

    # events/<function without "Function", lower case>_<event>.json, as localrun.events names them
    name = next(
        n for n in tpl.resources(tpl.load(), "AWS::Serverless::Function") if n.removesuffix("Function").lower() == path.stem.split("_")[0]
    )
    reply = handler(name).invoke(event)

    if name == "PagesFunction":  # HTML: the checkout page, its answer to a submission, a static file
        content_type = (reply.get("multiValueHeaders") or {}).get("Content-Type", [""])[0]
        # (the authentication step answers 400 for a session that is not waiting for one, as this sample's is not)
        expected = (200, 303, 400) if path.stem == "pages_authenticate" else (200, 303)
        assert reply["statusCode"] in expected and content_type.startswith(("text/html", "text/css")), reply
        return
    if name == "DashboardFunction":  # HTML: without a session, the sign-in page (or a redirect to it, or a refused change)
        content_type = (reply.get("multiValueHeaders") or {}).get("Content-Type", [""])[0]
        redirected = reply["statusCode"] == 303 and reply["multiValueHeaders"]["Location"][0].startswith("/dashboard/sign-in")
        assert redirected or (reply["statusCode"] in (200, 403) and content_type.startswith("text/html")), reply
        return
    body = json.loads(reply["body"])
    if name == "OpenApiFunction":  # the API's description, no key needed
        assert reply["statusCode"] == 200 and body["openapi"].startswith("3.1"), reply["statusCode"]
        return
    if path.stem in REFUSED:  # what these samples ask is refused by design: the answer says why
        assert reply["statusCode"] == 400 and body["error"]["code"] == REFUSED[path.stem], body
        return
    assert reply["statusCode"] == 200, body
    assert reply["multiValueHeaders"]["Request-Id"] == ["req_samplerequest"]
    assert body["object"] in (
        "customer", "list", "account", "api_key", "payment_method", "event", "webhook_endpoint",
        "business_profile", "connector", "payment_intent", "refund", "charge", "checkout.session", "setup_intent", "organization",
        "sharing_enablement", "organization.customer", "customer_erasure", "customer_consent_export", "search_result",
    )  # fmt: skip


def test_authorizer_allows_a_key_and_denies_others(aws: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    demo = admin.seed_demo()
    event = json.loads((samples.EVENTS / "authorizer.json").read_text())
    authorizer = handler("AuthorizerFunction")

    event["headers"]["Authorization"] = f"Bearer {demo.accounts[1].key}"
    allowed = authorizer.invoke(event)
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert allowed["context"]["account"] == demo.accounts[1].id and allowed["context"]["kind"] == "connected"
    assert allowed["context"]["pool"] == demo.pool

    for header in ("Bearer sk_test_unknown", "Basic !!!", "Token abc", f"Bearer {demo.accounts[1].key}x"):
        event["headers"]["Authorization"] = header
        denied = authorizer.invoke(event)
        assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
        assert denied["context"]["message"]
    assert demo.accounts[1].key not in capsys.readouterr().out
