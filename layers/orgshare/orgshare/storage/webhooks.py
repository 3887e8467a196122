"""Webhook endpoints, in the directory table under their organization."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import ConditionFailed, batch_get, client, key, query_range, to_item, transact, versioned_put
from orgshare.storage.outbox import change_put


def _table() -> str:
    return get_settings().directory_table


def _key(endpoint: dict[str, Any]) -> dict[str, Any]:
    return key(keys.org_pk(endpoint["org"]), keys.webhook_sk(endpoint["mode"], endpoint["owner"], endpoint["id"]))


def save(endpoint: dict[str, Any], expected_version: int | None) -> None:
    """Creates the endpoint (expected_version None) or replaces it if unchanged since read."""
    transact([versioned_put(_table(), {**to_item(endpoint), **_key(endpoint)}, expected_version)])


def mark_failing(endpoint: dict[str, Any], since: int) -> None:
    """The endpoint's failing streak starts (unless one already has, or the endpoint is gone)."""
    _update_health(endpoint, "SET failing_since = :since", "attribute_not_exists(failing_since)", {":since": {"N": str(since)}})


def mark_healthy(endpoint: dict[str, Any]) -> None:
    _update_health(endpoint, "REMOVE failing_since", "attribute_exists(failing_since)", {})


def _update_health(endpoint: dict[str, Any], update: str, condition: str, values: dict[str, Any]) -> None:
    # Not versioned: health is the dispatcher's, and an API update that rewrites the endpoint keeps it
    # (it writes what it read) or, racing, loses one transition, which the next attempt makes again.
    request: dict[str, Any] = {"TableName": _table(), "Key": _key(endpoint), "UpdateExpression": update,
                               "ConditionExpression": f"attribute_exists(pk) AND {condition}"}  # fmt: skip
    if values:
        request["ExpressionAttributeValues"] = values
    try:
        client().update_item(**request)
    except client().exceptions.ConditionalCheckFailedException:
        pass  # another attempt made the same transition, or the endpoint was deleted


def disable_failing(endpoint: dict[str, Any], failing_before: int, change: dict[str, Any]) -> bool:
    """Disables an enabled endpoint that has been failing since before `failing_before`, unchanged
    since it was read (the attempt was to the endpoint as it was then), with the change record of
    its event, in one transaction; False if it no longer is one."""
    update = {
        "TableName": _table(), "Key": _key(endpoint),
        "UpdateExpression": "SET #status = :disabled, version = version + :one, disabled_reason = :reason",
        "ConditionExpression": "#status = :enabled AND failing_since < :before AND version = :read",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":disabled": {"S": "disabled"}, ":enabled": {"S": "enabled"}, ":one": {"N": "1"},
                                      ":reason": {"S": "failing"}, ":before": {"N": str(failing_before)},
                                      ":read": {"N": str(endpoint["version"])}},
    }  # fmt: skip
    try:
        transact([{"Update": update}, change_put(change)])
    except ConditionFailed:
        return False
    return True


def delete(endpoint: dict[str, Any]) -> bool:
    try:
        client().delete_item(
            TableName=_table(), Key=_key(endpoint), ConditionExpression="version = :v",
            ExpressionAttributeValues={":v": {"N": str(endpoint["version"])}},
        )  # fmt: skip
    except client().exceptions.ConditionalCheckFailedException:
        return False
    return True


def get(org: str, mode: str, owners: list[str], endpoint: str) -> dict[str, Any] | None:
    """The endpoint with this id under any of `owners`, in one BatchGetItem."""
    found = batch_get(_table(), [key(keys.org_pk(org), keys.webhook_sk(mode, owner, endpoint)) for owner in owners], consistent=True)
    return found[0] if found else None


def list_for(
    org: str, mode: str, owner: str, *, limit: int, after: str | None, before: str | None, descending: bool
) -> list[dict[str, Any]]:
    prefix = keys.webhook_sk(mode, owner, "")
    return query_range(
        _table(), ("pk", keys.org_pk(org)), "sk", prefix=prefix, limit=limit, descending=descending,
        after=keys.webhook_sk(mode, owner, after) if after else None,
        before=keys.webhook_sk(mode, owner, before) if before else None,
    )  # fmt: skip


def all_for(org: str, mode: str, owner: str) -> list[dict[str, Any]]:
    """Every endpoint of an owner, for delivery (16 per account at most, as Stripe allows)."""
    return list_for(org, mode, owner, limit=1000, after=None, before=None, descending=False)
