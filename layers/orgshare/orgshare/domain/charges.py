"""Charges: each attempt to take a payment intent's money, as Stripe's Charge. A confirm that the
processor answered (a payment, an authorization or a decline) makes one, in the confirm's own
transaction; capture, cancel and refunds change it in theirs, so it always agrees with its intent.

A charge belongs to the account that made it, as its intent does: its keys name that account, so
another account cannot even address it (404), and the platform reads it acting for the account.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.domain import payment_methods
from orgshare.domain.principal import Principal
from orgshare.errors import ResourceMissing
from orgshare.ids import id_time_ms, new_id
from orgshare.params.payments import ChargeList, ChargeRefundList, ChargeRetrieve, RefundList
from orgshare.storage import charges as store
from orgshare.wire.id_ranges import id_bounds, within
from orgshare.wire.lists import check_expand, list_object, page

# refunds are always shown and balance_transaction is always null: expanding them is accepted, as Stripe does.
EXPANDABLE = ("refunds", "balance_transaction")
REFUNDS_SHOWN = 10  # a charge shows its newest refunds; /v1/charges/{id}/refunds pages through them all
CARD_FIELDS = ("brand", "last4", "exp_month", "exp_year", "funding", "country", "fingerprint")
_NO_DETAILS = "The bank did not return any further details with this decline."
# Fields of Stripe's Charge that nothing here fills (no fees, transfers, disputes, receipts, Radar): null, as Stripe shows them.
_NULL = ("application", "application_fee", "application_fee_amount", "balance_transaction", "calculated_statement_descriptor",
         "failure_balance_transaction", "fraud_details", "on_behalf_of", "receipt_email", "receipt_number", "receipt_url", "review",
         "shipping", "source", "source_transfer", "statement_descriptor", "statement_descriptor_suffix", "transfer", "transfer_data",
         "transfer_group")  # fmt: skip


def build(
    principal: Principal, intent: dict[str, Any], method: dict[str, Any], captured: bool, error: dict[str, Any] | None
) -> dict[str, Any]:
    """A new charge of `intent` on the card `method`: taken (`captured`), authorized, or declined
    (`error`, the intent's last_payment_error). Card and billing details as they were at the charge."""
    charge = new_id("ch")
    card = method.get("card") or {}
    return {
        "id": charge, "org": principal.org, "account": principal.account, "mode": principal.mode,
        "amount": intent["amount"], "amount_captured": intent["amount"] if captured else 0, "amount_refunded": 0,
        "captured": captured, "currency": intent["currency"], "customer": intent.get("customer"),
        "description": intent.get("description"), "metadata": intent.get("metadata") or {},
        "payment_intent": intent["id"], "payment_method": method["id"], "status": "failed" if error else "succeeded",
        "created": (id_time_ms(charge) or 0) // 1000,
        "failure_code": error["code"] if error else None, "failure_message": error["message"] if error else None,
        "outcome": _outcome(error),
        "billing_details": payment_methods.render(method, principal.livemode)["billing_details"],
        "payment_method_details": {"type": "card", "card": {k: card.get(k) for k in CARD_FIELDS}},
        "refunds": {},
    }  # fmt: skip


def _outcome(error: dict[str, Any] | None) -> dict[str, Any]:
    """What the network said, as far as a connector tells it (no risk scoring here: null)."""
    outcome: dict[str, Any] = dict.fromkeys(("advice_code", "network_advice_code", "network_decline_code", "risk_level", "risk_score",
                                             "rule"))  # fmt: skip
    if error is None:
        return outcome | {"network_status": "approved_by_network", "reason": None, "seller_message": "Payment complete.",
                          "type": "authorized"}  # fmt: skip
    reason = error.get("decline_code")
    seller = f"The bank returned the decline code `{reason}`." if reason else _NO_DETAILS
    return outcome | {"network_status": "declined_by_network", "reason": reason, "seller_message": seller, "type": "issuer_declined"}


def render(charge: dict[str, Any]) -> dict[str, Any]:
    refunds = sorted((charge.get("refunds") or {}).values(), key=lambda r: str(r["id"]), reverse=True)
    # Fully refunded: all that was captured given back, or an authorization released whole (a cancel).
    held = charge["amount_captured"] if charge["captured"] else charge["amount"]
    return {
        "id": charge["id"], "object": "charge", "amount": charge["amount"], "amount_captured": charge["amount_captured"],
        "amount_refunded": charge["amount_refunded"], **dict.fromkeys(_NULL), "billing_details": charge["billing_details"],
        "captured": charge["captured"], "created": charge["created"], "currency": charge["currency"],
        "customer": charge.get("customer"), "description": charge.get("description"), "disputed": False,
        "failure_code": charge.get("failure_code"), "failure_message": charge.get("failure_message"),
        "livemode": charge["mode"] == "live", "metadata": charge.get("metadata") or {}, "outcome": charge["outcome"],
        "paid": charge["status"] == "succeeded", "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"], "payment_method_details": charge["payment_method_details"],
        "refunded": charge["amount_refunded"] > 0 and charge["amount_refunded"] >= held,
        "refunds": list_object(f"/v1/charges/{charge['id']}/refunds", refunds[:REFUNDS_SHOWN], len(refunds) > REFUNDS_SHOWN),
        "status": charge["status"],
    }  # fmt: skip


def load(principal: Principal, charge: str, param: str = "id") -> dict[str, Any]:
    found = store.get_charge(principal.org, principal.account, principal.mode, charge)
    if found is None:
        raise ResourceMissing("charge", charge, param=param)
    return found


def by_ids(principal: Principal, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The caller's account's charges among `ids`, rendered (one batch read); others are left out."""
    return {c: render(item) for c, item in store.get_charges(principal.org, principal.account, principal.mode, ids).items()}


def retrieve(principal: Principal, charge: str, params: ChargeRetrieve) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    return render(load(principal, charge))


def list_charges(principal: Principal, params: ChargeList, url: str) -> dict[str, Any]:
    """Newest first, by one of the keys: an intent's charges, a customer's (an index keyed by
    account and customer), or the account's by month; `created` narrows the key range itself."""
    check_expand(params.expand, EXPANDABLE, in_list=True)
    org, account, mode = principal.org, principal.account, principal.mode
    low, high = id_bounds("ch", params.created)
    now_ms = int(time.time() * 1000)

    def read(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        if params.payment_intent:
            return store.intent_charges(org, account, mode, params.payment_intent, limit=limit, after=after, before=before,
                                        descending=descending)  # fmt: skip
        if params.customer:
            return store.customer_charges(org, account, mode, params.customer, limit=limit, after=after, before=before,
                                          descending=descending)  # fmt: skip
        oldest_ms = max(id_time_ms(principal.account) or 0, (id_time_ms(low) or 0) if low else 0)
        newest_ms = min(now_ms, id_time_ms(high) or 0) if high else now_ms
        return store.list_charges(org, account, mode, limit=limit, after=after, before=before, oldest_ms=oldest_ms, now_ms=newest_ms)

    def keep(charge: dict[str, Any]) -> bool:
        # Only the customer filter of an intent's charges (a handful of attempts) is applied after the read.
        return not (params.payment_intent and params.customer) or charge.get("customer") == params.customer

    found, has_more = page(params, within(read, keep, low, high))
    return list_object(url, [render(c) for c in found], has_more)


def refunds_page(charge: dict[str, Any], params: ChargeRefundList | RefundList, url: str) -> dict[str, Any]:
    """A charge's refunds (kept in its item, so no more reads), newest first, with Stripe's cursors."""
    refunds = sorted((charge.get("refunds") or {}).values(), key=lambda r: str(r["id"]))

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        chosen = [r for r in refunds if (after is None or r["id"] > after) and (before is None or r["id"] < before)]
        return (chosen[::-1] if descending else chosen)[:limit]

    found, has_more = page(params, fetch)
    return list_object(url, found, has_more)


def list_refunds(principal: Principal, charge: str, params: ChargeRefundList, url: str) -> dict[str, Any]:
    check_expand(params.expand, ())
    return refunds_page(load(principal, charge), params, url)


def expand_intents(
    principal: Principal, intents: list[dict[str, Any]], expand: list[str], known: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Rendered intents with `latest_charge` as the charge object when `expand` asks for it (`data.`
    in lists): one read for them all, none for a charge just written (`known`)."""
    if not any(e.removeprefix("data.") == "latest_charge" for e in expand):
        return intents
    wanted = [i["latest_charge"] for i in intents if i.get("latest_charge") and not (known and known["id"] == i["latest_charge"])]
    found = store.get_charges(principal.org, principal.account, principal.mode, wanted) if wanted else {}
    if known:
        found[known["id"]] = known
    return [{**i, "latest_charge": render(found[i["latest_charge"]])} if i.get("latest_charge") in found else i for i in intents]
