"""Sharing enablements through the API and the stripe SDK on the local system: consent, the
irreversible switch, the background migration, and the accounts staying usable while it runs."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from tests.conftest import FAST_WEBHOOKS, LocalSystem, eventually, launch, stop

pytestmark = pytest.mark.integration

ENABLEMENTS = "/v1/organization/sharing_enablements"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    # Caches of a second: the accounts switch a couple of seconds after an enablement. Small
    # batches: a migration takes many steps, so traffic really overlaps it.
    proc, local = launch(tmp_path_factory.mktemp("sharing"), "--cache-seconds", "1", *FAST_WEBHOOKS, env={"MIGRATION_BATCH_SIZE": "4"})
    yield local
    stop(proc)


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def enable(system: LocalSystem, *accounts: str, **extra: Any) -> Any:
    params = {f"accounts[{n}]": system.accounts[a].id for n, a in enumerate(accounts)}
    return call(system.client(), "post", ENABLEMENTS, consent_collected="true", **params, **extra)


def finished(system: LocalSystem, enablement: str, timeout: float = 120.0, client: stripe.StripeClient | None = None) -> Any:
    platform = client or system.client()
    eventually(lambda: call(platform, "get", f"{ENABLEMENTS}/{enablement}").status in ("succeeded", "failed"), timeout)
    return call(platform, "get", f"{ENABLEMENTS}/{enablement}")


def metadata(customer: stripe.Customer) -> dict[str, str]:
    return dict(customer.metadata.to_dict()) if customer.metadata else {}


def error_of(system: LocalSystem, method: str, path: str, key: str, body: str = "", headers: dict[str, str] | None = None) -> Any:
    status, answer = system.http(method, path, key=key, body=body.encode() if body else None,
                                 headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})  # fmt: skip
    return status, answer.get("error", answer)


def test_the_organization_lists_its_accounts_and_which_share(system: LocalSystem) -> None:
    org = call(system.client(), "get", "/v1/organization")
    assert org.object == "organization" and org.livemode is False
    kinds = {a.name: (a.type, a.shares) for a in org.accounts}
    assert kinds["Rocket Platform"] == ("platform", True) and kinds["Rocket Rides"] == ("connected", True)
    assert kinds["Rocket Repairs"] == ("standard", False)
    assert "metadata" in org.sharing.per_account_fields and org.sharing.shared_payment_method_types == ["card"]
    status, error = error_of(system, "GET", "/v1/organization", system.accounts["Rocket Rides"].key)
    assert status == 403 and error["type"] == "permission_error"


BAD = [
    ("consent missing", lambda s: f"accounts[0]={s.accounts['Rocket Repairs'].id}", None, 400, "consent_required", "consent_collected"),
    ("consent false", lambda s: f"accounts[0]={s.accounts['Rocket Repairs'].id}&consent_collected=false", None, 400, "consent_required",
     "consent_collected"),
    ("consent yes", lambda s: f"accounts[0]={s.accounts['Rocket Repairs'].id}&consent_collected=yes", None, 400, "parameter_invalid",
     "consent_collected"),
    ("consent 1", lambda s: f"accounts[0]={s.accounts['Rocket Repairs'].id}&consent_collected=1", None, 400, "parameter_invalid",
     "consent_collected"),
    ("no accounts", lambda s: "consent_collected=true", None, 400, "parameter_missing", "accounts"),
    ("an empty accounts", lambda s: "accounts=&consent_collected=true", None, 400, "parameter_missing", "accounts"),
    ("21 accounts", lambda s: "&".join(f"accounts[{n}]=acct_{n}" for n in range(21)) + "&consent_collected=true", None, 400,
     "parameter_invalid", "accounts"),
    ("the platform", lambda s: f"accounts[0]={s.accounts['Rocket Platform'].id}&consent_collected=true", None, 400,
     "account_already_shares", "accounts[0]"),
    ("a connected account", lambda s: f"accounts[0]={s.accounts['Rocket Rides'].id}&consent_collected=true", None, 400,
     "account_already_shares", "accounts[0]"),
    ("another organization's", lambda s: "accounts[0]=acct_0VcaaaaaaaaaaaaaaaaaaaaA&consent_collected=true", None, 400, "resource_missing",
     "accounts[0]"),
    ("twice in one list", lambda s: f"accounts[0]={s.accounts['Rocket Repairs'].id}&accounts[1]={s.accounts['Rocket Repairs'].id}"
     "&consent_collected=true", None, 400, "parameter_invalid", "accounts"),
    ("a non-platform key", lambda s: f"accounts[0]={s.accounts['Rocket Repairs'].id}&consent_collected=true", "Rocket Repairs", 403,
     "platform_api_key_required", None),
    ("Stripe-Account", lambda s: f"accounts[0]={s.accounts['Rocket Repairs'].id}&consent_collected=true", "act-as", 403,
     "platform_api_key_required", None),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "who", "status", "code", "param"), BAD, ids=[b[0] for b in BAD])
def test_bad_enablements_are_refused_and_write_nothing(system: LocalSystem, case: str, body: Any, who: str | None, status: int,
                                                       code: str, param: str | None) -> None:  # fmt: skip
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    key = system.accounts["Rocket Platform"].key
    if who == "act-as":
        headers["Stripe-Account"] = system.accounts["Rocket Repairs"].id
    elif who:
        key = system.accounts[who].key
    got, error = error_of(system, "POST", ENABLEMENTS, key, body(system), headers)
    assert (got, error["code"], error.get("param")) == (status, code, param), case
    assert error["type"] in ("invalid_request_error", "permission_error") and error["message"]
    if code == "consent_required":
        assert "consent" in error["message"] and "cannot be turned off" in error["message"]
    repairs = next(a for a in call(system.client(), "get", "/v1/organization").accounts if a.name == "Rocket Repairs")
    assert repairs.shares is False


def _rentals_customers(system: LocalSystem, count: int) -> list[Any]:
    rentals = system.client("Rocket Rentals")
    made = []
    for n in range(count):
        cus = rentals.v1.customers.create(params={"email": f"renter{n}@example.com", "name": f"Renter {n}", "metadata": {"n": str(n)}})
        rentals.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
        made.append(cus)
    return made


def test_enabling_sharing_brings_rentals_customers_to_the_pool_for_good(system: LocalSystem) -> None:
    made = _rentals_customers(system, 10)
    rides, rentals = system.client("Rocket Rides"), system.client("Rocket Rentals")
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.customers.retrieve(made[0].id)  # isolated until sharing is on
    # A payment before: it stays Rentals', and the card's audit trail keeps it.
    _add_test_connector(rentals)
    card = rentals.v1.customers.payment_methods.list(made[0].id).data[0]
    before = rentals.v1.payment_intents.create(params={"amount": 4200, "currency": "usd", "customer": made[0].id,
                                                       "payment_method": card.id, "confirm": True})  # fmt: skip
    enablement = enable(system, "Rocket Rentals")
    assert enablement.status == "pending" and enablement.consent.collected is True and enablement.consent.wording
    assert enablement.consent.api_key and enablement.consent.collected_at

    done = finished(system, enablement.id)
    assert done.status == "succeeded" and done.progress.customers_moved == 10 and done.progress.cards_moved == 10
    for cus in made:
        seen = rides.v1.customers.retrieve(cus.id)
        assert seen.email == cus.email and metadata(seen) == {}  # metadata stays with Rentals
        assert metadata(rentals.v1.customers.retrieve(cus.id)) == metadata(cus)
        cards = rides.v1.customers.payment_methods.list(cus.id)
        assert len(cards.data) == 1 and cards.data[0].customer == cus.id
    assert [pi.id for pi in rentals.v1.payment_intents.list().data] == [before.id]  # still Rentals' own
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.payment_intents.retrieve(before.id)  # sharing covers customers and cards, not payments
    usage = call(system.client(), "get", f"/v1/payment_methods/{card.id}/usage").data
    assert [(u.id, u.account) for u in usage if u.object != "payment_method_consent"] == [(before.latest_charge, rentals_id(system))]
    assert rides.v1.customers.payment_methods.list(made[0].id).data[0].id == card.id  # the same card, now the pool's
    # Irreversible: enabling again, or deleting the enablement, is refused.
    status, error = error_of(system, "POST", ENABLEMENTS, system.accounts["Rocket Platform"].key,
                             f"accounts[0]={system.accounts['Rocket Rentals'].id}&consent_collected=true")  # fmt: skip
    assert status == 400 and error["code"] == "account_already_shares" and "cannot be turned off" in error["message"]
    status, error = error_of(system, "DELETE", f"{ENABLEMENTS}/{enablement.id}", system.accounts["Rocket Platform"].key)
    assert status == 400 and error["code"] == "sharing_irreversible"
    org = call(system.client(), "get", "/v1/organization")
    assert [a.shares for a in org.accounts if a.name == "Rocket Rentals"] == [True]
    account = call(system.client(), "get", f"/v1/accounts/{rentals_id(system)}")
    assert (account.type, account.shared_pool, account.pool) == ("standard", True, org.sharing.shared_pool)
    assert org.sharing_enablements.data[0].id == enablement.id
    # The pool heard of them: progress events to Rides, each naming a batch of customers.
    events = rides.v1.events.list(params={"type": "sharing_enablement.progress", "limit": 100}).data
    batched = {c for e in events for c in e.data.object.latest_batch.customers}
    assert batched == {c.id for c in made}
    assert all(len(e.data.object.latest_batch.customers) <= 4 for e in events)


def test_the_same_request_replays_the_same_enablement(system: LocalSystem) -> None:
    key = str(uuid.uuid4())
    body = f"accounts[0]={system.accounts['Rocket Repairs'].id}&consent_collected=true"
    platform = system.accounts["Rocket Platform"].key
    first = system.http("POST", ENABLEMENTS, key=platform, body=body.encode(),
                        headers={"Idempotency-Key": key, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    again = system.http("POST", ENABLEMENTS, key=platform, body=body.encode(),
                        headers={"Idempotency-Key": key, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert first[0] == again[0] == 200 and first[1]["id"] == again[1]["id"]
    assert finished(system, first[1]["id"]).status == "succeeded"


def test_rentals_stays_usable_while_its_customers_move(tmp_path: Path) -> None:
    """Rentals writes, pays and reads, and Rides reads, while the migration runs; afterwards every
    customer is in the pool once, with every write applied once."""
    proc, local = launch(tmp_path / "busy", "--cache-seconds", "1", env={"MIGRATION_BATCH_SIZE": "3"})
    try:
        _busy(local)
    finally:
        stop(proc)


def rentals_id(system: LocalSystem) -> str:
    return system.accounts["Rocket Rentals"].id


def _add_test_connector(client: stripe.StripeClient) -> None:
    profile = next(p for p in call(client, "get", "/v1/business_profiles").data if p.is_default).id
    call(client, "post", f"/v1/business_profiles/{profile}/connectors", connector_name="test", **{"credentials[api_key]": "sim_rentals"})


def _busy(system: LocalSystem) -> None:
    made = _rentals_customers(system, 24)
    rentals, rides = system.client("Rocket Rentals"), system.client("Rocket Rides")
    _add_test_connector(rentals)
    enablement = enable(system, "Rocket Rentals")
    stop_traffic = threading.Event()
    errors: list[Exception] = []
    created: list[str] = []
    paid: list[str] = []
    updates: dict[str, int] = {}
    seen_during: set[str] = set()  # the enablement's status at each round of Rentals' traffic

    def rentals_traffic() -> None:
        n = 0
        while not stop_traffic.is_set():
            try:
                target = made[n % len(made)]
                rentals.v1.customers.update(target.id, params={"metadata": {"writes": str(n)}})
                updates[target.id] = n
                created.append(rentals.v1.customers.create(params={"email": f"new{n}@example.com"}).id)
                cards = rentals.v1.customers.payment_methods.list(target.id).data
                intent = rentals.v1.payment_intents.create(params={
                    "amount": 500 + n, "currency": "usd", "customer": target.id, "payment_method": cards[0].id, "confirm": True,
                    "off_session": True,
                }, options={"idempotency_key": f"pay-{n}"})  # fmt: skip
                paid.append(intent.id)
                seen_during.add(call(system.client(), "get", f"{ENABLEMENTS}/{enablement.id}").status)
                n += 1
            except Exception as exc:
                errors.append(exc)
                return

    def rides_traffic() -> None:
        while not stop_traffic.is_set():
            try:
                rides.v1.customers.list(params={"limit": 100})
            except Exception as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=rentals_traffic, daemon=True), threading.Thread(target=rides_traffic, daemon=True)]
    for thread in threads:
        thread.start()
    done = finished(system, enablement.id, timeout=240)
    stop_traffic.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert done.status == "succeeded" and done.progress.customers_moved >= len(made)
    assert len(paid) > 0 and len(created) > 0
    assert "in_progress" in seen_during  # the traffic really overlapped the moving
    everyone = [c.id for c in rides.v1.customers.list(params={"limit": 100}).auto_paging_iter()]
    assert len(everyone) == len(set(everyone))  # nobody twice
    assert set(everyone) >= {c.id for c in made} | set(created)  # nobody lost, the new ones included
    for cus, n in updates.items():
        assert metadata(rentals.v1.customers.retrieve(cus))["writes"] == str(n)  # the last write won, none lost
    for intent in paid:
        got = rentals.v1.payment_intents.retrieve(intent)
        assert got.status == "succeeded"  # each payment once, Rentals' own
    listed = [pi.id for pi in rentals.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()]
    assert sorted(listed) == sorted(set(paid))


def test_a_live_key_cannot_enable_a_sandbox_s_test_accounts(system: LocalSystem) -> None:
    made = system.admin("create-org", "--name", "Live Co")
    live = stripe.StripeClient(str(made["keys"]["live"]), base_addresses={"api": system.url}, max_network_retries=0)  # type: ignore[index]
    call(live, "post", "/v1/accounts", type="standard", **{"business_profile[name]": "Live Rentals"})
    sandbox = call(live, "post", "/v1/organization/sandboxes")
    copy = next(a for a in sandbox.accounts if a.type == "standard")
    status, error = error_of(system, "POST", ENABLEMENTS, str(made["keys"]["live"]), f"accounts[0]={copy.id}&consent_collected=true")  # type: ignore[index]
    assert (status, error["code"], error["param"]) == (400, "resource_missing", "accounts[0]")
    # The sandbox's own (test) platform key can: sandboxes are where to try it first.
    platform = next(a for a in sandbox.accounts if a.type == "platform")
    as_sandbox = stripe.StripeClient(platform.secret_key, base_addresses={"api": system.url}, max_network_retries=0)
    tried = call(as_sandbox, "post", ENABLEMENTS, consent_collected="true", **{"accounts[0]": copy.id})
    assert finished(system, tried.id, timeout=60, client=as_sandbox).status == "succeeded"
