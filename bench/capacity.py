"""DynamoDB capacity units of the calls a block makes, by DynamoDB's own sizing rules, from each
call's parameters and answer (moto reports no consumed capacity of its own).

Reads: 4 KB per read unit for a strongly consistent read, half for an eventually consistent one, a
Query's items summed before rounding; a transaction's reads and writes cost twice. Writes: 1 KB per
write unit per item, plus one write per index the item is projected into (every index here projects
ALL). An UpdateItem is sized by its key and new values, a DeleteItem or a ConditionCheck as one unit:
lower bounds where DynamoDB sizes the stored item, which the call does not show.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.counting import BACKGROUND
from orgshare.storage import dynamo

_INDEX_KEYS = ("gsi1pk", "gsi2pk")


@dataclass
class Units:
    read: float = 0.0
    write: float = 0.0


def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(len(n) // 2 + 1 for n in inner)
    return sum(len(b) for b in inner)  # BS


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _read(sizes: list[int], consistent: bool, per_item: bool, factor: float = 1.0) -> float:
    rate = 1.0 if consistent else 0.5
    if per_item:
        return sum(max(1, math.ceil(s / 4096)) * rate * factor for s in sizes)
    return max(1, math.ceil(sum(sizes) / 4096)) * rate * factor


def _write(item: dict[str, Any], factor: float = 1.0) -> float:
    units = max(1, math.ceil(item_size(item) / 1024))
    return units * factor * (1 + sum(1 for k in _INDEX_KEYS if k in item))


def _update(params: dict[str, Any], factor: float = 1.0) -> float:
    sized = {**params.get("Key", {}), **{k.lstrip(":"): v for k, v in (params.get("ExpressionAttributeValues") or {}).items()}}
    return max(1, math.ceil(item_size(sized) / 1024)) * factor


def units_of(operation: str, params: dict[str, Any], answer: dict[str, Any]) -> Units:
    if operation == "GetItem":
        return Units(read=_read([item_size(answer.get("Item") or {})], bool(params.get("ConsistentRead")), True))
    if operation == "BatchGetItem":
        consistent = any(t.get("ConsistentRead") for t in params["RequestItems"].values())
        sizes = [item_size(i) for items in answer.get("Responses", {}).values() for i in items]
        return Units(read=_read(sizes or [0], consistent, True))
    if operation in ("Query", "Scan"):
        sizes = [item_size(i) for i in answer.get("Items", [])]
        return Units(read=_read(sizes, bool(params.get("ConsistentRead")), False))
    if operation == "TransactGetItems":
        return Units(read=_read([item_size(r.get("Item") or {}) for r in answer.get("Responses", [])], True, True, 2.0))
    if operation == "PutItem":
        return Units(write=_write(params["Item"]))
    if operation == "UpdateItem":
        return Units(write=_update(params))
    if operation == "DeleteItem":
        return Units(write=1.0)
    if operation == "BatchWriteItem":
        requests = [r for rs in params["RequestItems"].values() for r in rs]
        return Units(write=sum(_write(r["PutRequest"]["Item"]) if "PutRequest" in r else 1.0 for r in requests))
    if operation == "TransactWriteItems":
        total = 0.0
        for entry in params["TransactItems"]:
            (kind, body), *_ = entry.items()
            total += _write(body["Item"], 2.0) if kind == "Put" else _update(body, 2.0) if kind == "Update" else 2.0
        return Units(write=total)
    return Units()


@contextmanager
def dynamodb_units() -> Iterator[Units]:
    """The capacity units the process's DynamoDB client uses inside the block (request threads only)."""
    total = Units()
    client = dynamo.client()

    def add(http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        del http_response
        if threading.current_thread().name.startswith(BACKGROUND):
            return
        params = kwargs.get("context", {}).get("orgshare_params") or {}
        found = units_of(model.name, params, parsed)
        total.read += found.read
        total.write += found.write

    def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["orgshare_params"] = params

    client.meta.events.register("provide-client-params.dynamodb", keep)
    client.meta.events.register("after-call.dynamodb", add)
    try:
        yield total
    finally:
        client.meta.events.unregister("after-call.dynamodb", add)
        client.meta.events.unregister("provide-client-params.dynamodb", keep)
