"""Organization API keys through the stripe SDK on the local system: created by the platform, they
read the organization's view and act for any of its accounts named by Stripe-Context or
Stripe-Account; read-only (rk_) keys never write; keys are listed redacted, rolled and revoked;
and no account key reaches any organization route."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
import stripe

from localrun import template as tpl
from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration

ORG_KEYS = "/v1/organization/api_keys"


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    """An endpoint the SDK has no service for, through its raw_request."""
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def client(system: LocalSystem, key: str, **options: str) -> stripe.StripeClient:
    """A client as a user makes one for an organization key: stripe_context / stripe_account options."""
    return stripe.StripeClient(key, base_addresses={"api": system.url}, max_network_retries=0, **options)  # type: ignore[arg-type]


def new_org_key(system: LocalSystem, platform: stripe.StripeClient | None = None, **params: Any) -> Any:
    return call(platform or system.client(), "post", ORG_KEYS, **params)


def refused(system: LocalSystem, method: str, path: str, key: str, body: str = "", headers: dict[str, str] | None = None) -> Any:
    """The status and error of a raw request (what the SDK would not send, or to see the status)."""
    status, answer = system.http(method, path, key=key, body=body.encode() if body else None,
                                 headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})  # fmt: skip
    return status, answer.get("error", answer)


def code_of(error: stripe.StripeError) -> Any:
    body: Any = error.json_body or {}
    return body.get("error", {}).get("code")


def second_organization(system: LocalSystem) -> dict[str, Any]:
    """Another organization on the same system (the operator's create-org): its platform and keys."""
    return system.admin("create-org", "--name", f"Other Group {uuid.uuid4().hex[:6]}")


def test_an_organization_key_is_shown_once_listed_redacted_and_retrievable(local_system: LocalSystem) -> None:
    platform = local_system.client()
    created = new_org_key(local_system, name="ops")
    assert created.secret.startswith("sk_test_") and created.scope == "organization" and created.account is None
    assert created.read_only is False and created.livemode is False and created.name == "ops"
    restricted = new_org_key(local_system, name="reports", read_only="true")
    assert restricted.secret.startswith("rk_test_") and restricted.read_only is True

    listed = call(platform, "get", ORG_KEYS, limit=100)
    assert listed.object == "list" and listed.url == ORG_KEYS
    mine = next(k for k in listed.data if k.id == created.id)
    assert "secret" not in mine and mine.redacted.endswith(created.secret[-4:]) and mine.redacted.startswith("sk_test_")
    assert created.secret not in str(listed) and restricted.secret not in str(listed)
    # Newest first, as every Stripe list.
    ids = [k.id for k in listed.data]
    assert ids.index(restricted.id) < ids.index(created.id)
    fetched = call(platform, "get", f"{ORG_KEYS}/{created.id}")
    assert fetched.id == created.id and "secret" not in fetched and fetched.revoked is False
    # An organization key is not an account's: the account key lists do not show it.
    rides = local_system.accounts["Rocket Rides"].id
    assert created.id not in str(call(platform, "get", f"/v1/accounts/{rides}/api_keys", limit=100))
    # Stored only under a keyed hash: no table holds the secret.
    assert created.secret not in str(local_system.table_items())
    with pytest.raises(stripe.InvalidRequestError) as err:
        new_org_key(local_system, read_only="yes")
    assert err.value.param == "read_only"


def test_a_replayed_creation_or_roll_shows_no_secret(local_system: LocalSystem) -> None:
    platform_key = local_system.accounts["Rocket Platform"].key
    headers = {"Idempotency-Key": f"org-key-{uuid.uuid4()}"}
    first = refused(local_system, "POST", ORG_KEYS, platform_key, "name=once", headers)[1]
    again = refused(local_system, "POST", ORG_KEYS, platform_key, "name=once", headers)[1]
    assert first["secret"].startswith("sk_test_") and again["id"] == first["id"]
    assert first["secret"] not in str(again) and again["secret"].endswith(first["secret"][-4:])

    headers = {"Idempotency-Key": f"org-roll-{uuid.uuid4()}"}
    rolled = refused(local_system, "POST", f"{ORG_KEYS}/{first['id']}/rotate", platform_key, "", headers)[1]
    replay = refused(local_system, "POST", f"{ORG_KEYS}/{first['id']}/rotate", platform_key, "", headers)[1]
    assert rolled["secret"].startswith("sk_test_") and replay["id"] == rolled["id"] and rolled["secret"] not in str(replay)


def test_an_organization_key_reads_the_organization_and_its_events(local_system: LocalSystem) -> None:
    key = new_org_key(local_system).secret
    org = client(local_system, key)
    view = call(org, "get", "/v1/organization")
    assert view.object == "organization" and view.id == call(local_system.client(), "get", "/v1/organization").id
    assert call(org, "get", ORG_KEYS, limit=3).object == "list"
    # The organization's one-per-change copies, as the platform key lists them.
    customer = local_system.client("Rocket Rides").v1.customers.create(params={"name": "Org Events Olga"})

    def listed() -> list[Any]:
        return [e for e in org.v1.events.list(params={"limit": 100}).data if e.data.object.to_dict().get("id") == customer.id]

    eventually(lambda: len(listed()) == 1)
    event = listed()[0]
    assert event.type == "customer.created" and event.context == local_system.accounts["Rocket Rides"].id
    assert org.v1.events.retrieve(event.id).id == event.id


def test_an_organization_key_acts_for_the_account_it_names(local_system: LocalSystem) -> None:
    key = new_org_key(local_system).secret
    rides, rentals = local_system.accounts["Rocket Rides"], local_system.accounts["Rocket Rentals"]
    # Stripe-Context (stripe-python's stripe_context): a connected account, in the shared pool.
    shared = client(local_system, key, stripe_context=rides.id).v1.customers.create(params={"name": "Context Carla"})
    assert local_system.client("Rocket Rides").v1.customers.retrieve(shared.id).name == "Context Carla"
    assert local_system.client("Rocket Deliveries").v1.customers.retrieve(shared.id).name == "Context Carla"
    # Stripe-Account: a standard account, in its own pool only.
    own = client(local_system, key, stripe_account=rentals.id).v1.customers.create(params={"name": "Account Anna"})
    assert local_system.client("Rocket Rentals").v1.customers.retrieve(own.id).name == "Account Anna"
    with pytest.raises(stripe.InvalidRequestError):
        local_system.client("Rocket Rides").v1.customers.retrieve(own.id)
    # Per request, as the SDK's options.
    org = client(local_system, key)
    assert org.v1.customers.retrieve(own.id, options={"stripe_context": rentals.id}).id == own.id
    # The platform account, too (it is an account of the organization like any other).
    platform_id = local_system.accounts["Rocket Platform"].id
    assert org.v1.customers.retrieve(shared.id, options={"stripe_account": platform_id}).id == shared.id

    # Without naming an account, an account's route is refused: which account would it be?
    with pytest.raises(stripe.InvalidRequestError) as err:
        org.v1.customers.list()
    assert err.value.code == "stripe_context_required" and err.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError):
        org.v1.customers.create(params={"name": "Nobody's"})
    status, error = refused(local_system, "GET", "/v1/customers", key, headers={"Stripe-Account": rides.id, "Stripe-Context": rentals.id})
    assert status == 400 and error["code"] == "account_invalid"
    # Acting for an account, it is that account: no organization view.
    status, error = refused(local_system, "GET", "/v1/organization", key, headers={"Stripe-Context": rides.id})
    assert status == 403 and error["type"] == "permission_error"


def test_an_organization_key_stays_in_its_organization(local_system: LocalSystem) -> None:
    ours = new_org_key(local_system).secret
    other = second_organization(local_system)
    other_platform = other["platform"]["id"]
    with pytest.raises(stripe.PermissionError) as err:
        client(local_system, ours, stripe_context=other_platform).v1.customers.list()
    assert code_of(err.value) == "account_invalid"

    other_keys: dict[str, str] = other["keys"]
    theirs = new_org_key(local_system, client(local_system, other_keys["test"])).secret
    customer = local_system.client("Rocket Rides").v1.customers.create(params={"name": "Home Hannah", "email": "hannah@home.example"})
    eventually(lambda: any(e.data.object.to_dict().get("id") == customer.id for e in client(local_system, ours).v1.events.list().data))
    stranger = client(local_system, theirs)
    assert call(stranger, "get", "/v1/organization").id == other["organization"]
    assert customer.id not in str(stranger.v1.events.list(params={"limit": 100}))
    as_their_platform = client(local_system, theirs, stripe_context=other_platform)
    with pytest.raises(stripe.InvalidRequestError):
        as_their_platform.v1.customers.retrieve(customer.id)
    assert customer.id not in str(as_their_platform.v1.customers.list(params={"limit": 100}))
    # Nor names our accounts, nor our keys.
    with pytest.raises(stripe.PermissionError):
        client(local_system, theirs, stripe_context=local_system.accounts["Rocket Rides"].id).v1.customers.list()
    ours_id = call(local_system.client(), "get", ORG_KEYS, limit=1).data[0].id
    with pytest.raises(stripe.InvalidRequestError):
        call(stranger, "get", f"{ORG_KEYS}/{ours_id}")


def test_test_and_live_organization_keys_are_separate_worlds(local_system: LocalSystem) -> None:
    other = second_organization(local_system)
    keys: dict[str, str] = other["keys"]
    platform = other["platform"]["id"]
    live = new_org_key(local_system, client(local_system, keys["live"]), name="live")
    test = new_org_key(local_system, client(local_system, keys["test"]), name="test")
    assert live.secret.startswith("sk_live_") and live.livemode is True
    customer = client(local_system, live.secret, stripe_context=platform).v1.customers.create(params={"name": "Live Lena"})
    assert customer.livemode is True
    with pytest.raises(stripe.InvalidRequestError):
        client(local_system, test.secret, stripe_context=platform).v1.customers.retrieve(customer.id)
    # The test world lists and reads only its own keys.
    test_platform = client(local_system, keys["test"])
    assert live.id not in str(call(test_platform, "get", ORG_KEYS, limit=100))
    with pytest.raises(stripe.InvalidRequestError):
        call(test_platform, "get", f"{ORG_KEYS}/{live.id}")
    with pytest.raises(stripe.InvalidRequestError):
        call(test_platform, "delete", f"{ORG_KEYS}/{live.id}")
    assert call(client(local_system, live.secret), "get", "/v1/organization").livemode is True


def _paid(system: LocalSystem) -> Any:
    rides = system.client("Rocket Rides")
    return rides.v1.payment_intents.create(params={"amount": 2500, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True})


def test_a_read_only_key_reads_and_never_writes(local_system: LocalSystem) -> None:
    key = new_org_key(local_system, read_only="true").secret
    rides = local_system.accounts["Rocket Rides"].id
    intent = _paid(local_system)
    assert intent.status == "succeeded"
    reader = client(local_system, key, stripe_context=rides)
    assert call(client(local_system, key), "get", "/v1/organization").object == "organization"
    assert reader.v1.payment_intents.retrieve(intent.id).id == intent.id
    assert isinstance(reader.v1.customers.list().data, list)

    with pytest.raises(stripe.PermissionError) as err:
        reader.v1.refunds.create(params={"payment_intent": intent.id})
    assert err.value.http_status == 403 and code_of(err.value) == "read_only_key"
    assert "does not have the required permissions" in str(err.value.user_message) and key not in str(err.value.user_message)
    assert "rk_test_" in str(err.value.user_message)
    assert local_system.client("Rocket Rides").v1.refunds.list(params={"payment_intent": intent.id}).data == []
    assert local_system.client("Rocket Rides").v1.payment_intents.retrieve(intent.id).status == "succeeded"
    with pytest.raises(stripe.PermissionError):
        reader.v1.customers.create(params={"name": "Written Wanda"})
    with pytest.raises(stripe.PermissionError):
        call(client(local_system, key), "post", ORG_KEYS, name="escalate")
    # Every method that is not a read, on any route, whatever the body: refused before it is read.
    for method, path in (("DELETE", "/v1/customers/cus_0Vbk0000000000000000000A"), ("POST", "/v1/organization/sharing_enablements"),
                         ("DELETE", f"{ORG_KEYS}/key_unknown"), ("POST", "/v1/webhook_endpoints")):  # fmt: skip
        status, error = refused(local_system, method, path, key, "nonsense[=1", {"Stripe-Context": rides})
        assert (status, error["type"]) == (403, "permission_error"), (method, path, error)
    assert "Written Wanda" not in str(local_system.client("Rocket Rides").v1.customers.list(params={"limit": 100}))


def test_only_the_platform_key_manages_organization_keys(local_system: LocalSystem) -> None:
    full = new_org_key(local_system)
    victim = new_org_key(local_system)
    org = client(local_system, full.secret)
    for method, path in (("post", ORG_KEYS), ("post", f"{ORG_KEYS}/{victim.id}/rotate"), ("delete", f"{ORG_KEYS}/{victim.id}")):
        with pytest.raises(stripe.PermissionError):
            call(org, method, path)
    # Nor account keys, acting for the platform account.
    platform_id = local_system.accounts["Rocket Platform"].id
    with pytest.raises(stripe.PermissionError):
        call(client(local_system, full.secret, stripe_context=platform_id), "post", f"/v1/accounts/{platform_id}/api_keys")
    with pytest.raises(stripe.PermissionError):
        call(local_system.client("Rocket Rides"), "get", ORG_KEYS)
    assert call(local_system.client(), "get", f"{ORG_KEYS}/{victim.id}").revoked is False


def test_a_revoked_or_expired_key_is_refused(local_system: LocalSystem) -> None:
    platform = local_system.client()
    with pytest.raises(stripe.InvalidRequestError) as err:
        new_org_key(local_system, expires_at=int(time.time()) - 10)
    assert err.value.param == "expires_at"
    # Revoked before its first use: refused at once (a used key's cached authorizer answer lives
    # AuthorizerCacheSeconds; see test_accounts_and_keys).
    unused = new_org_key(local_system)
    assert call(platform, "delete", f"{ORG_KEYS}/{unused.id}").deleted is True
    with pytest.raises(stripe.AuthenticationError):
        call(client(local_system, unused.secret), "get", "/v1/organization")
    assert call(platform, "get", f"{ORG_KEYS}/{unused.id}").revoked is True
    with pytest.raises(stripe.InvalidRequestError):
        call(platform, "delete", f"{ORG_KEYS}/{unused.id}")
    with pytest.raises(stripe.InvalidRequestError):
        call(platform, "post", f"{ORG_KEYS}/{unused.id}/rotate")
    # Expiring while in use: refused once it has expired, cached answer or not.
    brief = new_org_key(local_system, expires_at=int(time.time()) + 3)
    assert call(client(local_system, brief.secret), "get", "/v1/organization").object == "organization"

    def expired() -> bool:
        status, error = refused(local_system, "GET", "/v1/organization", brief.secret)
        return bool(status == 401 and error["code"] == "api_key_expired")

    eventually(expired, timeout=15)


def test_rolling_an_organization_key(local_system: LocalSystem) -> None:
    platform = local_system.client()
    # Not used before it is rolled: the authorizer's answer (cached for AuthorizerCacheSeconds) is
    # read after the roll, and carries the old key's new expiry.
    old = new_org_key(local_system, name="rolling", read_only="true")
    rolled = call(platform, "post", f"{ORG_KEYS}/{old.id}/rotate", expires_at=int(time.time()) + 3)
    assert rolled.id != old.id and rolled.rotated_from == old.id and rolled.secret != old.secret
    assert rolled.secret.startswith("rk_test_") and rolled.read_only is True and rolled.name == "rolling"
    assert call(client(local_system, rolled.secret), "get", "/v1/organization").object == "organization"
    # The old key keeps working until the expiry given for it, then is refused.
    assert call(client(local_system, old.secret), "get", "/v1/organization").object == "organization"
    assert call(platform, "get", f"{ORG_KEYS}/{old.id}").expires_at is not None
    with pytest.raises(stripe.InvalidRequestError) as err:
        call(platform, "post", f"{ORG_KEYS}/{old.id}/rotate")
    assert err.value.code == "api_key_rotated"
    eventually(lambda: refused(local_system, "GET", "/v1/organization", old.secret)[0] == 401, timeout=15)
    # At most a week of overlap.
    with pytest.raises(stripe.InvalidRequestError) as err:
        call(platform, "post", f"{ORG_KEYS}/{rolled.id}/rotate", expires_at=int(time.time()) + 8 * 86400)
    assert err.value.param == "expires_at"

    # By default the old key stops at once (this one was never used: no cached answer keeps it).
    quiet = new_org_key(local_system)
    fresh = call(platform, "post", f"{ORG_KEYS}/{quiet.id}/rotate")
    with pytest.raises(stripe.AuthenticationError):
        call(client(local_system, quiet.secret), "get", "/v1/organization")
    assert call(client(local_system, fresh.secret), "get", "/v1/organization").object == "organization"
    assert call(platform, "get", f"{ORG_KEYS}/{quiet.id}").revoked is True


def test_rolling_an_account_key(local_system: LocalSystem) -> None:
    platform = local_system.client()
    account = local_system.accounts["Rocket Deliveries"].id
    keys = f"/v1/accounts/{account}/api_keys"
    old = call(platform, "post", keys, name="to roll")
    fresh = call(platform, "post", f"{keys}/{old.id}/rotate")
    assert fresh.secret.startswith("sk_test_") and fresh.account == account and fresh.rotated_from == old.id
    with pytest.raises(stripe.AuthenticationError):
        client(local_system, old.secret).v1.customers.list()
    assert isinstance(client(local_system, fresh.secret).v1.customers.list().data, list)
    listed = {k.id: k for k in call(platform, "get", keys, limit=100).data}
    assert listed[old.id].revoked is True and listed[fresh.id].revoked is False and fresh.secret not in str(listed)
    with pytest.raises(stripe.PermissionError):
        call(local_system.client("Rocket Deliveries"), "post", f"{keys}/{fresh.id}/rotate")
    # Another account's key is not this account's to roll.
    with pytest.raises(stripe.InvalidRequestError):
        call(platform, "post", f"/v1/accounts/{local_system.accounts['Rocket Rides'].id}/api_keys/{fresh.id}/rotate")


def organization_routes() -> list[tuple[str, str]]:
    """Every /v1/organization route of the template, whichever function serves it."""
    template = tpl.load()
    return sorted(
        (ev["Properties"]["Method"].upper(), ev["Properties"]["Path"])
        for res in tpl.resources(template, "AWS::Serverless::Function").values()
        for ev in res["Properties"].get("Events", {}).values()
        if ev["Type"] == "Api" and str(ev["Properties"]["Path"]).startswith("/v1/organization")
    )


def test_the_template_has_organization_routes_to_check() -> None:
    routes = organization_routes()
    assert ("GET", "/v1/organization") in routes and ("POST", ORG_KEYS) in routes and len(routes) >= 10


@pytest.mark.parametrize(("method", "resource"), organization_routes())
def test_no_account_key_reaches_an_organization_route(local_system: LocalSystem, method: str, resource: str) -> None:
    # Unknown ids and no parameters: the 403 must come before any 404 or 400.
    path = re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}_0Vbk0000000000000000000A", resource)
    rides = local_system.accounts["Rocket Rides"].id
    callers = {
        "connected key": (local_system.accounts["Rocket Rides"].key, {}),
        "standard key": (local_system.accounts["Rocket Rentals"].key, {}),
        "platform key via Stripe-Account": (local_system.accounts["Rocket Platform"].key, {"Stripe-Account": rides}),
        "platform key via Stripe-Context": (local_system.accounts["Rocket Platform"].key, {"Stripe-Context": rides}),
    }
    for who, (key, headers) in callers.items():
        headers = {**headers, **({"Idempotency-Key": str(uuid.uuid4())} if method != "GET" else {})}
        status, error = refused(local_system, method, path, key, "", headers)
        assert (status, error.get("type")) == (403, "permission_error"), (who, method, path, error)
