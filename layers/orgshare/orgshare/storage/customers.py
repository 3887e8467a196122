"""Customers of a pool: a shared item, per-account overlay items, and list indexes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, client, from_item, key, query_range, to_item, transact, versioned_put
from orgshare.storage.keys import PoolScope
from orgshare.storage.outbox import change_put

BY_MONTH_INDEX = "by_created"
BY_EMAIL_INDEX = "by_field"


def _table() -> str:
    return get_settings().data_table


def _month(object_id: str) -> str:
    ms = id_time_ms(object_id) or 0
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y%m")


def _shared_item(scope: PoolScope, shared: dict[str, Any]) -> dict[str, Any]:
    cus = shared["id"]
    item = {"pk": keys.customer_pk(scope, cus), "sk": keys.CUSTOMER_SK, **shared}
    item["overlays"] = item.get("overlays") or None  # DynamoDB refuses an empty set
    if not shared.get("deleted"):
        # Tombstones carry no index keys, so the sparse indexes list live customers only.
        item["gsi1pk"], item["gsi1sk"] = keys.customers_by_month_pk(scope, _month(cus)), cus
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
) -> None:
    """Writes the shared item (new when expected_version is None, else only if unchanged since
    read), each overlay given (None deletes it) and the change's outbox record, atomically;
    ConditionFailed if the customer changed since it was read."""
    items = [versioned_put(_table(), to_item(_shared_item(scope, shared)), expected_version)]
    items += [_overlay_write(scope, shared["id"], account, overlay) for account, overlay in overlays.items()]
    items += extra or []
    items.append(change_put(change))
    transact(items)


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


def _months(newest: str, oldest: str, *, descending: bool) -> Iterator[str]:
    year, month = (int(newest[:4]), int(newest[4:])) if descending else (int(oldest[:4]), int(oldest[4:]))
    stop = oldest if descending else newest
    while True:
        current = f"{year:04d}{month:02d}"
        yield current
        if current == stop:
            return
        month += -1 if descending else 1
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1


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
    newest = _month(before) if before else _month_of_ms(now_ms)
    oldest = _month(after) if after else _month_of_ms(pool_created_ms)
    found: list[dict[str, Any]] = []
    if oldest > newest:  # a cursor from the future, or a clock skew: nothing can lie between
        return found
    for month in _months(newest, oldest, descending=descending):
        found += query_range(
            _table(),
            ("gsi1pk", keys.customers_by_month_pk(scope, month)),
            "gsi1sk",
            index=BY_MONTH_INDEX,
            after=after,
            before=before,
            descending=descending,
            limit=limit - len(found),
        )
        if len(found) >= limit:
            break
    return found


def _month_of_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y%m")
