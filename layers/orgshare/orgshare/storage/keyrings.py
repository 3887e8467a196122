"""An organization's key pairs, in the directory table: the public key in clear, the private key
sealed under the vault's KMS key."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, client, key, to_item


def _key(org: str, mode: str, name: str) -> dict[str, Any]:
    return key(keys.org_pk(org), keys.keyring_sk(mode, name))


def get(org: str, mode: str, name: str) -> dict[str, Any] | None:
    """{"public_key": bytes, "private_key": the sealed item}, or None before the first."""
    found = batch_get(get_settings().directory_table, [_key(org, mode, name)], consistent=True)
    if not found:
        return None
    return {"public_key": bytes(found[0]["public_key"]), "private_key": found[0]["private_key"]}


def create(org: str, mode: str, name: str, public_key: bytes, private_key: dict[str, Any], created: int) -> bool:
    """Stores the first key pair; False if another request stored one first (use that one)."""
    try:
        client().put_item(
            TableName=get_settings().directory_table,
            Item={**_key(org, mode, name), **to_item({"public_key": public_key, "private_key": private_key, "created": created})},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except client().exceptions.ConditionalCheckFailedException:
        return False
    return True
