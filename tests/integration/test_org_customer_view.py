"""The organization's view through the stripe SDK on the local system: one customer across the
organization (each account's own view, payments grouped by account, totals net of refunds, the
shared card with who saved it and where it was used), kept current from the event stream; and the
lists of customers, payment intents and refunds across accounts. Isolated by mode and organization."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe

from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.integration

VIEW = "/v1/organization/customers"


def get(client: stripe.StripeClient, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request("get", path, **params), api_mode="V1").to_dict()


def missing(client: stripe.StripeClient, path: str, **params: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.raw_request("get", path, **params)
    assert err.value.http_status == 404
    return err.value


@dataclass(frozen=True)
class Story:
    platform: stripe.StripeClient
    ids: dict[str, str]  # account name -> id
    jenny: str
    card: str
    rides_payment: str
    delivery_payments: list[str]
    refund: str
    rita: str  # a customer of the standard account Rocket Rentals (its own pool)
    tag: str  # what makes this run's names and emails unique
    started: int


@pytest.fixture(scope="module")
def story(local_system: LocalSystem) -> Story:
    """Jenny, created by Rides (metadata ride=42); Deliveries keeps its own metadata on her; Rides
    saves her card; Rides pays 25.00 EUR, Deliveries 10.00 EUR and 7.00 USD with the same card;
    Rides refunds 5.00. Rita is a customer of Rentals (a standard account, its own pool)."""
    started = int(time.time()) - 1
    tag = secrets.token_hex(4)
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    jenny = rides.v1.customers.create(params={"name": f"Jenny Rosen{tag}", "email": f"jenny.{tag}@example.com", "metadata": {"ride": "42"}})
    deliveries.v1.customers.update(jenny.id, params={"metadata": {"tier": "gold"}})
    card = rides.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    rides.v1.payment_methods.attach(card.id, params={"customer": jenny.id})

    def pay(client: stripe.StripeClient, amount: int, currency: str) -> str:
        paid = client.v1.payment_intents.create(
            params={"amount": amount, "currency": currency, "customer": jenny.id, "payment_method": card.id, "confirm": True}
        )
        assert paid.status == "succeeded"
        return paid.id

    ride = pay(rides, 2500, "eur")
    delivered = [pay(deliveries, 1000, "eur"), pay(deliveries, 700, "usd")]
    refund = rides.v1.refunds.create(params={"payment_intent": ride, "amount": 500})
    rita = local_system.client("Rocket Rentals").v1.customers.create(
        params={"name": f"Rita Standard{tag}", "email": f"rita.{tag}@example.com"}
    )
    ids = {name: a.id for name, a in local_system.accounts.items()}
    return Story(local_system.client("Rocket Platform"), ids, jenny.id, card.id, ride, delivered, refund.id, rita.id, tag, started)


def settled_view(story: Story) -> dict[str, Any]:
    """Jenny's view once the event path has projected everything above (the refund is the last)."""
    found: dict[str, Any] = {}

    def refunded() -> bool:
        try:
            found.update(get(story.platform, f"{VIEW}/{story.jenny}"))
        except stripe.InvalidRequestError:
            return False
        return found.get("lifetime_spend", {}).get("eur", {}).get("refunded") == 500 and "usd" in found["lifetime_spend"]

    eventually(refunded)
    return found


def test_the_customer_across_the_organization(story: Story) -> None:
    view = settled_view(story)
    rides, deliveries, platform_id = story.ids["Rocket Rides"], story.ids["Rocket Deliveries"], story.ids["Rocket Platform"]
    assert (view["id"], view["object"], view["name"], view["email"]) == (
        story.jenny,
        "organization.customer",
        f"Jenny Rosen{story.tag}",
        f"jenny.{story.tag}@example.com",
    )
    assert (view["account"], view["shared_pool"], view["livemode"]) == (rides, True, False)

    # Lifetime spend per currency, net of refunds: overall and per account.
    assert view["lifetime_spend"] == {"eur": {"count": 2, "gross": 3500, "refunded": 500, "net": 3000},
                                      "usd": {"count": 1, "gross": 700, "refunded": 0, "net": 700}}  # fmt: skip
    accounts = {a["account"]: a for a in view["accounts"]}
    assert platform_id not in accounts and {rides, deliveries} <= set(accounts)
    assert accounts[rides]["lifetime_spend"] == {"eur": {"count": 1, "gross": 2500, "refunded": 500, "net": 2000}}
    assert accounts[deliveries]["lifetime_spend"] == {"eur": {"count": 1, "gross": 1000, "refunded": 0, "net": 1000},
                                                      "usd": {"count": 1, "gross": 700, "refunded": 0, "net": 700}}  # fmt: skip

    # Each account's own view of her, and its payments (newest first), with where the rest are.
    assert (accounts[rides]["metadata"], accounts[deliveries]["metadata"]) == ({"ride": "42"}, {"tier": "gold"})
    assert [(p["id"], p["amount_refunded"], p["account"]) for p in accounts[rides]["payments"]["data"]] == [
        (story.rides_payment, 500, rides)
    ]
    assert [p["id"] for p in accounts[deliveries]["payments"]["data"]] == story.delivery_payments[::-1]
    listed = accounts[deliveries]["payments"]
    assert (listed["has_more"], listed["url"]) == (False, f"/v1/organization/payment_intents?customer={story.jenny}&account={deliveries}")

    # The card: saved by Rides, for the whole pool; used once by Rides, twice by Deliveries.
    card = next(m for m in view["payment_methods"] if m["id"] == story.card)
    assert (card["type"], card["card"]["last4"], card["saved_by"], card["visible_to"]) == ("card", "4242", rides, "pool")
    assert [(u["account"], u["count"]) for u in card["used_by"]] == sorted([(rides, 1), (deliveries, 2)])
    assert all(u["last_used"] >= story.started for u in card["used_by"])


def test_a_customer_of_a_standard_account_is_there_with_its_account(story: Story) -> None:
    rentals = story.ids["Rocket Rentals"]
    eventually(lambda: any(c["id"] == story.rita for c in get(story.platform, VIEW, account=rentals)["data"]))
    rita = get(story.platform, f"{VIEW}/{story.rita}")
    assert (rita["account"], rita["shared_pool"], rita["name"]) == (rentals, False, f"Rita Standard{story.tag}")
    assert [a["account"] for a in rita["accounts"]] == [rentals] and rita["lifetime_spend"] == {}
    assert rita["pool"] != get(story.platform, f"{VIEW}/{story.jenny}")["pool"]


def test_customers_are_listed_and_searched_across_pools(story: Story) -> None:
    settled_view(story)
    eventually(lambda: any(c["id"] == story.rita for c in get(story.platform, VIEW, limit=100)["data"]))

    def ids(**params: Any) -> list[str]:
        return [c["id"] for c in get(story.platform, VIEW, **params)["data"]]

    assert ids(email=f"JENNY.{story.tag}@example.com") == [story.jenny]
    assert ids(name=f"rosen{story.tag}") == [story.jenny]  # a word's prefix, any case
    assert ids(name=f"jenny rosen{story.tag}") == [story.jenny]
    assert set(ids(name=story.tag[:0] + "Rita Standard" + story.tag)) == {story.rita}
    assert ids(name="ros", email=f"rita.{story.tag}@example.com") == []
    deliveries, rentals = story.ids["Rocket Deliveries"], story.ids["Rocket Rentals"]
    assert story.jenny in ids(account=deliveries, limit=100) and story.rita not in ids(account=deliveries, limit=100)
    assert ids(account=rentals, email=f"rita.{story.tag}@example.com") == [story.rita]
    mine = set(ids(**{"created[gte]": story.started, "limit": 100}))
    assert {story.jenny, story.rita} <= mine
    assert story.jenny not in ids(**{"created[lt]": story.started, "limit": 100})

    # Newest first, Stripe's shape and cursors.
    page = get(story.platform, VIEW, limit=1, **{"created[gte]": story.started})
    assert (page["object"], page["url"], page["has_more"], len(page["data"])) == ("list", VIEW, True, 1)
    older = get(story.platform, VIEW, limit=100, starting_after=page["data"][0]["id"], **{"created[gte]": story.started})
    assert all(c["id"] < page["data"][0]["id"] for c in older["data"])
    newer = get(story.platform, VIEW, ending_before=older["data"][-1]["id"], limit=100, **{"created[gte]": story.started})
    assert newer["data"][0]["id"] == page["data"][0]["id"]
    row = next(c for c in get(story.platform, VIEW, email=f"jenny.{story.tag}@example.com")["data"])
    assert (row["account"], row["name"], row["shared_pool"]) == (story.ids["Rocket Rides"], f"Jenny Rosen{story.tag}", True)


def test_payment_intents_and_refunds_across_accounts(story: Story) -> None:
    settled_view(story)
    rides, deliveries = story.ids["Rocket Rides"], story.ids["Rocket Deliveries"]

    def intents(**params: Any) -> list[tuple[str, str]]:
        return [(p["id"], p["account"]) for p in get(story.platform, "/v1/organization/payment_intents", **params)["data"]]

    everyone = [story.rides_payment, *story.delivery_payments][::-1]
    assert intents(customer=story.jenny) == [(p, deliveries if p != story.rides_payment else rides) for p in everyone]
    assert intents(customer=story.jenny, account=deliveries) == [(p, deliveries) for p in story.delivery_payments[::-1]]
    assert (story.rides_payment, rides) in intents(account=rides, limit=100)
    assert all(a == deliveries for _p, a in intents(account=deliveries, limit=100))
    newest = intents(limit=3, **{"created[gte]": story.started})
    assert len(newest) == 3 and newest == sorted(newest, reverse=True)
    ride = get(story.platform, "/v1/organization/payment_intents", customer=story.jenny, account=rides)["data"][0]
    assert (ride["amount"], ride["amount_received"], ride["amount_refunded"], ride["status"]) == (2500, 2500, 500, "succeeded")

    def refunds(**params: Any) -> list[tuple[str, str]]:
        return [(r["id"], r["account"]) for r in get(story.platform, "/v1/organization/refunds", **params)["data"]]

    assert refunds(payment_intent=story.rides_payment) == [(story.refund, rides)]
    assert (story.refund, rides) in refunds(account=rides, limit=100)
    assert story.refund not in dict(refunds(account=deliveries, limit=100))
    assert refunds(payment_intent=story.rides_payment, account=deliveries) == []
    assert (story.refund, rides) in refunds(limit=100)
    refund = get(story.platform, "/v1/organization/refunds", payment_intent=story.rides_payment)["data"][0]
    assert (refund["amount"], refund["currency"], refund["status"], refund["object"]) == (500, "eur", "succeeded", "refund")


def test_only_the_platform_key_of_the_organization_and_mode_sees_it(local_system: LocalSystem, story: Story) -> None:
    settled_view(story)
    # An account's own key, or the platform acting for an account: refused.
    for client, options in ((local_system.client("Rocket Rides"), {}), (story.platform, {"stripe_account": story.ids["Rocket Rides"]})):
        with pytest.raises(stripe.PermissionError):
            client.raw_request("get", f"{VIEW}/{story.jenny}", **options)

    # Another organization, live and test, and its sandbox (an organization of its own): none of it.
    created = local_system.admin("create-org", "--name", f"Other {story.tag}")
    keys: Any = created["keys"]
    live, test = local_system.client(key=keys["live"]), local_system.client(key=keys["test"])
    livia = live.v1.customers.create(params={"name": f"Livia Live{story.tag}", "email": f"livia.{story.tag}@example.com"})
    status, sandbox = local_system.http("POST", "/v1/organization/sandboxes", key=keys["live"], body=urlencode({"name": "S"}).encode(),
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert status == 200
    sandboxed = local_system.client(key=next(a["secret_key"] for a in sandbox["accounts"] if a["type"] == "platform"))
    eventually(lambda: [c["id"] for c in get(live, VIEW)["data"]] == [livia.id])
    assert get(live, f"{VIEW}/{livia.id}")["livemode"] is True
    for outsider in (live, test, sandboxed):
        missing(outsider, f"{VIEW}/{story.jenny}")
        assert get(outsider, VIEW, email=f"jenny.{story.tag}@example.com")["data"] == []
        assert get(outsider, "/v1/organization/payment_intents", customer=story.jenny)["data"] == []
        assert get(outsider, "/v1/organization/refunds", payment_intent=story.rides_payment)["data"] == []
        assert missing(outsider, "/v1/organization/payment_intents", account=story.ids["Rocket Rides"]).param == "account"
    # Test mode never sees live: the same organization's test key.
    missing(test, f"{VIEW}/{livia.id}")
    assert get(test, VIEW)["data"] == []


def test_bad_input_is_a_stripe_error(story: Story) -> None:
    for params, param in (({"limit": "0"}, "limit"), ({"created[gt]": "soon"}, "created[gt]"), ({"colour": "red"}, "colour")):
        with pytest.raises(stripe.InvalidRequestError) as err:
            story.platform.raw_request("get", VIEW, **params)
        assert (err.value.http_status, err.value.param) == (400, param)
    assert missing(story.platform, f"{VIEW}/cus_nope").code == "resource_missing"
