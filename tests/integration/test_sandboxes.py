"""POST /v1/organization/sandboxes: a test-mode copy of a live organization's structure (accounts,
profiles, sharing; test connectors for live ones; no data), through the local system."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe
from boto3.dynamodb.types import TypeSerializer

from orgshare.domain.organization.sandboxes import MAX_ACCOUNTS
from orgshare.ids import new_id
from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

SANDBOXES = "/v1/organization/sandboxes"
CARD: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
LIVE_STRIPE_KEY = "sk_live_sandbox_source_0001"


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def default_profile(client: stripe.StripeClient) -> str:
    return str(next(p for p in call(client, "get", "/v1/business_profiles").data if p.is_default).id)


@dataclass(frozen=True)
class Source:
    """The live organization the sandbox is copied from, and the sandbox's first answer."""

    org: str
    live_key: str
    test_key: str
    accounts: dict[str, str]  # name -> live account id
    live_customer: str
    test_customer: str
    sandbox: dict[str, Any]

    def copy(self, name: str) -> dict[str, Any]:
        return next(a for a in self.sandbox["accounts"] if a["copied_from"] == self.accounts[name])


def create_sandbox(local_system: LocalSystem, key: str, headers: dict[str, str] | None = None, **params: str) -> tuple[int, Any]:
    return local_system.http(
        "POST", SANDBOXES, key=key, body=urlencode(params).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )  # fmt: skip


def directory(local_system: LocalSystem) -> tuple[Any, str]:
    """The running system's directory table (moto) and its name."""
    return local_system.dynamodb(), local_system.env["DIRECTORY_TABLE"]


def directory_items(local_system: LocalSystem) -> list[dict[str, Any]]:
    """Every item of the directory, raw (the other tables are not needed here)."""
    dynamodb, table = directory(local_system)
    return [i for page in dynamodb.get_paginator("scan").paginate(TableName=table) for i in page["Items"]]


def sandboxes_of(local_system: LocalSystem, org: str) -> list[str]:
    """The live organization's list of its sandboxes, as stored."""
    return sorted(
        i["sk"]["S"] for i in directory_items(local_system) if i["pk"]["S"] == f"ORG#{org}" and i["sk"]["S"].startswith("SANDBOX#")
    )


def organizations(local_system: LocalSystem) -> int:
    return sum(1 for i in directory_items(local_system) if i["sk"]["S"] == "ORG")


@pytest.fixture(scope="module")
def source(local_system: LocalSystem) -> Source:
    """A live organization with a connected account (two profiles, live Stripe connectors on both),
    a standard account that shares in live mode and one that does not, a live and a test customer."""
    created = local_system.admin("create-org", "--name", "Sandbox Source Co")
    keys, org = created["keys"], created["organization"]
    assert isinstance(keys, dict) and isinstance(org, str)
    live = local_system.client(key=keys["live"])
    rides = live.v1.accounts.create(params={
        "type": "connected", "business_profile": {"name": "Source Rides", "url": "https://rides.example"},
        "email": "ops@rides.example", "country": "us", "metadata": {"tier": "gold"},
    })  # fmt: skip
    rentals = live.v1.accounts.create(params={"type": "standard", "business_profile": {"name": "Source Rentals"}})
    repairs = live.v1.accounts.create(params={"type": "standard", "business_profile": {"name": "Source Repairs"}})
    enabled = call(live, "post", "/v1/organization/sharing_enablements", accounts=[rentals.id], consent_collected=True)
    assert enabled.livemode is True
    as_rides = stripe.StripeClient(keys["live"], base_addresses={"api": local_system.url}, stripe_account=rides.id, max_network_retries=0)
    europe = call(as_rides, "post", "/v1/business_profiles", name="Europe")
    for profile in (default_profile(as_rides), europe.id):  # creating a connector calls no processor
        call(as_rides, "post", f"/v1/business_profiles/{profile}/connectors", connector_name="stripe",
             **{"credentials[secret_key]": LIVE_STRIPE_KEY})  # fmt: skip
    live_customer = live.v1.customers.create(params={"name": "Live Larry"}).id
    test_customer = local_system.client(key=keys["test"]).v1.customers.create(params={"name": "Test Tess"}).id

    got, sandbox = create_sandbox(local_system, keys["live"])
    assert got == 200, sandbox
    names = {"Sandbox Source Co": created["platform"]["id"], "Source Rides": rides.id, "Source Rentals": rentals.id,  # type: ignore[index]
             "Source Repairs": repairs.id}  # fmt: skip
    return Source(org, keys["live"], keys["test"], names, live_customer, test_customer, sandbox)


def test_a_live_platform_key_copies_the_organization_structure_with_new_test_keys(local_system: LocalSystem, source: Source) -> None:
    sandbox = source.sandbox
    assert sandbox["object"] == "organization_sandbox" and sandbox["id"].startswith("org_") and sandbox["id"] != source.org
    assert (sandbox["sandbox_of"], sandbox["name"], sandbox["livemode"]) == (source.org, "Sandbox Source Co sandbox", False)
    assert sandbox["accounts"][0]["copied_from"] == source.accounts["Sandbox Source Co"]  # the platform first
    assert sorted(a["copied_from"] for a in sandbox["accounts"]) == sorted(source.accounts.values())
    assert not {a["id"] for a in sandbox["accounts"]} & set(source.accounts.values())  # new ids
    assert {n: (source.copy(n)["type"], source.copy(n)["shares"]) for n in source.accounts} == {
        "Sandbox Source Co": ("platform", True), "Source Rides": ("connected", True),
        "Source Rentals": ("standard", True), "Source Repairs": ("standard", False),
    }  # fmt: skip
    assert all(a["secret_key"].startswith("sk_test_") and a["object"] == "account" for a in sandbox["accounts"])
    assert sandboxes_of(local_system, source.org) == [f"SANDBOX#{sandbox['id']}"]
    listed_sandboxes = call(local_system.client(key=source.live_key), "get", "/v1/organization/sandboxes").data
    assert [(x.id, x.name, x.accounts_count) for x in listed_sandboxes] == [(sandbox["id"], sandbox["name"], len(sandbox["accounts"]))]
    assert all(not hasattr(x, "accounts") for x in listed_sandboxes)  # no keys: they were shown once

    platform = local_system.client(key=source.copy("Sandbox Source Co")["secret_key"])
    listed = {a.id: a for a in platform.v1.accounts.list(params={"limit": 100}).data}
    assert sorted(listed) == sorted(a["id"] for a in sandbox["accounts"])
    rides = listed[source.copy("Source Rides")["id"]].to_dict()
    assert (rides["type"], rides["email"], rides["country"], rides["metadata"]) == (
        "connected",
        "ops@rides.example",
        "US",
        {"tier": "gold"},
    )
    assert rides["business_profile"] == {"name": "Source Rides", "url": "https://rides.example"}
    assert rides["pool"] == listed[source.copy("Source Rentals")["id"]]["pool"] != listed[source.copy("Source Repairs")["id"]]["pool"]

    view = call(platform, "get", "/v1/organization")
    assert (view.id, view.sandbox_of, view.name, view.livemode) == (sandbox["id"], source.org, "Sandbox Source Co sandbox", False)
    assert {a.id: a.shares for a in view.accounts} == {a["id"]: a["shares"] for a in sandbox["accounts"]}
    assert view.sharing.shared_pool == rides["pool"]


def test_the_sandbox_sees_none_of_the_live_organizations_data(local_system: LocalSystem, source: Source) -> None:
    for account in source.sandbox["accounts"]:
        client = local_system.client(key=account["secret_key"])
        assert client.v1.customers.list().data == []
        for customer in (source.live_customer, source.test_customer):
            with pytest.raises(stripe.InvalidRequestError) as missing:
                client.v1.customers.retrieve(customer)
            assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    platform = local_system.client(key=source.copy("Sandbox Source Co")["secret_key"])
    with pytest.raises(stripe.InvalidRequestError) as missing:
        platform.v1.accounts.retrieve(source.accounts["Source Rides"])
    assert missing.value.http_status == 404
    # Nor the reverse: the live organization's test key does not see the sandbox's customers.
    shared = local_system.client(key=source.copy("Source Rides")["secret_key"]).v1.customers.create(params={"name": "Sandy"})
    with pytest.raises(stripe.InvalidRequestError):
        local_system.client(key=source.test_key).v1.customers.retrieve(shared.id)


def test_the_sandbox_shares_as_the_live_organization_does(local_system: LocalSystem, source: Source) -> None:
    rides = local_system.client(key=source.copy("Source Rides")["secret_key"])
    jenny = rides.v1.customers.create(params={"name": "Jenny Sandbox", "email": "jenny@sandbox.example"})
    for name in ("Sandbox Source Co", "Source Rentals"):  # the standard account shares from the start
        assert local_system.client(key=source.copy(name)["secret_key"]).v1.customers.retrieve(jenny.id).email == "jenny@sandbox.example"
    with pytest.raises(stripe.InvalidRequestError) as isolated:
        local_system.client(key=source.copy("Source Repairs")["secret_key"]).v1.customers.retrieve(jenny.id)
    assert isolated.value.http_status == 404


def test_a_copied_account_pays_through_its_test_connector(local_system: LocalSystem, source: Source) -> None:
    rides = local_system.client(key=source.copy("Source Rides")["secret_key"])
    found = {p.name: p for p in call(rides, "get", "/v1/business_profiles").data}
    assert sorted(found) == ["Europe", "default"] and found["default"].is_default
    for profile in found.values():  # each live connector became one simulator connector
        connectors = call(rides, "get", f"/v1/business_profiles/{profile.id}/connectors").data
        assert [(c.connector_name, c.livemode, c.status) for c in connectors] == [("test", False, "enabled")]
        assert LIVE_STRIPE_KEY[-4:] not in json.dumps(connectors[0].to_dict())
    stored = [i for i in directory_items(local_system) if i["pk"]["S"] == f"ORG#{source.sandbox['id']}" and i["sk"]["S"].startswith("MCA#")]
    assert len(stored) == 2 and all((i["mode"]["S"], i["connector_name"]["S"], list(i["masked"]["M"])) == ("test", "test", ["api_key"])
                                    for i in stored)  # fmt: skip

    paying: Any = {"amount": 1500, "currency": "usd", "payment_method_data": {"type": "card", "card": CARD}, "confirm": True}
    intent = rides.v1.payment_intents.create(params=paying)
    assert intent.status == "succeeded" and intent.livemode is False and intent.amount_received == 1500
    # An account whose live profile had no connector gets none.
    repairs = local_system.client(key=source.copy("Source Repairs")["secret_key"])
    assert call(repairs, "get", f"/v1/business_profiles/{default_profile(repairs)}/connectors").data == []


def test_only_the_live_platform_key_of_a_live_organization_creates_a_sandbox(local_system: LocalSystem, source: Source) -> None:
    live = local_system.client(key=source.live_key)
    connected = call(live, "post", f"/v1/accounts/{source.accounts['Source Rides']}/api_keys").secret
    standard = call(live, "post", f"/v1/accounts/{source.accounts['Source Repairs']}/api_keys").secret
    sandbox_platform, sandbox_rides = source.copy("Sandbox Source Co")["secret_key"], source.copy("Source Rides")["secret_key"]
    cases: list[tuple[str, dict[str, str], int, str, str]] = [
        (source.test_key, {}, 400, "invalid_request_error", "livemode_required"),
        (connected, {}, 403, "permission_error", "platform_api_key_required"),
        (standard, {}, 403, "permission_error", "platform_api_key_required"),
        (source.live_key, {"Stripe-Account": source.accounts["Source Rides"]}, 403, "permission_error", "platform_api_key_required"),
        (sandbox_platform, {}, 400, "invalid_request_error", "organization_is_sandbox"),
        (sandbox_rides, {}, 403, "permission_error", "platform_api_key_required"),
    ]
    listed, count = sandboxes_of(local_system, source.org), organizations(local_system)
    for key, headers, status, kind, code in cases:
        got, answer = create_sandbox(local_system, key, headers, name="Refused")
        assert (got, answer["error"]["type"], answer["error"].get("code")) == (status, kind, code), answer
        assert answer["error"]["message"] and "param" not in answer["error"]
    assert sandboxes_of(local_system, source.org) == listed and organizations(local_system) == count  # nothing written
    assert sandboxes_of(local_system, source.sandbox["id"]) == []


def test_a_second_sandbox_is_another_organization_with_its_own_name(local_system: LocalSystem, source: Source) -> None:
    got, second = create_sandbox(local_system, source.live_key, name="Staging")
    assert got == 200 and second["name"] == "Staging" and second["id"] != source.sandbox["id"]
    assert {a["copied_from"] for a in second["accounts"]} == {a["copied_from"] for a in source.sandbox["accounts"]}
    assert not {a["id"] for a in second["accounts"]} & {a["id"] for a in source.sandbox["accounts"]}
    assert sandboxes_of(local_system, source.org) == sorted(f"SANDBOX#{s['id']}" for s in (source.sandbox, second))
    got, answer = create_sandbox(local_system, source.live_key, name="x" * 101)
    assert got == 400 and answer["error"]["param"] == "name"


def test_an_organization_too_big_to_copy_in_one_request_is_refused_with_nothing_written(local_system: LocalSystem) -> None:
    created = local_system.admin("create-org", "--name", "Too Big Co")
    keys, org = created["keys"], created["organization"]
    assert isinstance(keys, dict) and isinstance(org, str)
    # Account records planted directly (creating a hundred through the API only takes longer): with
    # the platform, one more than a sandbox takes.
    dynamodb, table = directory(local_system)
    for start in range(0, MAX_ACCOUNTS, 25):
        planted = [{"pk": f"ORG#{org}", "sk": f"ACCT#{a}", "id": a, "org": org, "kind": "connected", "pool": "pool_planted", "created": 1}
                   for a in (new_id("acct") for _ in range(start, min(start + 25, MAX_ACCOUNTS)))]  # fmt: skip
        dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": TypeSerializer().serialize(i)["M"]}} for i in planted]})
    count = organizations(local_system)
    got, answer = create_sandbox(local_system, keys["live"])
    assert (got, answer["error"]["type"], answer["error"]["code"]) == (400, "invalid_request_error", "organization_too_large")
    assert str(MAX_ACCOUNTS) in answer["error"]["message"]
    assert sandboxes_of(local_system, org) == [] and organizations(local_system) == count


def test_an_idempotent_replay_shows_the_keys_redacted_and_none_is_stored(local_system: LocalSystem, source: Source) -> None:
    first = create_sandbox(local_system, source.live_key, {"Idempotency-Key": "sandbox-replay-1"}, name="Replayed")[1]
    got, again = create_sandbox(local_system, source.live_key, {"Idempotency-Key": "sandbox-replay-1"}, name="Replayed")
    assert got == 200 and again["id"] == first["id"]
    assert all("****" in a["secret_key"] for a in again["accounts"])
    stored = json.dumps(local_system.table_items(), default=repr)
    assert not any(a["secret_key"] in stored for a in first["accounts"])
