"""Review of organization keys and the organization's view, through the stripe SDK on the local
system: what an erased customer leaves in the organization's lists, and what an organization key
(not the platform's own) may mint."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def _org_lists(platform: stripe.StripeClient, customer: str, intent: str) -> str:
    """Everything the organization's lists show of a customer's payment and its refund."""
    shown = [
        call(platform, "get", "/v1/organization/payment_intents", customer=customer),
        call(platform, "get", "/v1/organization/payment_intents"),
        call(platform, "get", "/v1/organization/refunds", payment_intent=intent),
        call(platform, "get", "/v1/organization/refunds"),
    ]
    return json.dumps([s.to_dict() for s in shown])


def test_an_erased_customer_leaves_no_personal_data_in_the_organization_lists(local_system: LocalSystem) -> None:
    secret = f"Jenny Forgotten {secrets.token_hex(4)}"
    rides, platform = local_system.client("Rocket Rides"), local_system.client()
    cus = rides.v1.customers.create(params={"name": secret, "email": f"forgotten.{secrets.token_hex(4)}@example.com"})
    intent = rides.v1.payment_intents.create(params={
        "amount": 2500, "currency": "eur", "customer": cus.id, "payment_method": "pm_card_visa", "confirm": True,
        "description": f"Ride for {secret}", "metadata": {"passenger": secret},
    })  # fmt: skip
    refund = rides.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500, "metadata": {"why": f"{secret} complained"}})

    def projected() -> bool:
        listed = call(platform, "get", "/v1/organization/refunds", payment_intent=intent.id).data
        return [r.id for r in listed] == [refund.id]

    eventually(projected)
    assert secret in _org_lists(platform, cus.id, intent.id)  # the view shows them while she is a customer

    erased = call(platform, "post", f"/v1/organization/customers/{cus.id}/erase", reason="GDPR art. 17")
    assert erased.status == "succeeded"
    assert secret not in json.dumps(rides.v1.payment_intents.retrieve(intent.id).to_dict())  # the account's own copy is redacted
    eventually(lambda: bool(call(platform, "get", f"/v1/organization/customers/{cus.id}").to_dict().get("deleted")))
    # ... and so is every copy the organization's view shows; the amounts stay (accounting).
    shown = _org_lists(platform, cus.id, intent.id)
    assert secret not in shown
    listed = call(platform, "get", "/v1/organization/payment_intents", customer=cus.id).data
    assert [(p.id, p.amount, p.amount_refunded) for p in listed] == [(intent.id, 2500, 500)]


def test_an_organization_key_cannot_mint_sandbox_keys(local_system: LocalSystem) -> None:
    other = local_system.admin("create-org", "--name", f"Sandbox Review {uuid.uuid4().hex[:6]}")
    keys: dict[str, str] = other["keys"]  # type: ignore[assignment]
    platform = stripe.StripeClient(keys["live"], base_addresses={"api": local_system.url}, max_network_retries=0)
    org_key = call(platform, "post", "/v1/organization/api_keys", name="ops").secret
    org = stripe.StripeClient(org_key, base_addresses={"api": local_system.url}, max_network_retries=0)
    # Keys of the organization are managed by the platform's key alone, so that no organization key
    # outlives its revocation through keys it made; a sandbox's answer carries new secret keys.
    with pytest.raises(stripe.PermissionError):
        call(org, "post", "/v1/organization/sandboxes", name="escape hatch")
