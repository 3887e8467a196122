"""Organizations, accounts and API keys in the directory table."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import ConditionFailed, client, from_item, key, query_range, to_item, to_value, transact


def _table() -> str:
    return get_settings().directory_table


def put_if_absent(pk: str, sk: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": _table(),
            "Item": to_item({"pk": pk, "sk": sk, **values}),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _member(account: dict[str, Any]) -> dict[str, Any]:
    return put_if_absent(keys.org_pk(account["org"]), keys.pool_member_sk(account["pool"], account["id"]), {"account": account["id"]})


def _profile(profile: dict[str, Any]) -> dict[str, Any]:
    return put_if_absent(keys.org_pk(profile["org"]), keys.profile_sk(profile["account"], profile["id"]), profile)


def create_organization(org: dict[str, Any], platform: dict[str, Any], profile: dict[str, Any]) -> None:
    """The organization, its platform account and that account's default business profile,
    together or not at all."""
    transact(
        [
            put_if_absent(keys.org_pk(org["id"]), keys.ORG_SK, org),
            put_if_absent(keys.org_pk(org["id"]), keys.account_sk(platform["id"]), platform),
            _member(platform),
            _profile(profile),
        ]
    )


def create_account(account: dict[str, Any], profile: dict[str, Any]) -> None:
    """An account, its pool membership and its default business profile, together."""
    transact([put_if_absent(keys.org_pk(account["org"]), keys.account_sk(account["id"]), account), _member(account), _profile(profile)])


def _member_at(item: dict[str, Any], mode: str | None, at: float | None) -> bool:
    """A pool's own members belong to it in both modes, always; an account that joined it by a
    sharing enablement (`joins_<mode>`: when it switched) only in that mode, from then on."""
    joined = {k: v for k, v in item.items() if k.startswith("joins_")}
    if not joined or mode is None:
        return True
    since = joined.get(f"joins_{mode}")
    return since is not None and (at is None or at >= since)


def pool_members(org: str, pool: str, mode: str | None = None, at: float | None = None) -> list[str]:
    """The accounts of a pool (in `mode` at time `at`, if given; a few hundred at most per page;
    the loop reads them all)."""
    members: list[str] = []
    after: str | None = None
    while True:
        page = query_range(
            _table(), ("pk", keys.org_pk(org)), "sk", prefix=keys.pool_member_sk(pool, ""), after=after, descending=False, limit=500
        )
        members += [item["account"] for item in page if _member_at(item, mode, at)]
        if len(page) < 500:
            return members
        after = page[-1]["sk"]


def get_organization(org: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=key(keys.org_pk(org), keys.ORG_SK))
    return from_item(answer["Item"]) if "Item" in answer else None


def get_account(org: str, account: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=key(keys.org_pk(org), keys.account_sk(account)))
    return from_item(answer["Item"]) if "Item" in answer else None


def list_accounts(org: str, *, limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
    return query_range(
        _table(),
        ("pk", keys.org_pk(org)),
        "sk",
        prefix=keys.account_sk(""),
        after=keys.account_sk(after) if after else None,
        before=keys.account_sk(before) if before else None,
        descending=descending,
        limit=limit,
    )


def _key_puts(record: dict[str, Any], secret_hash: str) -> list[dict[str, Any]]:
    """The listing item (for the owner's key list) and the lookup item (for the authorizer). An
    organization's keys are listed under the owner ORG; their lookup says which account (the
    platform) they start from."""
    listing = {**record, "secret_hash": secret_hash}
    lookup = {
        "key_id": record["id"],
        "org": record["org"],
        "account": record["account"],
        "mode": record["mode"],
        "expires_at": record.get("expires_at"),
        **{field: record[field] for field in ("scope", "read_only", "platform") if record.get(field) is not None},
    }
    return [
        put_if_absent(keys.org_pk(record["org"]), keys.key_listing_sk(record["account"], record["id"]), listing),
        put_if_absent(keys.key_lookup_pk(secret_hash), keys.KEY_LOOKUP_SK, lookup),
    ]


def create_api_key(record: dict[str, Any], secret_hash: str) -> None:
    transact(_key_puts(record, secret_hash))


def rotate_api_key(old: dict[str, Any], new: dict[str, Any], secret_hash: str, old_expires_at: int | None, now: int) -> bool:
    """The new key, and the old one revoked now (`old_expires_at` None) or expiring then, together;
    False if the old one was revoked meanwhile (nothing written)."""
    listing_key = key(keys.org_pk(old["org"]), keys.key_listing_sk(old["account"], old["id"]))
    lookup_key = key(keys.key_lookup_pk(old["secret_hash"]), keys.KEY_LOOKUP_SK)
    if old_expires_at is None:
        retire = [
            _update(listing_key, "SET revoked_at = :at, rotated_to = :new", {":at": now, ":new": new["id"]}),
            {"Delete": {"TableName": _table(), "Key": lookup_key, "ConditionExpression": "attribute_exists(pk)"}},
        ]
    else:
        retire = [
            _update(listing_key, "SET expires_at = :exp, rotated_to = :new", {":exp": old_expires_at, ":new": new["id"]}),
            {
                "Update": {
                    "TableName": _table(),
                    "Key": lookup_key,
                    "UpdateExpression": "SET expires_at = :exp",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":exp": to_value(old_expires_at)},
                }
            },
        ]
    try:
        transact([*_key_puts(new, secret_hash), *retire])
    except ConditionFailed:
        return False
    return True


def _update(item_key: dict[str, Any], expression: str, values: dict[str, Any]) -> dict[str, Any]:
    """An update of a key's listing item that is neither revoked nor rolled already."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": item_key,
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revoked_at) AND attribute_not_exists(rotated_to)",
            "ExpressionAttributeValues": {k: to_value(v) for k, v in values.items()},
        }
    }


def get_api_key_by_hash(secret_hash: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=key(keys.key_lookup_pk(secret_hash), keys.KEY_LOOKUP_SK))
    return from_item(answer["Item"]) if "Item" in answer else None


def get_api_key(org: str, account: str, key_id: str) -> dict[str, Any] | None:
    answer = client().get_item(TableName=_table(), Key=key(keys.org_pk(org), keys.key_listing_sk(account, key_id)))
    return from_item(answer["Item"]) if "Item" in answer else None


def list_api_keys(org: str, account: str, *, limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
    return query_range(
        _table(),
        ("pk", keys.org_pk(org)),
        "sk",
        prefix=keys.key_listing_sk(account, ""),
        after=keys.key_listing_sk(account, after) if after else None,
        before=keys.key_listing_sk(account, before) if before else None,
        descending=descending,
        limit=limit,
    )


def revoke_api_key(record: dict[str, Any], revoked_at: int) -> bool:
    """Marks the listing item revoked and deletes the lookup item; False if already revoked."""
    try:
        transact(
            [
                {
                    "Update": {
                        "TableName": _table(),
                        "Key": key(keys.org_pk(record["org"]), keys.key_listing_sk(record["account"], record["id"])),
                        "UpdateExpression": "SET revoked_at = :at",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                        "ExpressionAttributeValues": {":at": to_value(revoked_at)},
                    }
                },
                {"Delete": {"TableName": _table(), "Key": key(keys.key_lookup_pk(record["secret_hash"]), keys.KEY_LOOKUP_SK)}},
            ]
        )
    except ConditionFailed:
        return False
    return True
