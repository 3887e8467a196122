"""Payment intents and refunds, keyed by the account that made them, and card usage records in
the card's own partition (charges: storage/charges.py)."""

from __future__ import annotations

from typing import Any

from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import keys, receipts
from orgshare.storage.dynamo import batch_get, key, query_range, to_item, versioned_put
from orgshare.storage.keys import PoolScope
from orgshare.storage.months import month_of, query_months
from orgshare.storage.outbox import change_put


def _table() -> str:
    return get_settings().data_table


def intent_key(org: str, account: str, mode: str, intent: str) -> dict[str, Any]:
    return key(keys.payment_intent_pk(org, account, mode, intent), keys.PAYMENT_INTENT_SK)


BY_CUSTOMER_INDEX = "by_field"


def intents_by_customer_pk(org: str, account: str, mode: str, customer: str) -> str:
    """An account's payment intents for one customer (the second index): what an erasure redacts."""
    return f"{keys.account_prefix(org, account, mode)}#PI#C#{customer}"


def intent_put(intent: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    org, account, mode = intent["org"], intent["account"], intent["mode"]
    index: dict[str, Any] = {"gsi1pk": keys.payment_intents_by_month_pk(org, account, mode, month_of(intent["id"])), "gsi1sk": intent["id"]}
    customer = intent.get("customer")
    index |= {"gsi2pk": intents_by_customer_pk(org, account, mode, customer), "gsi2sk": intent["id"]} if customer else {"gsi2pk": None}
    return versioned_put(_table(), {**to_item({**intent, **index}), **intent_key(org, account, mode, intent["id"])}, expected_version)


def refund_claim(intent: dict[str, Any], amount: int, max_refunds: int) -> dict[str, Any]:
    """A transaction write: `amount` added to a succeeded intent's refunded total, only while the
    total stays within what was received, and one more refund counted while there are fewer than
    `max_refunds` (each is kept inside its charge's item, which must stay small). Atomic in
    DynamoDB, so concurrent refunds need no retry."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": intent_key(intent["org"], intent["account"], intent["mode"], intent["id"]),
            "UpdateExpression": "SET amount_refunded = amount_refunded + :amount, version = version + :one, "
                                "refund_count = if_not_exists(refund_count, :zero) + :one",
            "ConditionExpression": "#status = :succeeded AND amount_refunded <= :limit "
                                   "AND (attribute_not_exists(refund_count) OR refund_count < :max)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":amount": {"N": str(amount)}, ":one": {"N": "1"}, ":zero": {"N": "0"}, ":succeeded": {"S": "succeeded"},
                ":limit": {"N": str(intent["amount_received"] - amount)}, ":max": {"N": str(max_refunds)},
            },
        }
    }  # fmt: skip


def refund_release(intent: dict[str, Any], amount: int) -> dict[str, Any]:
    """A transaction write giving back what refund_claim took (the processor did not refund)."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": intent_key(intent["org"], intent["account"], intent["mode"], intent["id"]),
            "UpdateExpression": "SET amount_refunded = amount_refunded - :amount, version = version + :one",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {":amount": {"N": str(amount)}, ":one": {"N": "1"}},
        }
    }


def refund_put(refund: dict[str, Any]) -> dict[str, Any]:
    """The refund under its own id (lists of refunds read its charge, which holds a copy)."""
    own = key(keys.refund_pk(refund["org"], refund["account"], refund["mode"], refund["id"]), keys.refund_sk(refund["id"]))
    return {"Put": {"TableName": _table(), "Item": {**to_item(refund), **own}}}


def refund_update(refund: dict[str, Any], expected_version: int) -> dict[str, Any]:
    """The refund replaced only if still at `expected_version` (a refund written before versions
    were kept counts as version 0), so concurrent updates never lose each other's metadata."""
    put = refund_put(refund)["Put"]
    unversioned = " OR attribute_not_exists(version)" if expected_version == 0 else ""
    put["ConditionExpression"] = f"attribute_exists(pk) AND (version = :v{unversioned})"
    put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
    return {"Put": put}


def usage_put(scope: PoolScope, payment_method: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": _table(),
            "Item": {**to_item(usage), **key(keys.card_pk(scope, payment_method), keys.usage_sk(usage.get("charge") or usage["id"]))},
        }
    }


def commit(writes: list[dict[str, Any]], changes: list[dict[str, Any]], answer: dict[str, Any] | None = None) -> None:
    """The writes of one payment step and their change records, in one transaction; with the
    request's `answer`, its Idempotency-Key's record too (storage/receipts.py)."""
    receipts.transact([*writes, *(change_put(c) for c in changes)], answer)


def get_intent(org: str, account: str, mode: str, intent: str) -> dict[str, Any] | None:
    if id_time_ms(intent) is None:
        return None
    found = batch_get(_table(), [intent_key(org, account, mode, intent)], consistent=True)
    return found[0] if found else None


def get_refund(org: str, account: str, mode: str, refund: str) -> dict[str, Any] | None:
    if id_time_ms(refund) is None:
        return None
    found = batch_get(_table(), [key(keys.refund_pk(org, account, mode, refund), keys.refund_sk(refund))], consistent=True)
    return found[0] if found else None


def list_intents(
    org: str, account: str, mode: str, *, limit: int, after: str | None, before: str | None, oldest_ms: int, now_ms: int
) -> list[dict[str, Any]]:
    """The account's payment intents with ids strictly between after and before, by month bucket,
    reading only the months from `oldest_ms` to `now_ms` (a created range narrows both)."""
    return query_months(
        _table(), ("gsi1pk", lambda month: keys.payment_intents_by_month_pk(org, account, mode, month)), "gsi1sk", index="by_created",
        after=after, before=before, oldest_ms=oldest_ms, now_ms=now_ms, limit=limit,
    )  # fmt: skip


def customer_intents(
    org: str, account: str, mode: str, customer: str, *, limit: int, after: str | None, before: str | None = None, descending: bool = False
) -> list[dict[str, Any]]:
    """Up to `limit` of the account's payment intents for one customer with ids strictly between
    the cursors, oldest first (or newest, `descending`): one Query of the customer's index."""
    return query_range(
        _table(), ("gsi2pk", intents_by_customer_pk(org, account, mode, customer)), "gsi2sk", index=BY_CUSTOMER_INDEX,
        after=after, before=before, descending=descending, limit=limit,
    )  # fmt: skip


def usage_of(
    scope: PoolScope, payment_method: str, *, limit: int, after: str | None, before: str | None, descending: bool
) -> list[dict[str, Any]]:
    """A card's charges across the pool, by charge id (time-sortable), strictly between the cursors."""
    return query_range(
        _table(), ("pk", keys.card_pk(scope, payment_method)), "sk", prefix=keys.usage_sk(""),
        after=keys.usage_sk(after) if after else None, before=keys.usage_sk(before) if before else None,
        descending=descending, limit=limit,
    )  # fmt: skip
