"""GET /v1/organization/customers/{id}: one customer as the whole organization sees it.

Three round trips whatever the customer's payment count: the projection's INDEX and SUMMARY (one
BatchGetItem: which pool it is in, totals, card usage, the newest payments of each account), then
its partition in that pool (one Query: the shared item, each account's overlay, the payment method
copies). A customer that moved pools (a sharing enablement) since left a marker there: one more
Query, in its new pool. Nothing is summed at read time: the projector keeps the totals current.
The newest payments' descriptions (personal free text the projection does not copy) come from the
accounts' own payment intents: one more BatchGetItem, of at most 5 per account.
"""

from __future__ import annotations

from typing import Any

from orgshare.domain import customers, payment_methods
from orgshare.domain.organization.access import require_view
from orgshare.domain.principal import Principal
from orgshare.errors import ResourceMissing
from orgshare.ids import id_time_ms
from orgshare.storage import customers as customers_store
from orgshare.storage import keys
from orgshare.storage import org_view as store
from orgshare.storage.keys import PoolScope
from orgshare.wire.lists import list_object

PAYMENTS_URL = "/v1/organization/payment_intents"


def _spend(per_currency: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Per currency: succeeded payments, what they took, what was refunded, and the net."""
    return {
        currency: {"count": t["count"], "gross": t["gross"], "refunded": t["refunded"], "net": t["gross"] - t["refunded"]}
        for currency, t in sorted(per_currency.items())
        if t["count"] or t["gross"] or t["refunded"]
    }


def _overall(totals: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    summed: dict[str, dict[str, int]] = {}
    for per_currency in totals.values():
        for currency, t in per_currency.items():
            into = summed.setdefault(currency, {"count": 0, "gross": 0, "refunded": 0})
            for field in into:
                into[field] += t[field]
    return _spend(summed)


def _account_view(
    customer: str, account: str, overlay: dict[str, Any] | None, summary: dict[str, Any], own: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    mine = customers.account_fields(overlay)
    briefs = (summary["recent"].get(account) or {}).values()
    recent = sorted(({**p, "description": (own.get(p["id"]) or {}).get("description")} for p in briefs), key=lambda p: str(p["id"]),
                    reverse=True)  # fmt: skip
    return {
        "account": account,
        "metadata": mine["metadata"],
        "shipping": mine["shipping"],
        "balance": mine["balance"],
        "invoice_settings": {"default_payment_method": mine["invoice_settings"]["default_payment_method"]},
        "lifetime_spend": _spend(summary["totals"].get(account) or {}),
        "payments": list_object(
            f"{PAYMENTS_URL}?customer={customer}&account={account}", recent, int(summary["payments"].get(account, 0)) > len(recent)
        ),
    }


def _used_by(card: dict[str, Any] | None) -> list[dict[str, Any]]:
    uses = (card or {}).get("accounts") or {}
    return [{"account": a, "count": u["count"], "last_used": u["last_used"]} for a, u in sorted(uses.items()) if u["count"] > 0]


def _payment_methods(saved: list[dict[str, Any]], cards: dict[str, Any], livemode: bool) -> list[dict[str, Any]]:
    """The customer's saved methods (cards: the pool's; any other type: the saving account's
    alone), each with who saved it and where it was used; then cards it paid with that are not
    saved to it (any more), from the payments alone."""
    shown = []
    for item in sorted(saved, key=lambda i: str(i["id"]), reverse=True):
        shown.append({
            **payment_methods.render(item, livemode), "saved_by": item.get("owner"),
            "visible_to": "pool" if item["type"] == "card" else "account", "used_by": _used_by(cards.get(item["id"])),
        })  # fmt: skip
    known = {item["id"] for item in saved}
    for pm, card in sorted(cards.items(), reverse=True):
        if pm not in known and _used_by(card):
            details = {k: card.get(k) for k in ("brand", "last4", "exp_month", "exp_year", "funding", "country", "fingerprint")}
            shown.append({"id": pm, "object": "payment_method", "type": "card", "card": details, "customer": None, "saved_by": None,
                          "visible_to": None, "used_by": _used_by(card)})  # fmt: skip
    return shown


def _pool_items(principal: Principal, customer: str, pool: str) -> list[dict[str, Any]]:
    items = customers_store.partition(PoolScope(principal.org, pool, principal.mode), customer)
    shared = next((i for i in items if i["sk"] == keys.CUSTOMER_SK), None)
    if shared is not None and "moved_to" in shared:  # it moved (a sharing enablement) after the projection last saw it
        items = customers_store.partition(PoolScope(principal.org, str(shared["moved_to"]), principal.mode), customer)
    return items


def deleted(customer: str) -> dict[str, Any]:
    return {"id": customer, "object": "customer", "deleted": True}


def retrieve(principal: Principal, customer: str) -> dict[str, Any]:
    """The customer across the organization: shared fields, each account's own view and totals,
    payment methods with their use, lifetime spend per currency net of refunds."""
    require_view(principal)
    index, summary_item = store.get_view(principal.org, principal.mode, customer) if id_time_ms(customer) else (None, None)
    if index is None or not index.get("pool"):
        raise ResourceMissing("customer", customer)
    if index.get("deleted"):
        return deleted(customer)
    items = _pool_items(principal, customer, str(index["pool"]))
    shared = next((i for i in items if i["sk"] == keys.CUSTOMER_SK), None)
    if shared is None or "moved_to" in shared:
        raise ResourceMissing("customer", customer)
    if shared.get("deleted"):
        return deleted(customer)
    summary = {"totals": {}, "payments": {}, "recent": {}, "cards": {}, **(summary_item or {})}
    overlays = {i["sk"].removeprefix("ACCT#"): i for i in items if i["sk"].startswith("ACCT#")}
    saved = [i for i in items if i["sk"].startswith(("PM#", "XPM#"))]
    accounts = sorted({*overlays, *(index.get("accounts") or []), *summary["totals"], *summary["recent"]})
    view = customers.render(shared, None, principal.livemode)
    briefs = [(a, pi) for a, per in summary["recent"].items() for pi in per]
    own = store.current(principal.org, principal.mode, briefs) if briefs else {}
    return {
        "id": customer,
        "object": "organization.customer",
        "created": view["created"],
        "livemode": principal.livemode,
        "account": index.get("account"),
        "pool": str(shared["pk"]).split("#POOL#", 1)[1].split("#", 1)[0],
        "shared_pool": bool(index.get("shared")),
        **{field: view[field] for field in customers.SHARED_FIELDS},
        "accounts": [_account_view(customer, a, overlays.get(a), summary, own) for a in accounts],
        "payment_methods": _payment_methods(saved, summary["cards"], principal.livemode),
        "lifetime_spend": _overall(summary["totals"]),
        # The projection's last change: totals and payments are as of then (the event path lags by about a second).
        "as_of": summary.get("updated"),
    }
