"""Customers of a pool: a shared item, per-account overlay items, and list indexes."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys, receipts
from orgshare.storage.dynamo import batch_get, client, from_item, key, query_range, to_item, versioned_put
from orgshare.storage.keys import PoolScope
from orgshare.storage.months import month_of, query_months
from orgshare.storage.outbox import change_put

BY_MONTH_INDEX = "by_created"
BY_EMAIL_INDEX = "by_field"


def _table() -> str:
    return get_settings().data_table


def _shared_item(scope: PoolScope, shared: dict[str, Any]) -> dict[str, Any]:
    cus = shared["id"]
    item = {"pk": keys.customer_pk(scope, cus), "sk": keys.CUSTOMER_SK, **shared}
    item["overlays"] = item.get("overlays") or None  # DynamoDB refuses an empty set
    if not shared.get("deleted"):
        # Tombstones carry no index keys, so the sparse indexes list live customers only.
        item["gsi1pk"], item["gsi1sk"] = keys.customers_by_month_pk(scope, month_of(cus)), cus
        if shared.get("email"):
            item["gsi2pk"], item["gsi2sk"] = keys.customers_by_email_pk(scope, shared["email"]), cus
    return item


def _overlay_write(scope: PoolScope, cus: str, account: str, overlay: dict[str, Any] | None) -> dict[str, Any]:
    k = key(keys.customer_pk(scope, cus), keys.overlay_sk(account))
    if overlay:
        return {"Put": {"TableName": _table(), "Item": {**k, **to_item(overlay)}}}
    return {"Delete": {"TableName": _table(), "Key": k}}


def save(
    scope: PoolScope,
    shared: dict[str, Any],
    overlays: dict[str, dict[str, Any] | None],
    change: dict[str, Any],
    *,
    expected_version: int | None,
    extra: list[dict[str, Any]] | None = None,
    answer: dict[str, Any],
) -> None:
    """Writes the shared item (new when expected_version is None, else only if unchanged since
    read), each overlay given (None deletes it), the change's outbox record and the request's
    receipt with its `answer`, atomically; ConditionFailed if the customer changed since it was
    read, Recorded if the request's key was used first."""
    items = [versioned_put(_table(), to_item(_shared_item(scope, shared)), expected_version)]
    items += [_overlay_write(scope, shared["id"], account, overlay) for account, overlay in overlays.items()]
    items += extra or []
    items.append(change_put(change))
    receipts.transact(items, answer)


def get(scope: PoolScope, cus: str, account: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The shared item and this account's overlay, in one BatchGetItem."""
    pk = keys.customer_pk(scope, cus)
    found = {
        item["sk"]: item for item in batch_get(_table(), [key(pk, keys.CUSTOMER_SK), key(pk, keys.overlay_sk(account))], consistent=True)
    }
    return found.get(keys.CUSTOMER_SK), found.get(keys.overlay_sk(account))


def partition(scope: PoolScope, cus: str, *, prefix: str = "") -> list[dict[str, Any]]:
    """The items under a customer whose sort key starts with `prefix`: its shared item,
    overlays (ACCT#) and payment method copies (PM#, XPM#), consistently read."""
    params: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)" if prefix else "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.customer_pk(scope, cus)}, **({":prefix": {"S": prefix}} if prefix else {})},
        "ConsistentRead": True,
    }
    items: list[dict[str, Any]] = []
    while True:
        answer = client().query(**params)
        items += [from_item(raw) for raw in answer.get("Items", [])]
        if "LastEvaluatedKey" not in answer:
            return items
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def overlays_of(scope: PoolScope, cus: str, accounts: list[str]) -> dict[str, dict[str, Any]]:
    """The overlays several accounts have on one customer, by account (BatchGetItem, 100 a call)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(accounts), 100):
        wanted = [key(keys.customer_pk(scope, cus), keys.overlay_sk(a)) for a in accounts[start : start + 100]]
        found |= {item["sk"].removeprefix("ACCT#"): item for item in batch_get(_table(), wanted)}
    return found


def get_overlays(scope: PoolScope, customers: list[str], account: str) -> dict[str, dict[str, Any]]:
    """This account's overlays of up to 100 customers, by customer id, in one BatchGetItem."""
    wanted = [key(keys.customer_pk(scope, cus), keys.overlay_sk(account)) for cus in customers]
    return {item["pk"].rsplit("#", 1)[1]: item for item in batch_get(_table(), wanted)}


def list_page(
    scope: PoolScope,
    *,
    limit: int,
    after: str | None,
    before: str | None,
    email: str | None,
    pool_created_ms: int,
    now_ms: int,
) -> list[dict[str, Any]]:
    """Shared items, up to `limit`, with ids strictly between `after` and `before`; newest first
    unless only `after` is set (then oldest first, as ending_before pages forward)."""
    descending = after is None or before is not None
    if email is not None:
        return query_range(
            _table(),
            ("gsi2pk", keys.customers_by_email_pk(scope, email)),
            "gsi2sk",
            index=BY_EMAIL_INDEX,
            after=after,
            before=before,
            descending=descending,
            limit=limit,
        )
    return query_months(
        _table(), ("gsi1pk", lambda month: keys.customers_by_month_pk(scope, month)), "gsi1sk", index=BY_MONTH_INDEX,
        after=after, before=before, oldest_ms=pool_created_ms, now_ms=now_ms, limit=limit,
    )  # fmt: skip
