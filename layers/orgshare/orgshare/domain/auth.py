"""API keys to principals, and the platform acting on behalf of its accounts."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from orgshare.caching import Cache
from orgshare.domain.principal import MODES, Principal, joining
from orgshare.errors import AuthenticationFailed, PermissionDenied
from orgshare.ids import redact_key
from orgshare.storage import directory
from orgshare.vault.keyed_hash import API_KEY, keyed_hash

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


def secret_from_authorization(header: str | None) -> str:
    """The secret key of a `Bearer sk_...` or HTTP Basic (key as user) Authorization header."""
    if not header or not header.strip():
        raise AuthenticationFailed(NO_KEY, code="api_key_missing")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            user = base64.b64decode(value, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed("Invalid Basic authorization header.", code="api_key_invalid") from None
        if user:
            return user
    raise AuthenticationFailed(NO_KEY, code="api_key_missing")


_PREFIXES = ("sk_test_", "sk_live_", "pk_test_", "pk_live_", "rk_test_", "rk_live_")


def authenticate(secret: str, now: float | None = None) -> Principal:
    """Resolves a secret key: one read for the key, one for its account (for an organization's
    key, the platform account, which stands for the organization until a request names another)."""
    invalid = AuthenticationFailed(f"Invalid API Key provided: {redact_key(secret)}", code="api_key_invalid")
    mode = secret[3:7] if secret.startswith(_PREFIXES) else None
    if mode not in MODES or len(secret) > 200:
        raise invalid
    record = directory.get_api_key_by_hash(keyed_hash(API_KEY, secret))
    if record is None or record["mode"] != mode:
        raise invalid
    organization = record.get("scope") == "organization"
    read_only = bool(record.get("read_only"))
    # The prefix says what the key is (rk_: restricted, read-only); a key whose record says otherwise is no key of ours.
    if secret.startswith("rk_") != read_only or (read_only and not organization):
        raise invalid
    expires_at = record.get("expires_at")
    if expires_at is not None and expires_at <= (now if now is not None else time.time()):
        raise AuthenticationFailed(f"Expired API Key provided: {redact_key(secret)}", code="api_key_expired")
    account = directory.get_account(record["org"], str(record["platform"]) if organization else record["account"])
    if account is None or (organization and account["kind"] != "platform"):
        raise invalid
    return Principal(
        org=record["org"],
        account=account["id"],
        kind=account["kind"],
        pool=account["pool"],
        mode=record["mode"],
        key_id=record["key_id"],
        key_account=account["id"],
        key_type="publishable" if secret.startswith("pk_") else "secret",
        key_scope="organization" if organization else "account",
        read_only=read_only,
        key_expires_at=float(expires_at) if expires_at is not None else None,
        **joining(account, record["mode"]),
    ).resolved()


def refuse_expired(principal: Principal, secret: str | None, now: float | None = None) -> None:
    """The authorizer's answer is cached for a while: a key that expired since is refused all the same."""
    if principal.key_expires_at is not None and principal.key_expires_at <= (time.time() if now is None else now):
        raise AuthenticationFailed(f"Expired API Key provided: {redact_key(secret or '')}", code="api_key_expired")


_account_cache: Cache[tuple[str, str], dict[str, Any] | None] = Cache(size=10_000)


def cached_account(org: str, account: str, max_age: float) -> dict[str, Any] | None:
    """An account's directory record, read at most once per `max_age` seconds per warm container.
    What requests need of it (pool, kind, default profile) changes only when sharing is enabled."""
    return _account_cache.get((org, account), lambda: directory.get_account(org, account), seconds=max_age)


ACCOUNT_NEEDED = (
    "An organization API key acts for the account a request names: send the Stripe-Context header "
    "(or Stripe-Account) with the id of an account of your organization (acct_...)."
)


def act_as(principal: Principal, target: str, cache_seconds: float) -> Principal:
    """The principal a `Stripe-Account` / `Stripe-Context: acct_...` header asks for: the platform's
    key or an organization key (not already acting for one), and only for an account of its own
    organization."""
    if target == principal.account and principal.key_type == "secret" and principal.key_scope == "account":
        return principal
    denied = PermissionDenied(
        f"The provided key does not have access to account '{target[:64]}' (or that account does not exist).",
        code="account_invalid",
    )
    organization_key = principal.key_scope == "organization" and not principal.on_behalf and principal.key_type == "secret"
    if not (principal.is_platform_key or organization_key):
        raise denied
    account = cached_account(principal.org, target, cache_seconds)
    if account is None:
        raise denied
    return Principal(
        org=principal.org,
        account=str(account["id"]),
        kind=account["kind"],
        pool=str(account["pool"]),
        mode=principal.mode,
        key_id=principal.key_id,
        key_account=principal.key_account,
        key_scope=principal.key_scope,
        read_only=principal.read_only,
        key_expires_at=principal.key_expires_at,
        named_account=organization_key,
        **joining(account, principal.mode),
    ).resolved()


def account_principal(org: str, account: str, mode: str, key_id: str, cache_seconds: float) -> Principal | None:
    """Acting as an account without an API key: what a checkout page (authenticated by its session's
    secret) or a scheduled job does, for the account that owns the object."""
    found = cached_account(org, account, cache_seconds)
    if found is None or mode not in MODES:
        return None
    return Principal(
        org=org, account=account, kind=found["kind"], pool=str(found["pool"]), mode=mode,
        key_id=key_id, key_account=account, **joining(found, mode),
    ).resolved()  # fmt: skip
