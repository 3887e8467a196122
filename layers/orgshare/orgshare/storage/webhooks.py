"""Webhook endpoints, in the directory table under their organization."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, client, key, query_range, to_item, transact, versioned_put


def _table() -> str:
    return get_settings().directory_table


def _key(endpoint: dict[str, Any]) -> dict[str, Any]:
    return key(keys.org_pk(endpoint["org"]), keys.webhook_sk(endpoint["mode"], endpoint["owner"], endpoint["id"]))


def save(endpoint: dict[str, Any], expected_version: int | None) -> None:
    """Creates the endpoint (expected_version None) or replaces it if unchanged since read."""
    transact([versioned_put(_table(), {**to_item(endpoint), **_key(endpoint)}, expected_version)])


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
