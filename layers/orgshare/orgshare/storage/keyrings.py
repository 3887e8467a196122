"""An organization's data keys, sealed under the vault's KMS key, in the directory table."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, client, key


def _key(org: str, mode: str, name: str) -> dict[str, Any]:
    return key(keys.org_pk(org), keys.keyring_sk(mode, name))


def get(org: str, mode: str, name: str) -> dict[str, Any] | None:
    """{"data_key": bytes, "key_id": str}, or None before the first."""
    found = batch_get(get_settings().directory_table, [_key(org, mode, name)], consistent=True)
    if not found:
        return None
    return {"data_key": bytes(found[0]["data_key"]), "key_id": str(found[0]["key_id"])}


def create(org: str, mode: str, name: str, data_key: bytes, key_id: str, created: int) -> bool:
    """Stores the first data key; False if another request stored one first (use that one)."""
    try:
        client().put_item(
            TableName=get_settings().directory_table,
            Item={**_key(org, mode, name), "data_key": {"B": data_key}, "key_id": {"S": key_id}, "created": {"N": str(created)}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except client().exceptions.ConditionalCheckFailedException:
        return False
    return True
