"""The DynamoDB client, configured once, and item (de)serialisation."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

from orgshare.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@lru_cache(maxsize=1)
def client() -> DynamoDBClient:
    # Standard retry mode backs off on throttling; short timeouts keep a request inside API Gateway's 29 s.
    config = Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=get_settings().aws_read_timeout_seconds
    )
    return boto3.client("dynamodb", config=config)


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python values to a DynamoDB item; None values are left out (DynamoDB has no use for them)."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def to_value(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], _serializer.serialize(value))


def versioned_put(table: str, item: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    """A transaction Put (an item already in DynamoDB's format) that creates the item when
    `expected_version` is None, and otherwise replaces it only if it is still at that version."""
    put: dict[str, Any] = {"TableName": table, "Item": item}
    if expected_version is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
    return {"Put": put}


class ConditionFailed(Exception):
    """A transaction was cancelled: one of its conditions did not hold (or a write raced it).
    `reasons`: DynamoDB's, one per item in order ({"Code": ..., "Item": ...} where asked for)."""

    def __init__(self, reasons: list[dict[str, Any]] | None = None) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons or []


# A transaction of one write costs twice the write units of the same write on its own. Only a Put
# goes alone: a retried Put can tell its own item (below), a retried Update or Delete could not tell
# its own effect from another writer's, and a transaction's ClientRequestToken makes its retry safe.
def transact(items: list[dict[str, Any]]) -> None:
    """All of `items` or none: one TransactWriteItems, or for a single Put a conditional PutItem
    (the same parameters). A failed condition is ConditionFailed either way, its reasons as a
    transaction's (the item met, if asked for)."""
    if len(items) == 1 and "Put" in items[0]:
        _put_alone(items[0]["Put"])
        return
    try:
        client().transact_write_items(TransactItems=cast(Any, items))
    except client().exceptions.TransactionCanceledException as exc:
        raise ConditionFailed(cast(list[dict[str, Any]], exc.response.get("CancellationReasons") or [])) from exc


def met_its_own_put(failed: Exception, put: dict[str, Any]) -> bool:
    """Whether a conditional Put (asked for ALL_OLD) failed only on its own first attempt: botocore
    retried it after a lost answer (a read timeout), and the item met is the one it wrote."""
    answer = cast(dict[str, Any], getattr(failed, "response", {}))
    return bool(answer.get("ResponseMetadata", {}).get("RetryAttempts", 0)) and answer.get("Item") == put["Item"]


def _put_alone(put: dict[str, Any]) -> None:
    try:
        client().put_item(**{"ReturnValuesOnConditionCheckFailure": "ALL_OLD", **put})
    except client().exceptions.ConditionalCheckFailedException as exc:
        if met_its_own_put(exc, put):
            return
        met = cast(dict[str, Any], exc.response).get("Item")
        reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": str(exc)}
        if met is not None and put.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
            reason["Item"] = met
        raise ConditionFailed([reason]) from exc
    except client().exceptions.TransactionConflictException as exc:  # a transaction holds the item right now
        raise ConditionFailed([{"Code": "TransactionConflict", "Message": str(exc)}]) from exc


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def batch_get(table: str, keys: list[dict[str, Any]], *, consistent: bool = False) -> list[dict[str, Any]]:
    """The items found at up to 100 keys of one table: one BatchGetItem, plus a retry for any
    keys DynamoDB leaves unprocessed."""
    request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": consistent}} if keys else {}
    found: list[dict[str, Any]] = []
    while request:
        answer = client().batch_get_item(RequestItems=request)
        found += [from_item(raw) for raw in answer["Responses"].get(table, [])]
        request = answer.get("UnprocessedKeys") or {}
    return found


def query_range(
    table: str,
    pk: tuple[str, str],
    sk_name: str,
    *,
    index: str | None = None,
    prefix: str = "",
    low: str | None = None,
    high: str | None = None,
    after: str | None = None,
    before: str | None = None,
    descending: bool = True,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` items of one partition whose sort key lies between `low` and `high`
    (inclusive; by default the keys starting with `prefix`) and strictly between the cursors
    `after` and `before`, in sort-key order (descending by default). One round trip unless
    DynamoDB pages the answer (1 MB)."""
    low = after if after is not None else (low if low is not None else prefix)
    high = before if before is not None else (high if high is not None else prefix + "\uffff")
    names = {"#pk": pk[0]}
    values: dict[str, Any] = {":pk": {"S": pk[1]}}
    condition = "#pk = :pk"
    if low:  # DynamoDB refuses empty strings in key conditions; no lower bound needs none
        condition += " AND #sk BETWEEN :low AND :high"
        names["#sk"], values[":low"], values[":high"] = sk_name, {"S": low}, {"S": high}
    elif high != "\uffff":  # an upper bound without a lower one
        condition += " AND #sk <= :high"
        names["#sk"], values[":high"] = sk_name, {"S": high}
    params: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not descending,
        # Bounds are inclusive: one more item in case a cursor itself comes back.
        "Limit": limit + 1,
    }
    if index:
        params["IndexName"] = index
    items: list[dict[str, Any]] = []
    while True:
        answer = client().query(**params)
        for raw in answer.get("Items", []):
            sort_key = raw[sk_name]["S"]
            if sort_key in (after, before):
                continue
            items.append(from_item(raw))
        last = answer.get("LastEvaluatedKey")
        if len(items) >= limit or not last:
            return items[:limit]
        params["ExclusiveStartKey"] = last
