"""The platform's accounts API and API key lifecycle, through the stripe SDK."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration


def call(client: stripe.StripeClient, method: str, path: str, **params: object) -> Any:
    """An endpoint the SDK has no service for (API keys), through its raw_request."""
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def test_only_the_platform_manages_accounts(local_system: LocalSystem) -> None:
    for who in ("Rocket Rides", "Rocket Rentals"):
        with pytest.raises(stripe.PermissionError):
            local_system.client(who).v1.accounts.create(params={"type": "standard"})
    with pytest.raises(stripe.PermissionError):
        local_system.client("Rocket Rides").v1.accounts.list()
    # An account may read itself, not its neighbours.
    rides = local_system.accounts["Rocket Rides"]
    assert local_system.client("Rocket Rides").v1.accounts.retrieve(rides.id).id == rides.id
    with pytest.raises(stripe.InvalidRequestError):
        local_system.client("Rocket Rides").v1.accounts.retrieve(local_system.accounts["Rocket Deliveries"].id)


def test_new_connected_account_joins_the_pool_and_standard_gets_its_own(local_system: LocalSystem) -> None:
    platform = local_system.client("Rocket Platform")
    connected = platform.v1.accounts.create(params={"type": "connected", "business_profile": {"name": "Rocket Rockets"}})
    standard = platform.v1.accounts.create(params={"type": "standard", "email": "ops@solo.example"})
    # pool and shared_pool are orgshare's additions to Stripe's account object.
    assert connected.type == "connected" and connected["shared_pool"] is True
    assert standard.type == "standard" and standard["shared_pool"] is False and standard["pool"] != connected["pool"]
    assert platform.v1.accounts.retrieve(connected.id).to_dict()["business_profile"]["name"] == "Rocket Rockets"
    assert {connected.id, standard.id} <= {a.id for a in platform.v1.accounts.list(params={"limit": 100}).data}

    secret = call(platform, "post", f"/v1/accounts/{connected.id}/api_keys", name="ci").secret
    assert secret.startswith("sk_test_")
    shared = local_system.client("Rocket Rides").v1.customers.create(params={"name": "Pool Pat"})
    assert local_system.client(key=secret).v1.customers.retrieve(shared.id).name == "Pool Pat"

    std_key = call(platform, "post", f"/v1/accounts/{standard.id}/api_keys").secret
    with pytest.raises(stripe.InvalidRequestError):
        local_system.client(key=std_key).v1.customers.retrieve(shared.id)


def test_keys_are_shown_once_listed_redacted_and_revocable(local_system: LocalSystem) -> None:
    platform = local_system.client("Rocket Platform")
    account = local_system.accounts["Rocket Deliveries"].id
    created = call(platform, "post", f"/v1/accounts/{account}/api_keys", name="temp")
    listed = call(platform, "get", f"/v1/accounts/{account}/api_keys", limit=100)
    mine = next(k for k in listed.data if k.id == created.id)
    assert "secret" not in mine and mine.redacted.endswith(created.secret[-4:]) and created.secret not in str(listed)

    assert local_system.client(key=created.secret).v1.customers.list().data is not None
    revoked = call(platform, "delete", f"/v1/accounts/{account}/api_keys/{created.id}")
    assert revoked.deleted is True
    # This key's authorizer answer is cached (API Gateway's cache, emulated locally) for
    # AuthorizerCacheSeconds; the listing shows it revoked at once, and a key revoked before
    # its first use is refused at once (next test).
    listed = call(platform, "get", f"/v1/accounts/{account}/api_keys", limit=100)
    assert next(k for k in listed.data if k.id == created.id).revoked is True
    with pytest.raises(stripe.InvalidRequestError):
        call(platform, "delete", f"/v1/accounts/{account}/api_keys/{created.id}")


def test_a_revoked_key_is_refused_and_expiry_must_be_in_the_future(local_system: LocalSystem) -> None:
    platform = local_system.client("Rocket Platform")
    account = local_system.accounts["Rocket Rides"].id
    with pytest.raises(stripe.InvalidRequestError) as err:
        call(platform, "post", f"/v1/accounts/{account}/api_keys", expires_at=int(time.time()) - 10)
    assert err.value.param == "expires_at"
    fresh = call(platform, "post", f"/v1/accounts/{account}/api_keys")
    call(platform, "delete", f"/v1/accounts/{account}/api_keys/{fresh.id}")
    with pytest.raises(stripe.AuthenticationError):
        local_system.client(key=fresh.secret).v1.customers.list()
