"""The organization view's projector (domain/organization/projection.py) on moto: whatever the order
events arrive in, and however often each arrives, the customer view shows the same totals."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from orgshare import admin
from orgshare.domain import customers
from orgshare.domain.organization import customer_view, org_lists, projection
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.ids import new_id
from orgshare.params.customers import CustomerCreate, CustomerRetrieve
from orgshare.params.org_view import OrgCustomerList, OrgRefundList


def event(kind: str, obj: dict[str, Any], ms: int) -> dict[str, Any]:
    return {"id": new_id("evt", ms), "object": "event", "type": kind, "created": ms // 1000, "data": {"object": obj}}


def entry(org: str, account: str, evt: dict[str, Any]) -> dict[str, Any]:
    return {"org": org, "mode": "test", "account": account, "org_copy": True, "event": evt}


def intent(pi: str, customer: str, amount: int, currency: str, status: str, created: int) -> dict[str, Any]:
    received = amount if status == "succeeded" else 0
    return {"id": pi, "object": "payment_intent", "amount": amount, "amount_received": received, "amount_refunded": 0,
            "currency": currency, "customer": customer, "status": status, "created": created, "payment_method": "pm_shared",
            "description": None, "metadata": {}}  # fmt: skip


def charge(pi: str, customer: str, amount: int, refunds: list[dict[str, Any]]) -> dict[str, Any]:
    card = {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034, "funding": "credit", "country": "US", "fingerprint": "fp"}
    return {"id": new_id("ch"), "object": "charge", "payment_intent": pi, "customer": customer, "amount": amount,
            "amount_refunded": sum(r["amount"] for r in refunds), "payment_method": "pm_shared",
            "payment_method_details": {"type": "card", "card": card}, "refunds": {"object": "list", "data": refunds}}  # fmt: skip


def history(org: str, rides: str, deliveries: str, cus: str) -> list[dict[str, Any]]:
    """Jenny's payments, as the bus carries them: Rides 25.00 EUR (5.00 refunded), Deliveries
    10.00 EUR and 7.00 USD, and one declined attempt by Deliveries."""
    t = int(time.time() * 1000) - 60_000
    created = t // 1000
    pi_r, pi_d, pi_u, pi_x = (new_id("pi", t + n) for n in range(4))
    refund = {"id": new_id("re", t + 50), "object": "refund", "amount": 500, "currency": "eur", "payment_intent": pi_r,
              "status": "succeeded", "created": created}  # fmt: skip
    return [
        entry(org, rides, event("payment_intent.created", intent(pi_r, cus, 2500, "eur", "requires_confirmation", created), t + 10)),
        entry(org, rides, event("charge.succeeded", charge(pi_r, cus, 2500, []), t + 10)),
        entry(org, rides, event("payment_intent.succeeded", intent(pi_r, cus, 2500, "eur", "succeeded", created), t + 10)),
        entry(org, deliveries, event("payment_intent.succeeded", intent(pi_d, cus, 1000, "eur", "succeeded", created), t + 20)),
        entry(org, deliveries, event("payment_intent.succeeded", intent(pi_u, cus, 700, "usd", "succeeded", created), t + 30)),
        entry(org, deliveries, event("payment_intent.created", intent(pi_x, cus, 900, "eur", "requires_confirmation", created), t + 40)),
        entry(
            org,
            deliveries,
            event("payment_intent.payment_failed", intent(pi_x, cus, 900, "eur", "requires_payment_method", created), t + 41),
        ),
        entry(org, rides, event("refund.created", refund, t + 50)),
        entry(org, rides, event("charge.refunded", charge(pi_r, cus, 2500, [refund]), t + 50)),
    ]


@pytest.fixture
def jenny(aws: dict[str, str]) -> tuple[Principal, str, list[dict[str, Any]]]:
    demo = admin.seed_demo()
    ids = {a.name: a.id for a in demo.accounts}
    rides = Principal(org=demo.org, account=ids["Rocket Rides"], kind="connected", pool=demo.pool, mode="test", key_id="k",
                      key_account=ids["Rocket Rides"])  # fmt: skip
    cus = customers.create(rides, CustomerCreate(name="Jenny Rosen", email="jenny@example.com"), RequestInfo("req_test"))["id"]
    created = event("customer.created", customers.retrieve(rides, cus, CustomerRetrieve()), int(time.time() * 1000))
    platform = admin.platform_principal(demo.org, ids["Rocket Platform"], demo.pool, "test")
    return platform, cus, [entry(demo.org, ids["Rocket Rides"], created), *history(demo.org, ids["Rocket Rides"],
                                                                                       ids["Rocket Deliveries"], cus)]  # fmt: skip


def totals(view: dict[str, Any]) -> dict[str, Any]:
    return {"all": view["lifetime_spend"], **{a["account"]: a["lifetime_spend"] for a in view["accounts"]}}


def expected(entries: list[dict[str, Any]]) -> dict[str, Any]:
    rides, deliveries = entries[0]["account"], entries[4]["account"]
    return {
        "all": {"eur": {"count": 2, "gross": 3500, "refunded": 500, "net": 3000},
                "usd": {"count": 1, "gross": 700, "refunded": 0, "net": 700}},
        rides: {"eur": {"count": 1, "gross": 2500, "refunded": 500, "net": 2000}},
        deliveries: {"eur": {"count": 1, "gross": 1000, "refunded": 0, "net": 1000}, "usd": {"count": 1, "gross": 700, "refunded": 0,
                                                                                         "net": 700}},
    }  # fmt: skip


@pytest.mark.parametrize("order", ["as_sent", "reversed", "shuffled"])
def test_any_order_and_every_redelivery_give_the_same_totals(jenny: tuple[Principal, str, list[dict[str, Any]]], order: str) -> None:
    platform, cus, entries = jenny
    shuffled = random.Random(7).sample(entries, len(entries))  # noqa: S311 - a fixed order, not a secret
    arriving = {"as_sent": entries, "reversed": entries[::-1], "shuffled": shuffled}[order]
    for e in arriving:
        assert projection.apply(e) > 0
    view = customer_view.retrieve(platform, cus)
    assert totals(view) == expected(entries)

    # Every event again (at-least-once delivery): nothing is written, nothing changes.
    for e in random.Random(3).sample(entries, len(entries)):  # noqa: S311
        assert projection.apply(e) == 0
    assert customer_view.retrieve(platform, cus) == view

    # What the view shows besides: each account's payments (the declined attempt too), the card's use, the customer's fields.
    by_account = {a["account"]: a for a in view["accounts"]}
    rides, deliveries = entries[0]["account"], entries[4]["account"]
    assert [p["status"] for p in by_account[deliveries]["payments"]["data"]] == ["requires_payment_method", "succeeded", "succeeded"]
    assert [(p["amount"], p["amount_refunded"]) for p in by_account[rides]["payments"]["data"]] == [(2500, 500)]
    card = next(m for m in view["payment_methods"] if m["id"] == "pm_shared")
    assert (card["card"]["last4"], [(u["account"], u["count"]) for u in card["used_by"]]) == ("4242", sorted([(rides, 1), (deliveries, 2)]))
    assert (view["name"], view["email"], view["account"]) == ("Jenny Rosen", "jenny@example.com", rides)
    refunds = org_lists.list_refunds(platform, OrgRefundList(), "/v1/organization/refunds")["data"]
    assert [(r["amount"], r["account"]) for r in refunds] == [(500, rides)]


def test_a_deleted_customer_keeps_no_name_or_email_and_is_listed_no_more(jenny: tuple[Principal, str, list[dict[str, Any]]]) -> None:
    platform, cus, entries = jenny
    for e in entries:
        projection.apply(e)
    listed = org_lists.list_customers(platform, OrgCustomerList(email="JENNY@example.com"), "/v1/organization/customers")["data"]
    assert [c["id"] for c in listed] == [cus]
    gone = event("customer.deleted", {"id": cus, "object": "customer", "deleted": True}, int(time.time() * 1000) + 5)
    assert projection.apply({**entries[0], "event": gone}) > 0
    late = event("customer.updated", {**entries[0]["event"]["data"]["object"], "name": "Jenny R."}, int(time.time() * 1000) - 1000)
    projection.apply({**entries[0], "event": late})  # an older update arriving after the deletion brings nothing back

    assert customer_view.retrieve(platform, cus) == {"id": cus, "object": "customer", "deleted": True}
    for params in (OrgCustomerList(), OrgCustomerList(email="jenny@example.com"), OrgCustomerList(account=entries[0]["account"]),
                   OrgCustomerList(name="jen")):  # fmt: skip
        assert cus not in [c["id"] for c in org_lists.list_customers(platform, params, "/v1/organization/customers")["data"]]
    from orgshare.storage import org_view

    index, _summary = org_view.get_view(platform.org, "test", cus)
    assert index is not None and "email" not in index and "name" not in index and index["deleted"] is True
