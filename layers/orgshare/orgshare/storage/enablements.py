"""Sharing enablements in the directory: the enablement, the accounts it switches, its
checkpoint, its counters and the duplicates it found."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import client, from_item, key, query_range, to_item, to_value, transact
from orgshare.storage.outbox import change_put


def _table() -> str:
    return get_settings().directory_table


def _key(org: str, mode: str, enablement: str) -> dict[str, Any]:
    return key(keys.org_pk(org), keys.enablement_sk(mode, enablement))


def _progress_key(org: str, mode: str, enablement: str) -> dict[str, Any]:
    return key(keys.enablement_progress_pk(org, mode, enablement), keys.ENABLEMENT_PROGRESS_SK)


_PROGRESS = ("customers_moved", "cards_moved", "other_payment_methods_moved", "handed_over")


def _with_progress(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The enablements named (by org, mode and id) that exist, fresh, with their counters: one
    BatchGetItem across both tables, 50 at a time."""
    merged = []
    for start in range(0, len(items), 50):
        chunk = items[start : start + 50]
        request: Any = {
            _table(): {"Keys": [_key(i["org"], i["mode"], i["id"]) for i in chunk], "ConsistentRead": True},
            get_settings().data_table: {"Keys": [_progress_key(i["org"], i["mode"], i["id"]) for i in chunk], "ConsistentRead": True},
        }
        found: dict[str, list[dict[str, Any]]] = {}
        while request:
            answer = client().batch_get_item(RequestItems=request)
            for table, raws in answer["Responses"].items():
                found.setdefault(table, []).extend(from_item(r) for r in raws)
            request = answer.get("UnprocessedKeys") or {}
        progress = {p["pk"]: p for p in found.get(get_settings().data_table, [])}
        fresh = {e["id"]: e for e in found.get(_table(), [])}
        for item in chunk:
            if item["id"] not in fresh:
                continue
            current = fresh[item["id"]]
            counters = progress.get(keys.enablement_progress_pk(item["org"], item["mode"], item["id"]), {})
            merged.append({**current, **{k: counters[k] for k in _PROGRESS if k in counters}})
    return merged


def create(enablement: dict[str, Any], shared_pool: str, change: dict[str, Any]) -> None:
    """The enablement, each account's switch to the shared pool at `switch_at` (`sharing_<mode>`
    on the account) and its membership of that pool from then on, and the change record, in one
    transaction; ConditionFailed if any account already shares in this mode or is not standard."""
    org, mode = enablement["org"], enablement["mode"]
    joined = {"pool": shared_pool, "switch_at": enablement["switch_at"], "status": "moving", "enablement": enablement["id"]}
    writes: list[dict[str, Any]] = [
        {"Put": {"TableName": _table(), "Item": {**to_item(enablement), **_key(org, mode, enablement["id"])},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ]  # fmt: skip
    for account in enablement["accounts"]:
        writes.append({"Update": {
            "TableName": _table(), "Key": key(keys.org_pk(org), keys.account_sk(account)),
            "UpdateExpression": "SET #sharing = :joined",
            "ConditionExpression": "attribute_exists(pk) AND kind = :standard AND attribute_not_exists(#sharing)",
            "ExpressionAttributeNames": {"#sharing": f"sharing_{mode}"},
            "ExpressionAttributeValues": {":joined": to_value(joined), ":standard": {"S": "standard"}},
        }})  # fmt: skip
        # The publisher sends the shared pool's events to a member that joined in this mode from then on.
        writes.append({"Update": {
            "TableName": _table(), "Key": key(keys.org_pk(org), keys.pool_member_sk(shared_pool, account)),
            "UpdateExpression": "SET account = :account, #joins = :at",
            "ExpressionAttributeNames": {"#joins": f"joins_{mode}"},
            "ExpressionAttributeValues": {":account": {"S": account}, ":at": to_value(enablement["switch_at"])},
        }})  # fmt: skip
    writes.append(change_put(change))
    transact(writes)


def get(org: str, mode: str, enablement: str) -> dict[str, Any] | None:
    """The enablement with its counters: one BatchGetItem across the directory and the data table."""
    found = _with_progress([{"org": org, "mode": mode, "id": enablement}])
    return found[0] if found else None


def list_page(org: str, mode: str, *, limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
    page = query_range(
        _table(), ("pk", keys.org_pk(org)), "sk", prefix=keys.enablement_sk(mode, ""),
        after=keys.enablement_sk(mode, after) if after else None,
        before=keys.enablement_sk(mode, before) if before else None,
        descending=descending, limit=limit,
    )  # fmt: skip
    return _with_progress(page)


def count_moved(org: str, mode: str, enablement: str, counts: dict[str, int], handed_over: list[str] | None = None) -> dict[str, Any]:
    """A transaction write adding what one move moved to the enablement's counters: counted in the
    move's own transaction, so a move that is retried or raced is counted exactly once. Customers a
    request moved (`handed_over`) are noted for the worker to announce with its next batch."""
    names = {f"#{k}": k for k in counts}
    values: dict[str, Any] = {f":{k}": {"N": str(v)} for k, v in counts.items()}
    adds = [f"#{k} :{k}" for k in counts]
    if handed_over:
        names["#handed_over"], values[":handed_over"] = "handed_over", {"SS": handed_over}
        adds.append("#handed_over :handed_over")
    return {"Update": {
        "TableName": get_settings().data_table, "Key": _progress_key(org, mode, enablement),
        "UpdateExpression": "ADD " + ", ".join(adds), "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
    }}  # fmt: skip


def journal(enablement: dict[str, Any], batch: dict[str, Any]) -> None:
    """Records which customers the step at the enablement's `seq` is moving, before it moves them:
    a step done again after dying mid-way announces the same customers (moved ones leave the index)."""
    client().update_item(
        TableName=_table(), Key=_key(enablement["org"], enablement["mode"], enablement["id"]),
        UpdateExpression="SET #batch = :batch", ConditionExpression="#seq = :seq",
        ExpressionAttributeNames={"#batch": "batch", "#seq": "seq"},
        ExpressionAttributeValues={":batch": to_value(batch), ":seq": {"N": str(enablement["seq"])}},
    )  # fmt: skip


def advance(
    enablement: dict[str, Any],
    values: dict[str, Any],
    *,
    add: dict[str, int] | None = None,
    remove: tuple[str, ...] = (),
    delete: dict[str, list[str]] | None = None,
    changes: list[dict[str, Any]] | None = None,
    moved_account: str | None = None,
    expect_status: tuple[str, ...] = ("pending", "in_progress"),
) -> None:
    """The checkpoint: the enablement's next step (`values`, `seq` + 1), counters, the events of the
    step and, when an account's customers have all moved, that account's switch marked done, in
    one transaction, only if nobody advanced it since it was read (ConditionFailed otherwise)."""
    org, mode = enablement["org"], enablement["mode"]
    sets = {**values, "seq": enablement["seq"] + 1, "updated_at": int(time.time())}
    deletes = {k: v for k, v in (delete or {}).items() if v}
    names = {f"#{k}": k for k in [*sets, *(add or {}), *remove, "status"]}
    expression = "SET " + ", ".join(f"#{k} = :{k}" for k in sets)
    if add:
        expression += " ADD " + ", ".join(f"#{k} :{k}" for k in add)
    if remove:
        expression += " REMOVE " + ", ".join(f"#{k}" for k in remove)
    statuses = {f":status{i}": {"S": s} for i, s in enumerate(expect_status)}
    writes: list[dict[str, Any]] = [{"Update": {
        "TableName": _table(), "Key": _key(org, mode, enablement["id"]),
        "UpdateExpression": expression,
        "ConditionExpression": f"#seq = :expected_seq AND #status IN ({', '.join(statuses)})",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {
            **{f":{k}": to_value(v) for k, v in sets.items()}, **{f":{k}": {"N": str(v)} for k, v in (add or {}).items()},
            ":expected_seq": {"N": str(enablement["seq"])}, **statuses,
        },
    }}]  # fmt: skip
    if deletes:  # what the step announced leaves the list of customers requests moved
        writes.append({"Update": {
            "TableName": get_settings().data_table, "Key": _progress_key(org, mode, enablement["id"]),
            "UpdateExpression": "DELETE " + ", ".join(f"#{k} :{k}" for k in deletes),
            "ExpressionAttributeNames": {f"#{k}": k for k in deletes},
            "ExpressionAttributeValues": {f":{k}": {"SS": v} for k, v in deletes.items()},
        }})  # fmt: skip
    if moved_account is not None:
        writes.append({"Update": {
            "TableName": _table(), "Key": key(keys.org_pk(org), keys.account_sk(moved_account)),
            "UpdateExpression": "SET #sharing.#status = :moved",
            "ExpressionAttributeNames": {"#sharing": f"sharing_{mode}", "#status": "status"},
            "ExpressionAttributeValues": {":moved": {"S": "moved"}},
        }})  # fmt: skip
    writes += [change_put(c) for c in changes or []]
    transact(writes)


def email_key(email: str) -> str:
    # A fixed-length sort key however long or unusual the address (the address itself is the
    # item's attribute, in clear as on the customer: the digest hides nothing and needs no key).
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def add_duplicate(org: str, mode: str, enablement: str, email: str, customers: list[str]) -> None:
    """Records that these customers of the pool share `email` (idempotent: a set of ids)."""
    client().update_item(
        TableName=_table(), Key=key(keys.org_pk(org), keys.duplicate_sk(mode, enablement, email_key(email))),
        UpdateExpression="SET email = :email ADD customers :ids",
        ExpressionAttributeValues={":email": {"S": email}, ":ids": {"SS": customers}},
    )  # fmt: skip


def list_duplicates(org: str, mode: str, enablement: str, *, limit: int, after: str | None) -> list[dict[str, Any]]:
    """Up to `limit` duplicates, in the order of their keys, after the one whose `id` (its key) is `after`."""
    prefix = keys.duplicate_sk(mode, enablement, "")
    found = query_range(
        _table(), ("pk", keys.org_pk(org)), "sk", prefix=prefix, after=prefix + after if after else None, descending=False, limit=limit
    )
    return [{**d, "id": "dup_" + d["sk"].removeprefix(prefix)} for d in found]
