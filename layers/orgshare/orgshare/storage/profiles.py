"""Business profiles and their connectors, in the directory table under the organization."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import client, from_item, key, query_range, to_item, transact, versioned_put


def _table() -> str:
    return get_settings().directory_table


def put_profile(profile: dict[str, Any], expected_version: int | None) -> None:
    item = {**to_item(profile), **key(keys.org_pk(profile["org"]), keys.profile_sk(profile["account"], profile["id"]))}
    transact([versioned_put(_table(), item, expected_version)])


def get_profile(org: str, account: str, profile: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=key(keys.org_pk(org), keys.profile_sk(account, profile)))
    return from_item(answer["Item"]) if "Item" in answer else None


def list_profiles(org: str, account: str) -> list[dict[str, Any]]:
    return query_range(_table(), ("pk", keys.org_pk(org)), "sk", prefix=keys.profile_sk(account, ""), descending=False, limit=1000)


def _connector_key(org: str, account: str, mode: str, profile: str, connector: str) -> dict[str, Any]:
    return key(keys.org_pk(org), keys.connector_sk(account, mode, profile, connector))


def put_connector(connector: dict[str, Any], expected_version: int | None) -> None:
    at = _connector_key(connector["org"], connector["account"], connector["mode"], connector["profile"], connector["id"])
    transact([versioned_put(_table(), {**to_item(connector), **at}, expected_version)])


def delete_connector(connector: dict[str, Any]) -> None:
    at = _connector_key(connector["org"], connector["account"], connector["mode"], connector["profile"], connector["id"])
    client().delete_item(TableName=_table(), Key=at)


def get_connector(org: str, account: str, mode: str, profile: str, connector: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=_connector_key(org, account, mode, profile, connector))
    return from_item(answer["Item"]) if "Item" in answer else None


def connectors_of(org: str, account: str, mode: str, profile: str) -> list[dict[str, Any]]:
    """A profile's connectors of one mode, oldest first (the first enabled one is the one used)."""
    prefix = keys.connector_sk(account, mode, profile, "")
    return query_range(_table(), ("pk", keys.org_pk(org)), "sk", prefix=prefix, descending=False, limit=100)
