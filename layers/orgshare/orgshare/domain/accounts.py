"""Organizations, accounts and their API keys."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orgshare.domain import api_keys
from orgshare.domain.api_keys import mint_key, render_api_key
from orgshare.domain.principal import Kind, Mode, Principal
from orgshare.errors import PermissionDenied, ResourceMissing
from orgshare.ids import new_id
from orgshare.params.accounts import AccountCreate, AccountList, ApiKeyCreate, ApiKeyList, ApiKeyRotate
from orgshare.storage import directory
from orgshare.wire.lists import list_object, page


def render_account(record: dict[str, Any], mode: str = "test") -> dict[str, Any]:
    joined = record.get(f"sharing_{mode}")
    return {
        "id": record["id"],
        "object": "account",
        "type": record["kind"],
        "business_profile": record.get("business_profile") or {"name": None, "url": None},
        "email": record.get("email"),
        "country": record.get("country"),
        "metadata": record.get("metadata") or {},
        "created": record["created"],
        # The pool decides which customers and cards the account sees (in the caller's mode: a
        # standard account that sharing was enabled for is in the shared pool from its switch on).
        "pool": joined["pool"] if joined and time.time() >= joined["switch_at"] else record["pool"],
        "shared_pool": record["kind"] != "standard" or bool(joined),
        "default_profile": record.get("default_profile"),
    }


def _require_platform(principal: Principal) -> None:
    if not principal.is_platform_key:
        raise PermissionDenied("Only the platform's own API key can manage accounts and API keys.", code="platform_api_key_required")


def default_profile(org: str, account: str) -> dict[str, Any]:
    """Every account starts with one business profile, its default (Hyperswitch's model)."""
    return {
        "id": new_id("pro"),
        "org": org,
        "account": account,
        "name": "default",
        "is_default": True,
        "created": int(time.time()),
        "version": 1,
    }


@dataclass(frozen=True)
class NewOrganization:
    org: str
    platform: dict[str, Any]
    keys: dict[Mode, str]


def create_organization(name: str, platform_name: str | None = None) -> NewOrganization:
    """A new organization, its shared pool, its platform account and a test and a live key."""
    now = int(time.time())
    org = new_id("org")
    platform: dict[str, Any] = {
        "id": new_id("acct"),
        "org": org,
        "kind": "platform",
        "pool": new_id("pool"),  # the organization's shared pool
        "business_profile": {"name": platform_name or name, "url": None},
        "created": now,
    }
    profile = default_profile(org, platform["id"])
    platform["default_profile"] = profile["id"]
    directory.create_organization({"id": org, "name": name, "created": now, "shared_pool": platform["pool"]}, platform, profile)
    keys: dict[Mode, str] = {mode: mint_key(org, platform["id"], mode, "bootstrap", None)[1] for mode in ("test", "live")}
    return NewOrganization(org, render_account(platform), keys)


def create_account(principal: Principal, params: AccountCreate) -> dict[str, Any]:
    _require_platform(principal)
    kind: Kind = params.type
    record: dict[str, Any] = {
        "id": new_id("acct"),
        "org": principal.org,
        "kind": kind,
        # Connected accounts join the platform's shared pool; a standard account gets its own.
        "pool": principal.pool if kind == "connected" else new_id("pool"),
        "email": params.email,
        "country": params.country.upper() if params.country else None,
        "business_profile": params.business_profile.model_dump() if params.business_profile else None,
        "metadata": {k: v for k, v in (params.metadata or {}).items() if v is not None} or None,
        "created": int(time.time()),
    }
    profile = default_profile(principal.org, record["id"])
    record["default_profile"] = profile["id"]
    directory.create_account(record, profile)
    return render_account(record, principal.mode)


def _account_in_org(principal: Principal, account: str) -> dict[str, Any]:
    if account != principal.account and not principal.is_platform_key:
        raise ResourceMissing("account", account, param="account")
    record = directory.get_account(principal.org, account)
    if record is None:
        raise ResourceMissing("account", account, param="account")
    return record


def retrieve_account(principal: Principal, account: str) -> dict[str, Any]:
    return render_account(_account_in_org(principal, account), principal.mode)


def list_accounts(principal: Principal, params: AccountList, url: str) -> dict[str, Any]:
    _require_platform(principal)
    records, has_more = page(
        params,
        lambda limit, after, before, desc: directory.list_accounts(principal.org, limit=limit, after=after, before=before, descending=desc),
    )
    return list_object(url, [render_account(r, principal.mode) for r in records], has_more)


def create_api_key(principal: Principal, account: str, params: ApiKeyCreate) -> dict[str, Any]:
    _require_platform(principal)
    _account_in_org(principal, account)
    api_keys.check_expiry(params.expires_at)
    if params.type == "publishable":  # one per account and mode: the new one replaces the old
        for old in _active_keys(principal, account, "publishable"):
            directory.revoke_api_key(old, int(time.time()))
    record, secret = mint_key(principal.org, account, principal.mode, params.name, params.expires_at, params.type)
    return render_api_key(record, secret)


def _active_keys(principal: Principal, account: str, key_type: str) -> list[dict[str, Any]]:
    found = directory.list_api_keys(principal.org, account, limit=1000, after=None, before=None, descending=True)
    return [k for k in found if k.get("type", "secret") == key_type and k["mode"] == principal.mode and not k.get("revoked_at")]


def list_api_keys(principal: Principal, account: str, params: ApiKeyList, url: str) -> dict[str, Any]:
    _require_platform(principal)
    _account_in_org(principal, account)
    return api_keys.list_keys(principal, account, params, url)


def rotate_api_key(principal: Principal, account: str, key_id: str, params: ApiKeyRotate) -> dict[str, Any]:
    """Rolls a key of the account (see api_keys.rotate_key): a new secret, the old one retired now or at expires_at."""
    _require_platform(principal)
    _account_in_org(principal, account)
    return api_keys.rotate_key(principal, account, key_id, params)


def revoke_api_key(principal: Principal, account: str, key_id: str) -> dict[str, Any]:
    """Revokes a key of the caller's mode; revoking one twice is a 404, as deleting twice is."""
    _require_platform(principal)
    _account_in_org(principal, account)
    return api_keys.revoke_key(principal, account, key_id)
