"""Moving a pool's items into another pool: reading what a customer is made of in the pool it
leaves, and the conditional transactions that move it.

Only a sharing enablement's movers touch the pool an account leaves once it has switched (no
request resolves to it any more), so a move's conditions guard against other movers only: every
new item must not exist yet, every old one must still be there as read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.customers import BY_EMAIL_INDEX, BY_MONTH_INDEX, partition
from orgshare.storage.dynamo import batch_get, client, from_item, key, query_range, to_item, transact
from orgshare.storage.keys import PoolScope

_READERS = 16  # partitions read at once (threads; boto3 clients are thread-safe)


def _table() -> str:
    return get_settings().data_table


def unmoved_customers(scope: PoolScope, month: str, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` live customers of one month of a pool, oldest first, ids after `after`: one
    Query of the month index. Moved customers leave the index (their marker has no index keys)."""
    pk = ("gsi1pk", keys.customers_by_month_pk(scope, month))
    return query_range(_table(), pk, "gsi1sk", index=BY_MONTH_INDEX, after=after, descending=False, limit=limit)


def count_customers(scope: PoolScope, month: str, start: dict[str, Any] | None, pages: int) -> tuple[int, dict[str, Any] | None, int]:
    """How many live customers one month of a pool holds, reading at most `pages` pages of the
    index from `start` (a COUNT query: no items come back); where to go on, if not done; and how
    many pages it read."""
    params: dict[str, Any] = {
        "TableName": _table(), "IndexName": BY_MONTH_INDEX, "Select": "COUNT",
        "KeyConditionExpression": "gsi1pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.customers_by_month_pk(scope, month)}},
    }  # fmt: skip
    if start:
        params["ExclusiveStartKey"] = start
    total = 0
    for page in range(1, pages + 1):
        answer = client().query(**params)
        total += int(answer.get("Count", 0))
        if "LastEvaluatedKey" not in answer:
            return total, None, page
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return total, params["ExclusiveStartKey"], pages


def _card_partition(scope: PoolScope, pm: str) -> list[dict[str, Any]]:
    """A card's item and its usage records (the audit trail of where it was used)."""
    params: dict[str, Any] = {
        "TableName": _table(), "KeyConditionExpression": "pk = :pk", "ConsistentRead": True,
        "ExpressionAttributeValues": {":pk": {"S": keys.card_pk(scope, pm)}},
    }  # fmt: skip
    items: list[dict[str, Any]] = []
    while True:  # all of it, page by page, however long its trail
        answer = client().query(**params)
        items += [from_item(raw) for raw in answer.get("Items", [])]
        if "LastEvaluatedKey" not in answer:
            return items
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def customer_items(scope: PoolScope, customers: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every item that makes up each customer in `scope`: its partition (shared item, overlays,
    payment method copies), each attached card's partition, and each attached non-card method.
    Partitions are read concurrently, the non-card methods in one BatchGetItem."""
    with ThreadPoolExecutor(max_workers=_READERS) as pool:
        partitions = dict(zip(customers, pool.map(lambda cus: partition(scope, cus), customers), strict=True))
        cards = [(cus, i["sk"].removeprefix("PM#")) for cus, items in partitions.items() for i in items if i["sk"].startswith("PM#")]
        card_items = list(pool.map(lambda pair: _card_partition(scope, pair[1]), cards))
    found = {cus: list(items) for cus, items in partitions.items()}
    for (cus, _pm), items in zip(cards, card_items, strict=True):
        found[cus] += items
    private = [(cus, i) for cus, items in partitions.items() for i in items if i["sk"].startswith("XPM#")]
    wanted = [key(keys.private_pm_pk(scope, i["owner"], i["id"]), keys.PM_SK) for _cus, i in private]
    by_pk = {
        item["pk"]: item
        for start in range(0, len(wanted), 100)
        for item in batch_get(_table(), wanted[start : start + 100], consistent=True)
    }
    for cus, link in private:
        canonical = by_pk.get(keys.private_pm_pk(scope, link["owner"], link["id"]))
        if canonical is not None:
            found[cus].append(canonical)
    return found


def method(scope: PoolScope, account: str, pm: str) -> dict[str, Any] | None:
    """A payment method in `scope`: a card of the pool (one attached to a customer), or one of the
    account's own (an unattached card, another type); one BatchGetItem."""
    wanted = [key(keys.card_pk(scope, pm), keys.PM_SK), key(keys.private_pm_pk(scope, account, pm), keys.PM_SK)]
    return next(iter(batch_get(_table(), wanted, consistent=True)), None)


def live_customers(scope: PoolScope, customers: list[str]) -> dict[str, str | None]:
    """Which of these customers are live in `scope`, each with its email: BatchGetItem, 100 a call."""
    found: dict[str, str | None] = {}
    for start in range(0, len(customers), 100):
        wanted = [key(keys.customer_pk(scope, cus), keys.CUSTOMER_SK) for cus in customers[start : start + 100]]
        found |= {
            i["id"]: i.get("email") for i in batch_get(_table(), wanted, consistent=True) if not i.get("deleted") and "moved_to" not in i
        }
    return found


def put_new(item: dict[str, Any]) -> dict[str, Any]:
    """A moved item at its new key, only if nothing is there yet."""
    return {"Put": {"TableName": _table(), "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def replace_old(old: dict[str, Any], marker: dict[str, Any] | None) -> dict[str, Any]:
    """The item left behind: a marker saying where it went (a customer's shared item), or nothing;
    only if it is still as it was read."""
    where = key(old["pk"], old["sk"])
    if "version" in old:
        condition, values = "version = :v", {":v": {"N": str(old["version"])}}
    else:
        condition, values = "attribute_exists(pk)", {}
    if marker is not None:
        put = {"TableName": _table(), "Item": {**to_item(marker), **where}, "ConditionExpression": condition}
        return {"Put": put | ({"ExpressionAttributeValues": values} if values else {})}
    delete = {"TableName": _table(), "Key": where, "ConditionExpression": condition}
    return {"Delete": delete | ({"ExpressionAttributeValues": values} if values else {})}


def move(writes: list[dict[str, Any]]) -> None:
    """One move: all of `writes` or none (ConditionFailed if another mover got there first)."""
    transact(writes)


def customers_with_email(scope: PoolScope, email: str, limit: int = 20) -> list[str]:
    """Ids of a pool's live customers with this email (the email index: one Query)."""
    pk = ("gsi2pk", keys.customers_by_email_pk(scope, email))
    return [i["id"] for i in query_range(_table(), pk, "gsi2sk", index=BY_EMAIL_INDEX, descending=False, limit=limit)]
