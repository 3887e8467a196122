"""The organization's view, kept current from the event stream (functions/org_projector): each
organization copy of an event (one per change) updates the items of storage/org_view.py.

Delivery is at least once and in no particular order, so every event is applied as a merge that
neither repetition nor order changes:
- a payment's intent is the newest state seen (ordered by the event's change time, an intent's
  `.created` below any other event of the same millisecond: they share a transaction), its refunds
  the union of those seen (by id), its card what any of its charges showed;
- a customer's totals are the sum of its payments' contributions: applying an event takes the
  payment's old contribution out and puts its new one in, so they always equal the sum of the
  newest states, whatever came first;
- a customer's fields are the newest state seen; deletion is final (nothing brings it back), and
  takes its summary (payments, cards) with it: a later event of its payments writes none again;
- the copies keep no personal free text (PERSONAL_FIELDS): the lists and the customer view show
  the accounts' own items for those, which an erasure redacts.
Each event is one read (BatchGetItem) and one transaction whose conditions are the versions read
and the event's marker (absent): a redelivery finds the marker and writes nothing; a concurrent
writer makes the transaction fail whole, and the event is read and applied again.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import directory
from orgshare.storage import org_view as store
from orgshare.storage.dynamo import ConditionFailed, transact

RECENT_PER_ACCOUNT = 5  # payments shown inline per account in the customer view (the rest: a list's url)
_ATTEMPTS = 5
_PAYMENT_EVENTS = ("payment_intent.", "charge.", "refund.created")
_CUSTOMER_EVENTS = ("customer.created", "customer.updated", "customer.deleted", "payment_method.attached")
CARD_FIELDS = ("brand", "last4", "exp_month", "exp_year", "funding", "country", "fingerprint")
# What a merchant wrote about a person (an erasure redacts these in the accounts' own items): the
# view's copies never hold them, so no copy outlives the redaction, whatever order events come in.
PERSONAL_FIELDS = ("description", "metadata", "shipping", "receipt_email")


def _impersonal(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in PERSONAL_FIELDS}


class Contended(Exception):
    """Concurrent writers kept winning: the message goes back to the queue and is tried again."""


def _order(event: dict[str, Any]) -> int:
    """Where an event's state stands among its object's states: its change's millisecond (in its
    id), a `.created` first within one millisecond."""
    ms = id_time_ms(event["id"]) or int(event["created"]) * 1000
    return ms * 10 + (0 if event["type"].endswith(".created") else 1)


def _content(item: dict[str, Any]) -> dict[str, Any]:
    """An item's own values: not its keys or version, nor what DynamoDB would not store (None)."""
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "version") and not k.startswith("gsi") and v is not None}


def _changed(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    return old is None or _content(old) != _content(new)


def _bump(item: dict[str, Any], read: dict[str, Any] | None) -> tuple[dict[str, Any], int | None]:
    """The item at its next version, and the version it was read at (None: it is new)."""
    version = int(read["version"]) if read else None
    return {**item, "version": (version or 0) + 1}, version


# ---------------------------------------------------------------- payments
def _refund(obj: dict[str, Any], account: str) -> dict[str, Any]:
    return {**_impersonal(obj), "object": "refund", "account": account}


def _merged(old: dict[str, Any] | None, event: dict[str, Any], account: str, intent_id: str) -> dict[str, Any]:
    obj, kind = event["data"]["object"], event["type"]
    pay: dict[str, Any] = {k: v for k, v in (old or {}).items() if k not in ("pk", "sk", "version") and not k.startswith("gsi")}
    pay.setdefault("id", intent_id)
    pay["refunds"] = dict(pay.get("refunds") or {})
    pay["account"] = account
    if kind.startswith("payment_intent."):
        order = _order(event)
        if order > int(pay.get("order", -1)):
            pay.update(intent=_impersonal(obj), order=order, customer=obj.get("customer"))
    elif kind.startswith("charge."):
        card = (obj.get("payment_method_details") or {}).get("card")
        if card:
            pay["card"] = {k: card.get(k) for k in CARD_FIELDS}
        for refund in (obj.get("refunds") or {}).get("data") or []:
            if refund.get("status") == "succeeded":
                pay["refunds"].setdefault(refund["id"], _refund(refund, account))
    elif obj.get("status") == "succeeded":  # refund.created
        pay["refunds"][obj["id"]] = _refund(obj, account)
    return pay


def _share(pay: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a payment adds to its customer's summary (None: no intent seen yet, or no customer)."""
    intent = (pay or {}).get("intent")
    if pay is None or not intent or not pay.get("customer"):
        return None
    refunded = sum(int(r["amount"]) for r in pay["refunds"].values())
    succeeded = intent["status"] == "succeeded"
    brief = {
        k: intent.get(k) for k in ("id", "amount", "amount_received", "currency", "status", "created", "payment_method", "description")
    }
    return {
        "customer": pay["customer"], "account": pay["account"], "currency": intent["currency"], "succeeded": succeeded,
        "gross": int(intent.get("amount_received") or 0), "refunded": refunded, "created": int(intent["created"]),
        "pm": intent.get("payment_method") if succeeded else None, "card": pay.get("card"),
        "brief": {**brief, "amount_refunded": refunded, "account": pay["account"], "object": "payment_intent"},
    }  # fmt: skip


def new_summary(customer: str) -> dict[str, Any]:
    return {"id": customer, "totals": {}, "payments": {}, "recent": {}, "cards": {}}


def add_share(summary: dict[str, Any], share: dict[str, Any], sign: int) -> None:
    """Adds (sign 1) or takes out (sign -1) one payment's contribution, in place."""
    account, pi = share["account"], share["brief"]["id"]
    totals = summary["totals"].setdefault(account, {}).setdefault(share["currency"], {"count": 0, "gross": 0, "refunded": 0})
    totals["count"] += sign * int(share["succeeded"])
    totals["gross"] += sign * share["gross"]
    totals["refunded"] += sign * share["refunded"]
    summary["payments"][account] = int(summary["payments"].get(account, 0)) + sign
    recent = summary["recent"].setdefault(account, {})
    if sign < 0:
        recent.pop(pi, None)
    else:
        recent[pi] = share["brief"]
        for old in sorted(recent, reverse=True)[RECENT_PER_ACCOUNT:]:  # ids sort by time: keep the newest
            del recent[old]
    if share["pm"]:
        card = summary["cards"].setdefault(share["pm"], {"accounts": {}})
        card.update(share["card"] or {})
        use = card["accounts"].setdefault(account, {"count": 0, "last_used": 0})
        use["count"] += sign  # entries at 0 stay: their last_used is still true of the others (none: not shown)
        if sign > 0:
            use["last_used"] = max(int(use["last_used"]), share["created"])


def _link(org: str, mode: str, index: dict[str, Any] | None, customer: str, account: str) -> list[dict[str, Any]]:
    """The writes recording that `account` dealt with the customer (none if known, or deleted)."""
    if index is not None and (index.get("deleted") or account in (index.get("accounts") or [])):
        return []
    base = dict(index) if index else {"id": customer}
    item, read = _bump({**base, "accounts": sorted({*(base.get("accounts") or []), account})}, index)
    return [store.index_put(org, mode, item, read), store.link_put(org, mode, customer, account)]


def _payment_writes(detail: dict[str, Any]) -> list[dict[str, Any]] | None:
    org, mode, account, event = detail["org"], detail["mode"], detail["account"], detail["event"]
    obj = event["data"]["object"]
    intent_id = obj["id"] if event["type"].startswith("payment_intent.") else obj.get("payment_intent")
    if not intent_id:
        return []
    hint = [obj["customer"]] if obj.get("customer") else []
    loaded = store.load(org, mode, event["id"], payment=intent_id, customers=hint)
    if loaded["applied"]:
        return None
    old = loaded["payment"]
    pay = _merged(old, event, account, intent_id)
    before, after = _share(old), _share(pay)
    touched = sorted({s["customer"] for s in (before, after) if s})
    missing = [c for c in touched if c not in hint]
    if missing:  # the customer the payment had, or has, was not named by the event: read it too
        more = store.load(org, mode, event["id"], payment=None, customers=missing)
        loaded["index"] |= more["index"]
        loaded["summary"] |= more["summary"]
    writes: list[dict[str, Any]] = []
    if _changed(old, pay):
        writes.append(store.payment_put(org, mode, *_bump(pay, old)))
    if before != after:
        for customer in touched:
            read = loaded["summary"].get(customer)
            if (read or {}).get("deleted") or (loaded["index"].get(customer) or {}).get("deleted"):
                continue  # deleted: its summary went with it (and a concurrent deletion fails this transaction)
            summary = {k: v for k, v in (read or new_summary(customer)).items() if k not in ("pk", "sk")}
            for share, sign in ((before, -1), (after, 1)):
                if share and share["customer"] == customer:
                    add_share(summary, share, sign)
            summary["updated"] = int(time.time())
            writes.append(store.summary_put(org, mode, *_bump(summary, read)))
    if after:
        writes += _link(org, mode, loaded["index"].get(after["customer"]), after["customer"], account)
    if event["type"] == "refund.created" and obj.get("status") == "succeeded":
        writes.append(store.refund_put(org, mode, _refund(obj, account)))
    return writes


# ---------------------------------------------------------------- customers
def _pool_of(org: str, mode: str, account: str, at: int) -> tuple[str, bool]:
    """The pool an account's customers were in at time `at` (the shared pool from an enabled
    sharing's switch on), and whether it is the shared pool."""
    record = directory.get_account(org, account)
    if record is None:
        raise LookupError(f"account {account} of {org} is not in the directory")
    joined = record.get(f"sharing_{mode}")
    if joined and at >= float(joined["switch_at"]):
        return str(joined["pool"]), True
    return str(record["pool"]), record["kind"] != "standard"


def _customer_writes(detail: dict[str, Any]) -> list[dict[str, Any]] | None:
    org, mode, actor, event = detail["org"], detail["mode"], detail["account"], detail["event"]
    obj, kind = event["data"]["object"], event["type"]
    customer = obj["id"] if kind.startswith("customer.") else obj.get("customer")
    if not customer:
        return []
    loaded = store.load(org, mode, event["id"], payment=None, customers=[customer])
    if loaded["applied"]:
        return None
    index = loaded["index"].get(customer)
    if index is not None and index.get("deleted"):
        return []  # deletion is final: an older event arriving late brings nothing back
    if kind == "payment_method.attached":
        return _link(org, mode, index, customer, actor)
    base = {k: v for k, v in (index or {"id": customer}).items() if k not in ("pk", "sk") and not k.startswith("gsi")}
    accounts = list(base.get("accounts") or [])
    writes: list[dict[str, Any]] = []
    if kind == "customer.deleted":
        # What identifies a person goes (email, name); the list and its indexes stop showing it.
        kept = {k: base.get(k) for k in ("id", "created", "pool", "shared", "account", "accounts", "version")}
        item, read = _bump({**kept, "deleted": True, "deleted_at": int(event["created"])}, index)
        # Its summary (payments, cards and their fingerprints) goes too: a tombstone, not a delete, so
        # that a payment event read before this one cannot write a summary back (its version is gone).
        gone = store.summary_put(org, mode, *_bump({"id": customer, "deleted": True}, loaded["summary"].get(customer)))
        return [store.index_put(org, mode, item, read), gone, *(store.link_delete(org, mode, customer, a) for a in accounts)]
    order = _order(event)
    if order > int(base.get("order", -1)):
        pool, shared = _pool_of(org, mode, actor, int(event["created"]))
        base.update(order=order, email=obj.get("email"), name=obj.get("name"), created=obj.get("created"), pool=pool, shared=shared,
                    livemode=mode == "live")  # fmt: skip
    if kind == "customer.created":
        base["account"] = actor  # the account that created it: its home
    base.setdefault("account", actor)
    if actor not in accounts:
        base["accounts"] = sorted({*accounts, actor})
        writes.append(store.link_put(org, mode, customer, actor))
    if _changed(index, base):
        writes.append(store.index_put(org, mode, *_bump(base, index)))
    return writes


# ---------------------------------------------------------------- entry point
def apply(detail: dict[str, Any]) -> int:
    """Applies one bus entry (its `detail`: org, mode, account, org_copy, event); returns how many
    items its transaction wrote, the marker included (0: applied before, or not the organization's copy)."""
    event = detail["event"]
    if not detail.get("org_copy"):
        return 0  # each account's copy of a shared change: the organization's copy stands for it
    if event["type"].startswith(_PAYMENT_EVENTS):
        plan = _payment_writes
    elif event["type"] in _CUSTOMER_EVENTS:
        plan = _customer_writes
    else:
        return 0
    expires_at = int(event["created"]) + get_settings().event_retention_days * 86_400
    for _ in range(_ATTEMPTS):
        writes = plan(detail)
        if writes is None:
            return 0
        try:
            transact([*writes, store.marker_put(detail["org"], detail["mode"], event["id"], expires_at)])
        except ConditionFailed:
            continue  # another event of the same customer or payment (or this one again) got there first: read again
        return len(writes) + 1
    raise Contended(f"event {event['id']} lost {_ATTEMPTS} races in a row")
