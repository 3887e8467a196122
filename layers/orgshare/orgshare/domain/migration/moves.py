"""Moving customers, with everything they are made of, from one pool into another, keeping
their ids: customers a transaction at a time (a big one in several, its shared item last),
each write conditional, so that movers racing each other move every item exactly once."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from orgshare.errors import Conflict
from orgshare.storage import enablements as enablements_store
from orgshare.storage import keys
from orgshare.storage import migration as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.storage.keys import PoolScope

MAX_WRITES = 98  # DynamoDB's 100 items a transaction, less the enablement's counters (and room for a pair)
_ATTEMPTS = 4
_POOL_KEYED = ("pk", "gsi1pk", "gsi2pk")  # the attributes whose values carry the pool


@dataclass(frozen=True)
class Move:
    """Where from, where to, and whose counters count it."""

    org: str
    mode: str
    enablement: str
    source: PoolScope
    target: PoolScope
    by_request: bool = False  # a request moving what it names, not the worker: noted for the worker to announce


def moved_item(item: dict[str, Any], move: Move) -> dict[str, Any]:
    old, new = move.source.prefix + "#", move.target.prefix + "#"
    return {k: new + v.removeprefix(old) if k in _POOL_KEYED and isinstance(v, str) and v.startswith(old) else v for k, v in item.items()}


def _is_method(item: dict[str, Any]) -> bool:
    return bool(item["sk"] == keys.PM_SK)


def _shared(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((i for i in items if i["sk"] == keys.CUSTOMER_SK), None)


def _pair(item: dict[str, Any], move: Move) -> list[dict[str, Any]]:
    """The two writes moving one item: its copy at the new key, and the old one gone (a customer's
    shared item leaves a marker saying where it went, for whoever still looks there)."""
    marker = None
    if item["sk"] == keys.CUSTOMER_SK:
        marker = {"id": item["id"], "created": item["created"], "version": item["version"] + 1, "moved_to": move.target.pool}
    return [store.put_new(moved_item(item, move)), store.replace_old(item, marker)]


def _chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A customer's items in groups that fit a transaction, in the order that lets a mover that
    died between two groups find the rest: the payment methods (and their usage records) first,
    then the customer's own partition, whose copies point at them, and its shared item last."""
    shared = _shared(items)
    own = shared["pk"] if shared else None
    ordered = [i for i in items if i["pk"] != own] + [i for i in items if i["pk"] == own and i is not shared]
    ordered += [shared] if shared else []
    chunks: list[list[dict[str, Any]]] = [[]]
    for item in ordered:
        if 2 * (len(chunks[-1]) + 1) > MAX_WRITES:
            chunks.append([])
        chunks[-1].append(item)
    return chunks


def _counts(chunk: list[dict[str, Any]]) -> dict[str, int]:
    methods = [i for i in chunk if _is_method(i)]
    cards = sum(1 for i in methods if i.get("type") == "card")
    return {
        "customers_moved": sum(1 for i in chunk if i["sk"] == keys.CUSTOMER_SK and not i.get("deleted")),
        "cards_moved": cards,
        "other_payment_methods_moved": len(methods) - cards,
    }


def _commit(move: Move, chunk: list[dict[str, Any]]) -> None:
    counts = {k: v for k, v in _counts(chunk).items() if v}
    writes = [w for item in chunk for w in _pair(item, move)]
    handed = [i["id"] for i in chunk if i["sk"] == keys.CUSTOMER_SK and not i.get("deleted")] if move.by_request else []
    if counts or handed:
        writes.append(enablements_store.count_moved(move.org, move.mode, move.enablement, counts, handed))
    store.move(writes)


def _customer_id(items: list[dict[str, Any]]) -> str | None:
    """The id of a live customer among its items (a tombstone moves too, but is no customer)."""
    shared = _shared(items)
    return None if shared is None or shared.get("deleted") else str(shared["id"])


def _pending(items: list[dict[str, Any]]) -> bool:
    """Whether a customer read in the source pool still has to move (it has not left a marker)."""
    shared = _shared(items)
    return shared is not None and "moved_to" not in shared


def move_one(move: Move, cus: str, items: list[dict[str, Any]] | None = None) -> list[str]:
    """One customer, re-read and tried again when another mover raced it; its id if this moved it."""
    for _ in range(_ATTEMPTS):
        items = items if items is not None else store.customer_items(move.source, [cus])[cus]
        if not _pending(items):
            return []
        try:
            for chunk in _chunks(items):
                _commit(move, chunk)
        except ConditionFailed:
            items = None  # someone else moved part or all of it: read what is left
            continue
        return [c for c in [_customer_id(items)] if c]
    raise Conflict(f"Customer {cus} kept changing while it was being moved; the move will be retried.")


def move_customers(move: Move, customers: list[str]) -> list[str]:
    """Several customers: read together, committed several to a transaction where they fit; a
    transaction that loses a race falls back to moving its customers one by one. The ids of the
    live customers this moved."""
    found = store.customer_items(move.source, customers)
    moved: list[str] = []
    group: list[tuple[str, list[dict[str, Any]]]] = []

    def flush() -> None:
        if not group:
            return
        try:
            _commit(move, [i for _cus, items in group for i in items])
            moved.extend(c for _cus, items in group if (c := _customer_id(items)))
        except ConditionFailed:
            for cus, _items in group:
                moved.extend(move_one(move, cus))
        group.clear()

    for cus in customers:
        items = found.get(cus) or []
        if not _pending(items):
            continue
        if 2 * len(items) > MAX_WRITES:  # too big to share a transaction
            flush()
            moved.extend(move_one(move, cus, items))
            continue
        if 2 * (sum(len(g) for _cus, g in group) + len(items)) > MAX_WRITES:
            flush()
        group.append((cus, items))
    flush()
    return moved


def move_method(move: Move, item: dict[str, Any]) -> None:
    """A payment method attached to no customer (an unattached card, say): it moves alone, when
    first used after the switch (no index lists such methods, so no batch can find them)."""
    with contextlib.suppress(ConditionFailed):  # another mover took it: it is in the target pool now
        store.move(_pair(item, move))
