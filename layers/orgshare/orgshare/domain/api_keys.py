"""API keys of accounts and of the organization: minted, listed redacted, rolled, revoked.

A key's secret is shown once (the answer that creates or rolls it) and stored only as a keyed
hash. An organization's keys are listed under the owner `ORG#<mode>`: the mode is in the key, so a
test key never lists, reads or rolls a live one.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.domain.organization import access
from orgshare.domain.principal import Mode, Principal
from orgshare.errors import InvalidRequest, ResourceMissing
from orgshare.ids import new_id, new_secret_key, redact_key
from orgshare.params.accounts import MAX_ROTATION_GRACE_SECONDS, ApiKeyRotate
from orgshare.params.common import ListParams
from orgshare.params.org_keys import OrgKeyCreate
from orgshare.storage import directory
from orgshare.storage.keys import ORG_OWNER
from orgshare.vault.keyed_hash import API_KEY, keyed_hash
from orgshare.wire.lists import list_object, page


def organization_owner(mode: str) -> str:
    return f"{ORG_OWNER}#{mode}"


def render_api_key(record: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
    organization = record.get("scope") == "organization"
    rendered = {
        "id": record["id"],
        "object": "api_key",
        "account": None if organization else record["account"],
        "scope": "organization" if organization else "account",
        "livemode": record["mode"] == "live",
        "name": record.get("name"),
        "type": record.get("type", "secret"),
        "read_only": bool(record.get("read_only")),
        "redacted": record["redacted"],
        "created": record["created"],
        "expires_at": record.get("expires_at"),
        "revoked": record.get("revoked_at") is not None,
        "rotated_from": record.get("rotated_from"),
    }
    if record.get("publishable"):
        rendered["publishable_key"] = record["publishable"]
    elif secret is not None:
        rendered["secret"] = secret  # shown once, when created or rolled
    return rendered


def new_key(
    org: str, owner: str, mode: Mode, name: str | None, expires_at: int | None, key_type: str = "secret", **extra: Any
) -> tuple[dict[str, Any], str]:
    """A key's record (not yet stored) and its secret. `extra`: an organization key's scope,
    read_only and platform. A read-only key is an rk_ key, as Stripe's restricted keys are."""
    publishable = key_type == "publishable"
    secret = new_secret_key(mode, "pk" if publishable else "rk" if extra.get("read_only") else "sk")
    record = {
        "id": new_id("key"),
        "org": org,
        "account": owner,
        "mode": mode,
        "type": key_type,
        "name": name,
        "redacted": redact_key(secret),
        "publishable": secret if publishable else None,  # no secret: shown whenever it is listed
        "created": int(time.time()),
        "expires_at": expires_at,
        **extra,
    }
    return record, secret


def mint_key(
    org: str, owner: str, mode: Mode, name: str | None, expires_at: int | None, key_type: str = "secret", **extra: Any
) -> tuple[dict[str, Any], str]:
    record, secret = new_key(org, owner, mode, name, expires_at, key_type, **extra)
    directory.create_api_key(record, keyed_hash(API_KEY, secret))
    return record, secret


def check_expiry(expires_at: int | None, *, most: int | None = None) -> None:
    now = time.time()
    if expires_at is not None and expires_at <= now:
        raise InvalidRequest("expires_at must be in the future.", code="parameter_invalid", param="expires_at")
    if expires_at is not None and most is not None and expires_at > now + most:
        raise InvalidRequest(
            f"expires_at can be at most {most // 86400} days ahead: a rolled key keeps working only while you switch over.",
            code="parameter_invalid",
            param="expires_at",
        )


def list_keys(principal: Principal, owner: str, params: ListParams, url: str) -> dict[str, Any]:
    records, has_more = page(
        params,
        lambda limit, after, before, desc: directory.list_api_keys(principal.org, owner, limit=limit, after=after, before=before,
                                                                   descending=desc),
    )  # fmt: skip
    return list_object(url, [render_api_key(r) for r in records], has_more)


def live_key(principal: Principal, owner: str, key_id: str) -> dict[str, Any]:
    """A key of the caller's mode that is not revoked (a revoked one answers as a missing one)."""
    record = directory.get_api_key(principal.org, owner, key_id) if key_id.startswith("key_") else None
    if record is None or record["mode"] != principal.mode or record.get("revoked_at") is not None:
        raise ResourceMissing("api_key", key_id)
    return record


def retrieve_key(principal: Principal, owner: str, key_id: str) -> dict[str, Any]:
    record = directory.get_api_key(principal.org, owner, key_id) if key_id.startswith("key_") else None
    if record is None or record["mode"] != principal.mode:
        raise ResourceMissing("api_key", key_id)
    return render_api_key(record)


def rotate_key(principal: Principal, owner: str, key_id: str, params: ApiKeyRotate) -> dict[str, Any]:
    """Stripe's "roll key": a new secret (shown once) with the old key's name, type and rights;
    the old key stops working now, or at `expires_at` (never later than it was to expire anyway)."""
    check_expiry(params.expires_at, most=MAX_ROTATION_GRACE_SECONDS)
    old = live_key(principal, owner, key_id)
    if old.get("rotated_to"):
        raise InvalidRequest(
            f"This key was rolled already, to {old['rotated_to']}: roll that one, or revoke this one to stop it now.",
            code="api_key_rotated",
        )
    now = int(time.time())
    if old.get("expires_at") is not None and old["expires_at"] <= now:
        raise ResourceMissing("api_key", key_id)  # expired: nothing to roll over from
    old_until = None if params.expires_at is None else min(params.expires_at, old.get("expires_at") or params.expires_at)
    extra = {f: old[f] for f in ("scope", "read_only", "platform") if old.get(f) is not None}
    # A key made to expire keeps its end: rolling it does not extend it.
    record, secret = new_key(
        principal.org, owner, principal.mode, old.get("name"), old.get("expires_at"), old.get("type", "secret"),
        rotated_from=key_id, **extra,
    )  # fmt: skip
    if not directory.rotate_api_key(old, record, keyed_hash(API_KEY, secret), old_until, now):
        raise ResourceMissing("api_key", key_id)  # revoked or rolled by a concurrent request
    return render_api_key(record, secret)


def revoke_key(principal: Principal, owner: str, key_id: str) -> dict[str, Any]:
    """Revokes a key of the caller's mode; revoking one twice is a 404, as deleting twice is."""
    record = directory.get_api_key(principal.org, owner, key_id) if key_id.startswith("key_") else None
    if record is None or record["mode"] != principal.mode or not directory.revoke_api_key(record, int(time.time())):
        raise ResourceMissing("api_key", key_id)
    return {"id": key_id, "object": "api_key", "deleted": True}


# The organization's keys: read with the organization's view, managed by the platform's own key.
ORG_KEYS = "/v1/organization/api_keys"


def create_org_key(principal: Principal, params: OrgKeyCreate) -> dict[str, Any]:
    access.require_platform_key(principal)
    check_expiry(params.expires_at)
    record, secret = mint_key(
        principal.org, organization_owner(principal.mode), principal.mode, params.name, params.expires_at,
        scope="organization", read_only=params.read_only, platform=principal.account,
    )  # fmt: skip
    return render_api_key(record, secret)


def list_org_keys(principal: Principal, params: ListParams) -> dict[str, Any]:
    access.require_view(principal)
    return list_keys(principal, organization_owner(principal.mode), params, ORG_KEYS)


def retrieve_org_key(principal: Principal, key_id: str) -> dict[str, Any]:
    access.require_view(principal)
    return retrieve_key(principal, organization_owner(principal.mode), key_id)


def rotate_org_key(principal: Principal, key_id: str, params: ApiKeyRotate) -> dict[str, Any]:
    access.require_platform_key(principal)
    return rotate_key(principal, organization_owner(principal.mode), key_id, params)


def revoke_org_key(principal: Principal, key_id: str) -> dict[str, Any]:
    access.require_platform_key(principal)
    return revoke_key(principal, organization_owner(principal.mode), key_id)
