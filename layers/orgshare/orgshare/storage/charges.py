"""Charges, keyed by the account that made them: the charge under its own key (with its refunds
inside it, so one read shows it whole), indexed by month and by customer, and a pointer in its
intent's partition. Its writes are parts of the intent's own transactions (storage/payments.py)."""

from __future__ import annotations

from typing import Any

from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, key, query_range, to_item, to_value
from orgshare.storage.months import month_of, query_months

BY_CUSTOMER_INDEX = "by_field"


def _table() -> str:
    return get_settings().data_table


def charge_key(org: str, account: str, mode: str, charge: str) -> dict[str, Any]:
    return key(keys.charge_pk(org, account, mode, charge), keys.CHARGE_SK)


def charge_puts(charge: dict[str, Any]) -> list[dict[str, Any]]:
    """A new charge (never over another) and its pointer under its intent, for the confirm's transaction."""
    org, account, mode, cid = charge["org"], charge["account"], charge["mode"], charge["id"]
    index = {"gsi1pk": keys.charges_by_month_pk(org, account, mode, month_of(cid)), "gsi1sk": cid}
    if charge.get("customer"):
        index |= {"gsi2pk": keys.charges_by_customer_pk(org, account, mode, charge["customer"]), "gsi2sk": cid}
    own = {**to_item({**charge, **index}), **charge_key(org, account, mode, cid)}
    under_intent = key(keys.payment_intent_pk(org, account, mode, charge["payment_intent"]), keys.intent_charge_sk(cid))
    pointer = {**to_item({"id": cid}), **under_intent}
    return [
        {"Put": {"TableName": _table(), "Item": own, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": _table(), "Item": pointer}},
    ]


def charge_update(
    intent: dict[str, Any], *, set_values: dict[str, Any] | None = None, add: dict[str, int] | None = None,
    refund: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A transaction write to an intent's latest charge: fields set, amounts added (negative to take
    back), and a refund (its public form) put in the charge's refunds. Only on a charge that exists."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets: list[str] = []
    for i, (field, value) in enumerate((set_values or {}).items()):
        names[f"#s{i}"], values[f":s{i}"] = field, to_value(value)
        sets.append(f"#s{i} = :s{i}")
    for i, (field, amount) in enumerate((add or {}).items()):
        names[f"#a{i}"], values[f":a{i}"] = field, {"N": str(amount)}
        sets.append(f"#a{i} = #a{i} + :a{i}")
    if refund is not None:
        names["#refunds"], names["#refund"], values[":refund"] = "refunds", refund["id"], to_value(refund)
        sets.append("#refunds.#refund = :refund")
    update: dict[str, Any] = {
        "TableName": _table(),
        "Key": charge_key(intent["org"], intent["account"], intent["mode"], intent["latest_charge"]),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": names,
    }
    if values:
        update["ExpressionAttributeValues"] = values
    return {"Update": update}


def get_charge(org: str, account: str, mode: str, charge: str) -> dict[str, Any] | None:
    if id_time_ms(charge) is None:
        return None
    found = batch_get(_table(), [charge_key(org, account, mode, charge)], consistent=True)
    return found[0] if found else None


def get_charges(org: str, account: str, mode: str, charges: list[str]) -> dict[str, dict[str, Any]]:
    """Charges by id: one BatchGetItem per 100 (a page's one more than its limit makes two at most)."""
    wanted = sorted({c for c in charges if id_time_ms(c) is not None})
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 100):
        batch = [charge_key(org, account, mode, c) for c in wanted[start : start + 100]]
        found |= {c["id"]: c for c in batch_get(_table(), batch, consistent=True)}
    return found


def _ordered(found: dict[str, dict[str, Any]], ids: list[str]) -> list[dict[str, Any]]:
    return [found[i] for i in ids if i in found]


def list_charges(
    org: str, account: str, mode: str, *, limit: int, after: str | None, before: str | None, oldest_ms: int, now_ms: int
) -> list[dict[str, Any]]:
    """The account's charges with ids strictly between after and before, by month bucket."""
    return query_months(
        _table(), ("gsi1pk", lambda month: keys.charges_by_month_pk(org, account, mode, month)), "gsi1sk", index="by_created",
        after=after, before=before, oldest_ms=oldest_ms, now_ms=now_ms, limit=limit,
    )  # fmt: skip


def customer_charges(
    org: str, account: str, mode: str, customer: str, *, limit: int, after: str | None, before: str | None, descending: bool
) -> list[dict[str, Any]]:
    """The account's charges for one customer, strictly between the cursors: one Query of its index."""
    return query_range(
        _table(), ("gsi2pk", keys.charges_by_customer_pk(org, account, mode, customer)), "gsi2sk", index=BY_CUSTOMER_INDEX,
        after=after, before=before, descending=descending, limit=limit,
    )  # fmt: skip


def intent_charges(
    org: str, account: str, mode: str, intent: str, *, limit: int, after: str | None, before: str | None, descending: bool
) -> list[dict[str, Any]]:
    """An intent's charges (its attempts), strictly between the cursors: its pointers, then the charges."""
    pointers = query_range(
        _table(), ("pk", keys.payment_intent_pk(org, account, mode, intent)), "sk", prefix=keys.intent_charge_sk(""),
        after=keys.intent_charge_sk(after) if after else None, before=keys.intent_charge_sk(before) if before else None,
        descending=descending, limit=limit,
    )  # fmt: skip
    ids = [p["id"] for p in pointers]
    return _ordered(get_charges(org, account, mode, ids), ids)
