"""The seed scenario and the customer API through the real stripe SDK on the local system."""

from __future__ import annotations

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

SHARED = ("name", "email", "phone", "address", "description", "preferred_locales", "tax_exempt", "invoice_prefix")


def test_seed_scenario_shared_customer_is_one_customer_across_the_pool(local_system: LocalSystem) -> None:
    rides, deliveries, platform = (local_system.client(n) for n in ("Rocket Rides", "Rocket Deliveries", "Rocket Platform"))
    jenny = rides.v1.customers.create(
        params={
            "name": "Jenny Rosen",
            "email": "jenny@example.com",
            "address": {"city": "Berlin", "country": "DE"},
            "metadata": {"ride": "42"},
        }
    )
    assert jenny.id.startswith("cus_") and jenny.to_dict()["metadata"] == {"ride": "42"}

    seen_by_deliveries = deliveries.v1.customers.retrieve(jenny.id)
    seen_by_platform = platform.v1.customers.retrieve(jenny.id)
    for other in (seen_by_deliveries, seen_by_platform):
        assert other.id == jenny.id
        assert {f: other.to_dict()[f] for f in SHARED} == {f: jenny.to_dict()[f] for f in SHARED}
        assert other.to_dict()["metadata"] == {}  # metadata is per account

    # The platform acting as Rocket Rides sees Rides' own metadata.
    as_rides = platform.v1.customers.retrieve(jenny.id, options={"stripe_account": local_system.accounts["Rocket Rides"].id})
    assert as_rides.to_dict()["metadata"] == {"ride": "42"}


def test_standard_accounts_are_isolated_both_ways(local_system: LocalSystem) -> None:
    rides, rentals, repairs = (local_system.client(n) for n in ("Rocket Rides", "Rocket Rentals", "Rocket Repairs"))
    shared = rides.v1.customers.create(params={"name": "Shared Sam"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        rentals.v1.customers.retrieve(shared.id)
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"

    own = rentals.v1.customers.create(params={"name": "Rental Rita"})
    assert rentals.v1.customers.retrieve(own.id).name == "Rental Rita"
    for outsider in (rides, repairs, local_system.client("Rocket Platform"), local_system.client("Rocket Deliveries")):
        with pytest.raises(stripe.InvalidRequestError) as err:
            outsider.v1.customers.retrieve(own.id)
        assert err.value.http_status == 404
    assert own.id not in [c.id for c in rides.v1.customers.list(params={"limit": 100}).data]


def test_another_organization_and_live_mode_see_nothing(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    ours = rides.v1.customers.create(params={"name": "Org One Olga"})

    other = local_system.admin("create-org", "--name", "Other Corp")
    keys = other["keys"]
    assert isinstance(keys, dict)
    other_test = local_system.client(key=keys["test"])
    with pytest.raises(stripe.InvalidRequestError) as err:
        other_test.v1.customers.retrieve(ours.id)
    assert err.value.http_status == 404
    assert other_test.v1.customers.list().data == []

    # Test and live are separate worlds, even for the same platform.
    other_live = local_system.client(key=keys["live"])
    live_customer = other_live.v1.customers.create(params={"name": "Live Larry"})
    assert live_customer.livemode is True
    with pytest.raises(stripe.InvalidRequestError):
        other_test.v1.customers.retrieve(live_customer.id)
    test_customer = other_test.v1.customers.create(params={"name": "Test Tina"})
    assert test_customer.livemode is False
    with pytest.raises(stripe.InvalidRequestError):
        other_live.v1.customers.retrieve(test_customer.id)


def test_update_shared_fields_reach_the_pool_and_per_account_fields_do_not(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    cus = rides.v1.customers.create(params={"name": "Upd Ursula", "phone": "+4930123", "metadata": {"a": "1", "b": "2"}})

    deliveries.v1.customers.update(
        cus.id, params={"email": "ursula@example.com", "metadata": {"d": "x"}, "shipping": {"name": "U", "address": {"city": "Paris"}}}
    )
    after = rides.v1.customers.retrieve(cus.id)
    assert after.email == "ursula@example.com"
    assert after.to_dict()["metadata"] == {"a": "1", "b": "2"} and after.shipping is None
    assert deliveries.v1.customers.retrieve(cus.id).to_dict()["metadata"] == {"d": "x"}

    # Empty strings unset: one metadata key, and a whole field.
    updated = rides.v1.customers.update(cus.id, params={"metadata": {"a": ""}, "phone": ""})
    assert updated.to_dict()["metadata"] == {"b": "2"} and updated.phone is None
    assert deliveries.v1.customers.retrieve(cus.id).phone is None


def test_list_is_newest_first_with_cursors_and_email_filter(local_system: LocalSystem) -> None:
    platform = local_system.client("Rocket Platform")
    solo = platform.v1.accounts.create(params={"type": "standard"})  # a new pool: the list is this test's alone
    key = platform.deserialize(platform.raw_request("post", f"/v1/accounts/{solo.id}/api_keys"), api_mode="V1")["secret"]
    repairs = local_system.client(key=key)
    made = [
        repairs.v1.customers.create(params={"name": f"List {i}", "email": "twins@example.com" if i % 2 else f"l{i}@example.com"})
        for i in range(5)
    ]
    ids = [c.id for c in reversed(made)]  # newest first

    first = repairs.v1.customers.list(params={"limit": 2})
    assert [c.id for c in first.data] == ids[:2] and first.has_more is True and first.url == "/v1/customers"
    second = repairs.v1.customers.list(params={"limit": 2, "starting_after": ids[1]})
    assert [c.id for c in second.data] == ids[2:4] and second.has_more is True
    last = repairs.v1.customers.list(params={"limit": 2, "starting_after": ids[3]})
    assert [c.id for c in last.data] == ids[4:] and last.has_more is False
    back = repairs.v1.customers.list(params={"limit": 2, "ending_before": ids[3]})
    assert [c.id for c in back.data] == ids[1:3] and back.has_more is True
    twins = repairs.v1.customers.list(params={"email": "twins@example.com"})
    assert [c.id for c in twins.data] == [made[3].id, made[1].id]


def test_delete_then_retrieve_list_and_delete_again(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    cus = rides.v1.customers.create(params={"name": "Del Dora", "metadata": {"k": "v"}})
    gone = deliveries.v1.customers.delete(cus.id)
    assert gone.id == cus.id and gone.deleted is True
    assert rides.v1.customers.retrieve(cus.id).deleted is True
    assert cus.id not in [c.id for c in rides.v1.customers.list(params={"limit": 100}).data]
    with pytest.raises(stripe.InvalidRequestError) as err:
        rides.v1.customers.delete(cus.id)
    assert err.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.customers.update(cus.id, params={"name": "Back"})


def test_idempotency_key_replays_and_refuses_other_parameters(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    first = rides.v1.customers.create(params={"name": "Idem Ida"}, options={"idempotency_key": "idem-1"})
    again = rides.v1.customers.create(params={"name": "Idem Ida"}, options={"idempotency_key": "idem-1"})
    assert again.id == first.id
    assert again.last_response is not None and again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        rides.v1.customers.create(params={"name": "Someone else"}, options={"idempotency_key": "idem-1"})
    with pytest.raises(stripe.IdempotencyError):  # same key, another endpoint
        rides.v1.customers.update(first.id, params={"name": "Idem Ida"}, options={"idempotency_key": "idem-1"})

    # A request that fails validation is not stored: the key stays usable.
    with pytest.raises(stripe.InvalidRequestError):
        rides.v1.customers.create(params={"email": "not-an-email"}, options={"idempotency_key": "idem-2"})
    ok = rides.v1.customers.create(params={"email": "ok@example.com"}, options={"idempotency_key": "idem-2"})
    assert ok.email == "ok@example.com"


def test_request_id_header_is_returned(local_system: LocalSystem) -> None:
    cus = local_system.client("Rocket Rides").v1.customers.create(params={"name": "Req Rex"})
    assert cus.last_response is not None and str(cus.last_response.request_id).startswith("req_")
