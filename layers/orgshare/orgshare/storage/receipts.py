"""A request's idempotency record written inside its own change's transaction (a receipt), so a
write that calls no processor is one round trip, record and event included, and a retry of it is
answered from the record the cancelled transaction returns.

The item has the attributes of powertools' DynamoDB persistence layer (storage/idempotency.py), in
the same table and under the same ids, so either path reads the other's records. What goes in it is
decided in domain/idempotency.py; this module only puts and reads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from orgshare.settings import get_settings
from orgshare.storage import dynamo
from orgshare.storage.dynamo import ConditionFailed, client, from_item


@dataclass
class Receipt:
    """What a request will record once its change commits. `encode` turns its answer into the
    stored text; `recorded` is the text a write carried (None until one did): text, not the answer
    itself, which the request may still change in place (an expansion)."""

    record_id: str
    validation: str
    expires_at: int
    encode: Callable[[dict[str, Any]], str]
    recorded: str | None = field(default=None)


class Recorded(Exception):
    """An earlier request with the same key recorded first: its record (id, status, data, validation, ...)."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__("idempotency record exists")
        self.record = record


_pending: ContextVar[Receipt | None] = ContextVar("orgshare_receipt", default=None)


@contextmanager
def expecting(receipt: Receipt) -> Iterator[Receipt]:
    """Inside the block, the first `transact` given an answer records `receipt` with it."""
    token = _pending.set(receipt)
    try:
        yield receipt
    finally:
        _pending.reset(token)


def _put(receipt: Receipt, text: str) -> dict[str, Any]:
    now = time.time()
    return {
        "TableName": get_settings().idempotency_table,
        "Item": {
            "id": {"S": receipt.record_id},
            "status": {"S": "COMPLETED"},
            "expiration": {"N": str(receipt.expires_at)},
            "validation": {"S": receipt.validation},
            "data": {"S": text},
        },
        # powertools' own condition: no record, or one that expired, or a claim whose holder timed out.
        "ConditionExpression": "attribute_not_exists(#id) OR #expiry < :now OR "
        "(#status = :inprogress AND attribute_exists(#held) AND #held < :now_ms)",
        "ExpressionAttributeNames": {"#id": "id", "#expiry": "expiration", "#status": "status", "#held": "in_progress_expiration"},
        "ExpressionAttributeValues": {
            ":now": {"N": str(int(now))},
            ":now_ms": {"N": str(int(now * 1000))},
            ":inprogress": {"S": "INPROGRESS"},
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def transact(items: list[dict[str, Any]], answer: dict[str, Any]) -> None:
    """dynamo.transact, with the pending receipt (if any, and not yet written) recording `answer`.
    Recorded if an earlier request with the same key recorded first; ConditionFailed otherwise."""
    receipt = _pending.get()
    if receipt is None or receipt.recorded is not None:
        dynamo.transact(items)
        return
    text = receipt.encode(answer)
    try:
        dynamo.transact([*items, {"Put": _put(receipt, text)}])
    except ConditionFailed as failed:
        mine = failed.reasons[len(items)] if len(failed.reasons) > len(items) else {}
        if mine.get("Code") == "ConditionalCheckFailed" and "Item" in mine:
            raise Recorded(from_item(mine["Item"])) from None
        raise
    receipt.recorded = text


def record(receipt: Receipt, answer: dict[str, Any]) -> None:
    """The receipt alone, for a request whose change wrote nothing (one PutItem); Recorded as above."""
    text = receipt.encode(answer)
    try:
        client().put_item(**_put(receipt, text))
    except client().exceptions.ConditionalCheckFailedException as exc:
        raise Recorded(from_item(cast(dict[str, Any], exc.response.get("Item") or {}))) from None
    receipt.recorded = text


def replace(receipt: Receipt, answer: dict[str, Any]) -> None:
    """The recorded answer replaced by the one the request gave in the end (one UpdateItem), if
    something after the write changed it (an expansion)."""
    text = receipt.encode(answer)
    if text == receipt.recorded:
        return
    client().update_item(
        TableName=get_settings().idempotency_table,
        Key={"id": {"S": receipt.record_id}},
        UpdateExpression="SET #data = :data",
        ExpressionAttributeNames={"#data": "data"},
        ExpressionAttributeValues={":data": {"S": text}},
    )
    receipt.recorded = text


def find(record_id: str) -> dict[str, Any] | None:
    """The live record under this id (one consistent GetItem), or None."""
    found = client().get_item(TableName=get_settings().idempotency_table, Key={"id": {"S": record_id}}, ConsistentRead=True).get("Item")
    record = from_item(found) if found else None
    return record if record and int(record.get("expiration", 0)) >= time.time() else None
