"""Sharing enablements in the directory: the enablement, the accounts it switches, its
checkpoint, its counters and the duplicates it found."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import client, from_item, key, query_range, to_item, to_value, transact
from orgshare.storage.outbox import change_put


def _table() -> str:
    return get_settings().directory_table


def _key(org: str, mode: str, enablement: str) -> dict[str, Any]:
    return key(keys.org_pk(org), keys.enablement_sk(mode, enablement))


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
    answer = client().get_item(TableName=_table(), Key=_key(org, mode, enablement), ConsistentRead=True)
    return from_item(answer["Item"]) if "Item" in answer else None


def list_page(org: str, mode: str, *, limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
    return query_range(
        _table(), ("pk", keys.org_pk(org)), "sk", prefix=keys.enablement_sk(mode, ""),
        after=keys.enablement_sk(mode, after) if after else None,
        before=keys.enablement_sk(mode, before) if before else None,
        descending=descending, limit=limit,
    )  # fmt: skip


def count_moved(org: str, mode: str, enablement: str, counts: dict[str, int]) -> dict[str, Any]:
    """A transaction write adding what one move moved to the enablement's counters: counted in the
    move's own transaction, so a move that is retried or raced is counted exactly once."""
    names = {f"#{k}": k for k in counts}
    return {"Update": {
        "TableName": _table(), "Key": _key(org, mode, enablement),
        "UpdateExpression": "ADD " + ", ".join(f"#{k} :{k}" for k in counts),
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {f":{k}": {"N": str(v)} for k, v in counts.items()},
    }}  # fmt: skip


def advance(
    enablement: dict[str, Any],
    values: dict[str, Any],
    *,
    add: dict[str, int] | None = None,
    remove: tuple[str, ...] = (),
    changes: list[dict[str, Any]] | None = None,
    moved_account: str | None = None,
    expect_status: tuple[str, ...] = ("pending", "in_progress"),
) -> None:
    """The checkpoint: the enablement's next step (`values`, `seq` + 1), counters, the events of the
    step and, when an account's customers have all moved, that account's switch marked done, in
    one transaction, only if nobody advanced it since it was read (ConditionFailed otherwise)."""
    org, mode = enablement["org"], enablement["mode"]
    sets = {**values, "seq": enablement["seq"] + 1}
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
    if moved_account is not None:
        writes.append({"Update": {
            "TableName": _table(), "Key": key(keys.org_pk(org), keys.account_sk(moved_account)),
            "UpdateExpression": "SET #sharing.#status = :moved",
            "ExpressionAttributeNames": {"#sharing": f"sharing_{mode}", "#status": "status"},
            "ExpressionAttributeValues": {":moved": {"S": "moved"}},
        }})  # fmt: skip
    writes += [change_put(c) for c in changes or []]
    transact(writes)


def add_duplicate(org: str, mode: str, enablement: str, email: str, email_key: str, customers: list[str]) -> None:
    """Records that these customers of the pool share `email` (idempotent: a set of ids)."""
    client().update_item(
        TableName=_table(), Key=key(keys.org_pk(org), keys.duplicate_sk(mode, enablement, email_key)),
        UpdateExpression="SET email = :email ADD customers :ids",
        ExpressionAttributeValues={":email": {"S": email}, ":ids": {"SS": customers}},
    )  # fmt: skip


def list_duplicates(org: str, mode: str, enablement: str, *, limit: int, after: str | None) -> list[dict[str, Any]]:
    prefix = keys.duplicate_sk(mode, enablement, "")
    return query_range(
        _table(), ("pk", keys.org_pk(org)), "sk", prefix=prefix, after=prefix + after if after else None, descending=False, limit=limit
    )
