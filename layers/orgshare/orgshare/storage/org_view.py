"""The organization's view, as the projector keeps it (domain/organization/projection.py): its own
items in the data table, every key starting with the organization and the mode, so one
organization's (or mode's) view can never be read with another's keys.

Under a customer (one partition): INDEX (what the lists show: pool, email, name, the accounts it
has dealt with), SUMMARY (totals per account and currency, card usage, the newest payments per
account) and ACCT#<account> (one per account that dealt with it: the `account` filter's index).
A payment (PAY, one per payment intent, with its refunds inside) and a refund (RE) each have their
own key. Markers of the events already applied live in the events table, whose TTL ages them out
after the retention window (no redelivery comes that late: SQS keeps a message 14 days at most).
"""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage import payments as payments_store
from orgshare.storage.dynamo import batch_get, client, from_item, key, query_range, to_item, versioned_put
from orgshare.storage.months import month_of, query_months

BY_MONTH_INDEX = "by_created"
BY_FIELD_INDEX = "by_field"
INDEX_SK, SUMMARY_SK, PAY_SK, REFUND_SK, MARKER_SK = "INDEX", "SUMMARY", "PAY", "RE", "APPLIED"


def _table() -> str:
    return get_settings().data_table


def prefix(org: str, mode: str) -> str:
    return f"ORGV#{org}#{mode}"


def customer_pk(org: str, mode: str, customer: str) -> str:
    return f"{prefix(org, mode)}#CUS#{customer}"


def link_sk(account: str) -> str:
    return f"ACCT#{account}"


def customers_by_month_pk(org: str, mode: str, month: str) -> str:
    return f"{prefix(org, mode)}#CUS#M#{month}"


def customers_by_email_pk(org: str, mode: str, email: str) -> str:
    return f"{prefix(org, mode)}#CUS#E#{email.lower()}"


def account_customers_pk(org: str, mode: str, account: str, month: str) -> str:
    return f"{prefix(org, mode)}#ACCT#{account}#CUS#M#{month}"


def payment_pk(org: str, mode: str, intent: str) -> str:
    return f"{prefix(org, mode)}#PI#{intent}"


def payments_by_month_pk(org: str, mode: str, month: str) -> str:
    return f"{prefix(org, mode)}#PI#M#{month}"


def payments_by_customer_pk(org: str, mode: str, customer: str) -> str:
    return f"{prefix(org, mode)}#PI#C#{customer}"


def refund_pk(org: str, mode: str, refund: str) -> str:
    return f"{prefix(org, mode)}#RE#{refund}"


def refunds_by_month_pk(org: str, mode: str, month: str) -> str:
    return f"{prefix(org, mode)}#RE#M#{month}"


def account_refunds_pk(org: str, mode: str, account: str, month: str) -> str:
    return f"{prefix(org, mode)}#ACCT#{account}#RE#M#{month}"


def marker_pk(org: str, mode: str, event: str) -> str:
    return f"{prefix(org, mode)}#EVT#{event}"


# ---------------------------------------------------------------- the projector's reads and writes
def load(org: str, mode: str, event: str, *, payment: str | None, customers: list[str]) -> dict[str, Any]:
    """One BatchGetItem over both tables: whether `event` was applied, the payment's item and each
    customer's INDEX and SUMMARY. {"applied": bool, "payment": item|None, "index": {cus: item},
    "summary": {cus: item}} (consistent reads: they guard the conditional writes)."""
    data: list[dict[str, Any]] = [key(customer_pk(org, mode, c), sk) for c in customers for sk in (INDEX_SK, SUMMARY_SK)]
    if payment is not None:
        data.append(key(payment_pk(org, mode, payment), PAY_SK))
    settings = get_settings()
    request: dict[str, Any] = {settings.events_table: {"Keys": [key(marker_pk(org, mode, event), MARKER_SK)], "ConsistentRead": True}}
    if data:
        request[settings.data_table] = {"Keys": data, "ConsistentRead": True}
    found: list[dict[str, Any]] = []
    applied = False
    while request:
        answer = client().batch_get_item(RequestItems=request)
        applied = applied or bool(answer["Responses"].get(settings.events_table))
        found += [from_item(raw) for raw in answer["Responses"].get(settings.data_table, [])]
        request = answer.get("UnprocessedKeys") or {}
    loaded: dict[str, Any] = {"applied": applied, "payment": None, "index": {}, "summary": {}}
    for item in found:
        if item["sk"] == PAY_SK:
            loaded["payment"] = item
        else:
            loaded["index" if item["sk"] == INDEX_SK else "summary"][item["pk"].rsplit("#", 1)[1]] = item
    return loaded


def _indexed(values: dict[str, Any], pk: str, sk: str, indexes: dict[str, str]) -> dict[str, Any]:
    """An item (without the stored keys it was read with) at pk/sk with the given index keys."""
    plain = {k: v for k, v in values.items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")}
    return {**to_item({**plain, **indexes}), **key(pk, sk)}


def _versioned(item: dict[str, Any], read_version: int | None) -> dict[str, Any]:
    return versioned_put(_table(), item, read_version)


def index_put(org: str, mode: str, index: dict[str, Any], read_version: int | None) -> dict[str, Any]:
    """A customer's INDEX: listed (by month, and by email) once its pool is known and while it is not deleted."""
    cus = index["id"]
    indexes: dict[str, str] = {}
    if index.get("pool") and not index.get("deleted"):
        indexes = {"gsi1pk": customers_by_month_pk(org, mode, month_of(cus)), "gsi1sk": cus}
        if index.get("email"):
            indexes |= {"gsi2pk": customers_by_email_pk(org, mode, index["email"]), "gsi2sk": cus}
    return _versioned(_indexed(index, customer_pk(org, mode, cus), INDEX_SK, indexes), read_version)


def summary_put(org: str, mode: str, summary: dict[str, Any], read_version: int | None) -> dict[str, Any]:
    return _versioned(_indexed(summary, customer_pk(org, mode, summary["id"]), SUMMARY_SK, {}), read_version)


def link_put(org: str, mode: str, customer: str, account: str) -> dict[str, Any]:
    indexes = {"gsi1pk": account_customers_pk(org, mode, account, month_of(customer)), "gsi1sk": customer}
    item = _indexed({"id": customer, "account": account}, customer_pk(org, mode, customer), link_sk(account), indexes)
    return {"Put": {"TableName": _table(), "Item": item}}


def link_delete(org: str, mode: str, customer: str, account: str) -> dict[str, Any]:
    return {"Delete": {"TableName": _table(), "Key": key(customer_pk(org, mode, customer), link_sk(account))}}


def payment_put(org: str, mode: str, payment: dict[str, Any], read_version: int | None) -> dict[str, Any]:
    """A payment: listed by month once its intent is known, and under its customer if it has one."""
    pi = payment["id"]
    indexes: dict[str, str] = {}
    if payment.get("intent"):
        indexes = {"gsi1pk": payments_by_month_pk(org, mode, month_of(pi)), "gsi1sk": pi}
        if payment.get("customer"):
            indexes |= {"gsi2pk": payments_by_customer_pk(org, mode, payment["customer"]), "gsi2sk": pi}
    return _versioned(_indexed(payment, payment_pk(org, mode, pi), PAY_SK, indexes), read_version)


def refund_put(org: str, mode: str, refund: dict[str, Any]) -> dict[str, Any]:
    """A refund (immutable once succeeded: a redelivery writes the same item again)."""
    re, account = refund["id"], refund["account"]
    indexes = {"gsi1pk": refunds_by_month_pk(org, mode, month_of(re)), "gsi1sk": re,
               "gsi2pk": account_refunds_pk(org, mode, account, month_of(re)), "gsi2sk": re}  # fmt: skip
    return {"Put": {"TableName": _table(), "Item": _indexed(refund, refund_pk(org, mode, re), REFUND_SK, indexes)}}


def marker_put(org: str, mode: str, event: str, expires_at: int) -> dict[str, Any]:
    """The event's marker: only if absent, so a concurrent second delivery's transaction fails whole."""
    item = {**to_item({"expires_at": expires_at}), **key(marker_pk(org, mode, event), MARKER_SK)}
    return {"Put": {"TableName": get_settings().events_table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


# ---------------------------------------------------------------- the view's reads
def get_view(org: str, mode: str, customer: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A customer's INDEX and SUMMARY: one BatchGetItem."""
    pk = customer_pk(org, mode, customer)
    answer = client().batch_get_item(RequestItems={_table(): {"Keys": [key(pk, INDEX_SK), key(pk, SUMMARY_SK)]}})
    found = {i["sk"]: i for i in (from_item(raw) for raw in answer["Responses"].get(_table(), []))}
    return found.get(INDEX_SK), found.get(SUMMARY_SK)


def get_indexes(org: str, mode: str, customers: list[str]) -> dict[str, dict[str, Any]]:
    """INDEX items of up to 100 customers, by id (one BatchGetItem, plus any unprocessed keys)."""
    request: dict[str, Any] = {_table(): {"Keys": [key(customer_pk(org, mode, c), INDEX_SK) for c in customers]}} if customers else {}
    found: dict[str, dict[str, Any]] = {}
    while request:
        answer = client().batch_get_item(RequestItems=request)
        found |= {i["id"]: i for i in (from_item(raw) for raw in answer["Responses"].get(_table(), []))}
        request = answer.get("UnprocessedKeys") or {}
    return found


def get_payment(org: str, mode: str, intent: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=key(payment_pk(org, mode, intent), PAY_SK))
    return from_item(answer["Item"]) if "Item" in answer else None


def current(org: str, mode: str, refs: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The accounts' own items (storage/payments.py) behind up to 100 projected payment intents or
    refunds, by id: `refs` are (account, pi_... or re_...) pairs. The view's copies keep no
    personal data; the lists show these items, as they are now (an erasure's redactions too)."""
    wanted = {
        ref: payments_store.intent_key(org, ref[0], mode, ref[1]) if ref[1].startswith("pi_")
        else key(keys.refund_pk(org, ref[0], mode, ref[1]), keys.refund_sk(ref[1]))
        for ref in refs
    }  # fmt: skip
    return {str(item["id"]): item for item in batch_get(_table(), list(wanted.values()))}


Bounds = dict[str, Any]  # after, before (exclusive ids), oldest_ms, now_ms, limit


def customers_page(org: str, mode: str, *, email: str | None, account: str | None, bounds: Bounds) -> list[dict[str, Any]]:
    """INDEX items (or, by account, its ACCT# links) with ids strictly between the cursors, newest
    first unless only `after` is set."""
    if email is not None:
        descending = bounds["after"] is None or bounds["before"] is not None
        return query_range(
            _table(), ("gsi2pk", customers_by_email_pk(org, mode, email)), "gsi2sk", index=BY_FIELD_INDEX,
            after=bounds["after"], before=bounds["before"], descending=descending, limit=bounds["limit"],
        )  # fmt: skip
    if account is not None:
        return query_months(_table(), ("gsi1pk", lambda m: account_customers_pk(org, mode, account, m)), "gsi1sk", index=BY_MONTH_INDEX,
                            **bounds)  # fmt: skip
    return query_months(_table(), ("gsi1pk", lambda m: customers_by_month_pk(org, mode, m)), "gsi1sk", index=BY_MONTH_INDEX, **bounds)


def payments_page(org: str, mode: str, *, customer: str | None, bounds: Bounds) -> list[dict[str, Any]]:
    if customer is not None:
        descending = bounds["after"] is None or bounds["before"] is not None
        return query_range(
            _table(), ("gsi2pk", payments_by_customer_pk(org, mode, customer)), "gsi2sk", index=BY_FIELD_INDEX,
            after=bounds["after"], before=bounds["before"], descending=descending, limit=bounds["limit"],
        )  # fmt: skip
    return query_months(_table(), ("gsi1pk", lambda m: payments_by_month_pk(org, mode, m)), "gsi1sk", index=BY_MONTH_INDEX, **bounds)


def refunds_page(org: str, mode: str, *, account: str | None, bounds: Bounds) -> list[dict[str, Any]]:
    if account is not None:
        return query_months(_table(), ("gsi2pk", lambda m: account_refunds_pk(org, mode, account, m)), "gsi2sk", index=BY_FIELD_INDEX,
                            **bounds)  # fmt: skip
    return query_months(_table(), ("gsi1pk", lambda m: refunds_by_month_pk(org, mode, m)), "gsi1sk", index=BY_MONTH_INDEX, **bounds)
