"""The organization's lists, across every pool and account: customers, payment intents, refunds.
Newest first, Stripe's list shape and cursors; each item names its `account`.

Where the list's rows come from, and what a page costs:
- customers: the projection's index by creation month (all), by email, or by account (its links,
  then one BatchGetItem of the rows); `name` and any second filter are applied while reading
  (pages are read on until full). An `account` is checked first (one GetItem).
- payment intents: one account's own index (storage/payments.py: always current) when only
  `account` is given; otherwise the projection, by month or by customer (the account kept while reading).
- refunds: the projection, by month or by account; a payment intent's from its one item.
Usually one Query per page (month buckets: one per month read); the projection lags the API by
the event path's delay (about a second).
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.domain import payments
from orgshare.domain import refunds as refund_objects
from orgshare.domain.organization.access import require_view
from orgshare.domain.principal import Principal
from orgshare.errors import ResourceMissing
from orgshare.ids import id_time_ms
from orgshare.params.org_view import OrgCustomerList, OrgPaymentIntentList, OrgRefundList
from orgshare.storage import directory
from orgshare.storage import org_view as store
from orgshare.storage import payments as payments_store
from orgshare.wire.id_ranges import id_bounds, within
from orgshare.wire.lists import check_expand, list_object, page


def _bounds(principal: Principal, limit: int, after: str | None, before: str | None, low: str | None, high: str | None) -> store.Bounds:
    """Month-bucket bounds: from the organization's creation (or the range's start) to now (or its end)."""
    oldest = max(id_time_ms(principal.org) or 0, (id_time_ms(low) or 0) if low else 0)
    now_ms = int(time.time() * 1000)
    newest = min(now_ms, id_time_ms(high) or now_ms) if high else now_ms
    return {"after": after, "before": before, "oldest_ms": oldest, "now_ms": newest, "limit": limit}


def _check_account(principal: Principal, account: str | None) -> None:
    """An account filter must name an account of the caller's organization (another's is a 404, as a missing one)."""
    if account is not None and directory.get_account(principal.org, account) is None:
        raise ResourceMissing("account", account, param="account")


# ---------------------------------------------------------------- customers
def _name_matches(name: str | None, wanted: str) -> bool:
    """Case-insensitive prefix of the whole name or of any word of it: "jen", "ros" and "jenny r" find "Jenny Rosen"."""
    folded, wanted = (name or "").casefold(), wanted.casefold()
    return folded.startswith(wanted) or any(word.startswith(wanted) for word in folded.split())


def render_customer(index: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": index["id"], "object": "organization.customer", "created": index.get("created"), "email": index.get("email"),
        "name": index.get("name"), "livemode": bool(index.get("livemode")), "account": index.get("account"),
        "accounts": list(index.get("accounts") or []), "pool": index.get("pool"), "shared_pool": bool(index.get("shared")),
    }  # fmt: skip


def list_customers(principal: Principal, params: OrgCustomerList, url: str) -> dict[str, Any]:
    """Customers of every pool of the organization, newest first; `email` (whole, case-insensitive),
    `name` (prefix, see _name_matches), `created`, `account` (the customers it dealt with: created,
    updated, paid, or saved a payment method for)."""
    require_view(principal)
    check_expand(params.expand, (), in_list=True)
    _check_account(principal, params.account)
    org, mode = principal.org, principal.mode
    low, high = id_bounds("cus", params.created)
    email = params.email.lower() if params.email else None

    def read(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        del descending  # the bounds say it
        bounds = _bounds(principal, limit, after, before, low, high)
        by_account = params.account if email is None else None
        rows = store.customers_page(org, mode, email=email, account=by_account, bounds=bounds)
        if by_account is None:
            return rows
        found = store.get_indexes(org, mode, [r["id"] for r in rows])
        return [found.get(r["id"], {"id": r["id"]}) for r in rows]  # a row without its index is kept out below

    def keep(index: dict[str, Any]) -> bool:
        return (
            bool(index.get("pool")) and not index.get("deleted")
            and (email is None or (index.get("email") or "").lower() == email)
            and (params.account is None or params.account in (index.get("accounts") or []))
            and (params.name is None or _name_matches(index.get("name"), params.name))
        )  # fmt: skip

    found, has_more = page(params, within(read, keep, low, high))
    return list_object(url, [render_customer(i) for i in found], has_more)


# ---------------------------------------------------------------- payment intents
def render_payment(pay: dict[str, Any], own: dict[str, Any] | None = None) -> dict[str, Any]:
    """A projected payment: its account's own item (`own`: as it is now, an erasure's redactions
    included), else its intent's newest state as projected (no personal fields), and its account."""
    if own is not None:
        return {**payments.render(own), "account": pay["account"]}
    refunded = sum(int(r["amount"]) for r in (pay.get("refunds") or {}).values())
    return {**pay["intent"], "amount_refunded": refunded, "account": pay["account"]}


def _current(principal: Principal, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The accounts' own items behind a page of projected rows (one BatchGetItem)."""
    return store.current(principal.org, principal.mode, [(str(r["account"]), str(r["id"])) for r in rows])


def list_payment_intents(principal: Principal, params: OrgPaymentIntentList, url: str) -> dict[str, Any]:
    """Payment intents of every account (or one: `account`), newest first; `customer`, `created`."""
    require_view(principal)
    check_expand(params.expand, (), in_list=True)
    _check_account(principal, params.account)
    org, mode = principal.org, principal.mode
    low, high = id_bounds("pi", params.created)
    own = params.account is not None and params.customer is None  # one account's own index: always current

    def read(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        del descending
        bounds = _bounds(principal, limit, after, before, low, high)
        if own:
            return payments_store.list_intents(org, str(params.account), mode, **bounds)
        return store.payments_page(org, mode, customer=params.customer, bounds=bounds)

    def keep(item: dict[str, Any]) -> bool:
        return own or ("intent" in item and (params.account is None or item.get("account") == params.account))

    found, has_more = page(params, within(read, keep, low, high))
    current = {} if own else _current(principal, found)
    data = [{**payments.render(i), "account": i["account"]} if own else render_payment(i, current.get(i["id"])) for i in found]
    return list_object(url, data, has_more)


# ---------------------------------------------------------------- refunds
def list_refunds(principal: Principal, params: OrgRefundList, url: str) -> dict[str, Any]:
    """Refunds of every account (or one: `account`), or of one payment intent, newest first."""
    require_view(principal)
    check_expand(params.expand, (), in_list=True)
    _check_account(principal, params.account)
    org, mode = principal.org, principal.mode
    clean = ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")

    if params.payment_intent is not None:
        pay = store.get_payment(org, mode, params.payment_intent) or {}
        refunds = sorted((pay.get("refunds") or {}).values(), key=lambda r: str(r["id"]))
        if params.account is not None and pay.get("account") != params.account:
            refunds = []

        def read(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
            chosen = [r for r in refunds if (after is None or r["id"] > after) and (before is None or r["id"] < before)]
            return (chosen[::-1] if descending else chosen)[:limit]
    else:

        def read(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
            del descending
            return store.refunds_page(org, mode, account=params.account, bounds=_bounds(principal, limit, after, before, None, None))

    found, has_more = page(params, within(read, lambda _r: True, None, None))
    current = _current(principal, found)
    data = [{**refund_objects.render(current[r["id"]]), "account": r["account"]} if r["id"] in current else {k: v for k, v in r.items()
            if k not in clean} for r in found]  # fmt: skip
    return list_object(url, data, has_more)
