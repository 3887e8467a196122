"""The records of Idempotency-Key (IDEMPOTENCY_TABLE), in the attributes powertools' DynamoDB
persistence layer uses (id, status, expiration, in_progress_expiration, validation, data), and the
one way they get into a change's own transaction.

A write that calls no processor puts its record, holding its answer, in the same transaction as
its change (a receipt): one round trip, and a retry's transaction is cancelled by the record,
which DynamoDB hands back. A write that calls a processor claims the key first (the processor's
call cannot be held back by a transaction); the one write that is handed the request's answer (a
payment's or a refund's last; the steps of a larger request run under `aside`) completes the claim
in its own transaction, so no write follows it. What goes in a record is decided in
domain/idempotency.py.
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

COMPLETED, IN_PROGRESS = "COMPLETED", "INPROGRESS"


@dataclass
class Receipt:
    """What a request will record. `encode` turns its result ({"status", "body"}) into the stored
    text; `claimed`: the key was claimed first; `recorded`: the text a write carried (None until
    one did), text rather than the answer itself, which the request may still change in place."""

    record_id: str
    validation: str
    expires_at: int
    encode: Callable[[dict[str, Any]], str]
    claimed: bool = field(default=False)
    recorded: str | None = field(default=None)
    wrote: bool = field(default=False)  # a write of the request committed (with the answer or not)


class Recorded(Exception):
    """An earlier request with the same key recorded first: its record (id, status, data, validation, ...)."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__("idempotency record exists")
        self.record = record


class KeyInUse(Exception):
    """Another request with the same key is writing its record at this very moment."""


_pending: ContextVar[Receipt | None] = ContextVar("orgshare_receipt", default=None)


@contextmanager
def expecting(receipt: Receipt) -> Iterator[Receipt]:
    """Inside the block, the first `transact` given an answer records `receipt` with it."""
    token = _pending.set(receipt)
    try:
        yield receipt
    finally:
        _pending.reset(token)


@contextmanager
def aside() -> Iterator[None]:
    """A step of a larger request (a checkout's customer, its payment): inside it, no write records
    the request's key, which only the request's own last write, or its end, may do. Also a decorator."""
    token = _pending.set(None)
    try:
        yield
    finally:
        _pending.reset(token)


def _table() -> str:
    return get_settings().idempotency_table


def _put(receipt: Receipt, status: str, extra: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    return {
        "TableName": _table(),
        "Item": {
            "id": {"S": receipt.record_id},
            "status": {"S": status},
            "expiration": {"N": str(receipt.expires_at)},
            "validation": {"S": receipt.validation},
            **extra,
        },
        # powertools' own condition: no record, or one that expired, or a claim whose holder timed out.
        "ConditionExpression": "attribute_not_exists(#id) OR #expiry < :now OR "
        "(#status = :inprogress AND attribute_exists(#held) AND #held < :now_ms)",
        "ExpressionAttributeNames": {"#id": "id", "#expiry": "expiration", "#status": "status", "#held": "in_progress_expiration"},
        "ExpressionAttributeValues": {
            ":now": {"N": str(int(now))},
            ":now_ms": {"N": str(int(now * 1000))},
            ":inprogress": {"S": IN_PROGRESS},
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _completion(receipt: Receipt, text: str) -> dict[str, Any]:
    # Only this request's record (same fingerprint): never one a later request made after a lapsed claim, nor a new one.
    return {
        "TableName": _table(),
        "Key": {"id": {"S": receipt.record_id}},
        "UpdateExpression": "SET #status = :done, #data = :data, #expiry = :expiry REMOVE #held",
        "ConditionExpression": "#validation = :validation",
        "ExpressionAttributeNames": {
            "#status": "status", "#data": "data", "#expiry": "expiration", "#held": "in_progress_expiration", "#validation": "validation",
        },
        "ExpressionAttributeValues": {
            ":done": {"S": COMPLETED}, ":data": {"S": text}, ":expiry": {"N": str(receipt.expires_at)},
            ":validation": {"S": receipt.validation},
        },
    }  # fmt: skip


def _put_item(put: dict[str, Any]) -> None:
    try:
        client().put_item(**put)
    except client().exceptions.ConditionalCheckFailedException as exc:
        if dynamo.met_its_own_put(exc, put):
            return  # its own record, written by the attempt whose answer was lost
        raise Recorded(from_item(cast(dict[str, Any], exc.response.get("Item") or {}))) from None
    except client().exceptions.TransactionConflictException:
        raise KeyInUse from None


def transact(items: list[dict[str, Any]], answer: dict[str, Any] | None) -> None:
    """dynamo.transact, with the pending receipt (if any, and not yet written) recording `answer`
    (the body of a 200): a new record, or the completion of the key's claim. Recorded if an
    earlier request with the same key recorded first; ConditionFailed otherwise. Without an
    answer, a step of the request (the receipt learns that it wrote)."""
    receipt = _pending.get()
    if receipt is None or answer is None:
        dynamo.transact(items)
        if receipt is not None:
            receipt.wrote = True
        return
    if receipt.recorded is not None:  # a step answered as if it were the request: its answer would be recorded
        raise RuntimeError("a request recorded its answer twice: run its inner steps under receipts.aside()")
    text = receipt.encode({"status": 200, "body": answer})
    if receipt.claimed:
        dynamo.transact([*items, {"Update": _completion(receipt, text)}])
        receipt.recorded, receipt.wrote = text, True
        return
    try:
        dynamo.transact([*items, {"Put": _put(receipt, COMPLETED, {"data": {"S": text}})}])
    except ConditionFailed as failed:
        mine = failed.reasons[len(items)] if len(failed.reasons) > len(items) else {}
        if mine.get("Code") == "ConditionalCheckFailed" and "Item" in mine:
            raise Recorded(from_item(mine["Item"])) from None
        if mine.get("Code") == "TransactionConflict":  # a twin request's transaction holds the record right now
            raise KeyInUse from None
        raise
    receipt.recorded, receipt.wrote = text, True


def claim(receipt: Receipt, held_until_ms: int) -> None:
    """The key, claimed until `held_until_ms` (one PutItem); Recorded if a live record holds it."""
    _put_item(_put(receipt, IN_PROGRESS, {"in_progress_expiration": {"N": str(held_until_ms)}}))
    receipt.claimed = True


def record(receipt: Receipt, result: dict[str, Any]) -> None:
    """The request's record with its final `result`: put alone (one PutItem) for a request that
    wrote nothing; else, only if `result` differs from what its write recorded or it was claimed
    and nothing completed it, one UpdateItem. Recorded as in `transact`."""
    text = receipt.encode(result)
    if receipt.claimed or receipt.recorded is not None:
        if text != receipt.recorded:  # something after the write changed the answer (an expansion, a decline)
            try:
                client().update_item(**_completion(receipt, text))
            except client().exceptions.ConditionalCheckFailedException:
                return  # the record is no longer this request's (its claim lapsed and another request took the key)
    else:
        _put_item(_put(receipt, COMPLETED, {"data": {"S": text}}))
    receipt.recorded = text


def release(receipt: Receipt) -> None:
    """A claim given up (the request failed before it changed anything): the key is free again. Only
    this request's claim, still in progress: a completed record (a transaction that committed though
    its answer was lost on the way back) stays."""
    try:
        client().delete_item(
            TableName=_table(),
            Key={"id": {"S": receipt.record_id}},
            ConditionExpression="#status = :inprogress AND #validation = :validation",
            ExpressionAttributeNames={"#status": "status", "#validation": "validation"},
            ExpressionAttributeValues={":inprogress": {"S": IN_PROGRESS}, ":validation": {"S": receipt.validation}},
        )
    except client().exceptions.ConditionalCheckFailedException:
        pass


def find(record_id: str) -> dict[str, Any] | None:
    """The live record under this id (one consistent GetItem), or None."""
    found = client().get_item(TableName=_table(), Key={"id": {"S": record_id}}, ConsistentRead=True).get("Item")
    found_record = from_item(found) if found else None
    return found_record if found_record and int(found_record.get("expiration", 0)) >= time.time() else None
