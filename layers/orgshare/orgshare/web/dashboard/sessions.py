"""Dashboard sign-in sessions: a secret key exchanged for a random token (the cookie), the session
kept server-side under a keyed hash of that token with the principal's fields; never the key.

A session lasts at most ABSOLUTE_SECONDS and ends after IDLE_SECONDS without a request. Every
request also checks that the key that signed in still exists and has not expired or been revoked
(one GetItem of the key's listing item): revoking a key ends its sessions at once."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from orgshare.domain import api_keys, auth
from orgshare.domain.principal import Principal
from orgshare.errors import AuthenticationFailed
from orgshare.settings import get_settings
from orgshare.storage import dashboard_sessions as store
from orgshare.storage import directory
from orgshare.vault.keyed_hash import DASHBOARD_CSRF, DASHBOARD_SESSION, keyed_hash

ABSOLUTE_SECONDS = 8 * 3600
IDLE_SECONDS = 30 * 60
TOUCH_EVERY_SECONDS = 60  # activity is written at most once a minute, not on every request
# What the account's directory record decides afresh on each request (its pool can switch when
# sharing is enabled); everything else of the key's principal is kept as it was at sign-in.
_FROM_ACCOUNT = {"account", "kind", "pool", "source_pool", "migrating", "joins_pool", "joins_at"}
_PRINCIPAL_FIELDS = {f.name for f in fields(Principal)}


@dataclass(frozen=True)
class Session:
    token_hash: str
    principal: Principal  # the signed-in key's own principal (not acting for another account)
    csrf: str  # the synchronizer token every form of this session carries
    created: int
    expires_at: int

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.principal, "read_only", False))


def csrf_token(token: str) -> str:
    """Derived from the session's token: nothing to store, and useless without the cookie."""
    return keyed_hash(DASHBOARD_CSRF, token)


def sign_in(secret: str, now: float | None = None) -> tuple[str, Session]:
    """The cookie's token and the session for a secret key; AuthenticationFailed if the key is not
    a valid secret key (publishable keys cannot sign in: they only pay checkouts)."""
    secret = secret.strip()
    if not secret.startswith(("sk_test_", "sk_live_", "rk_test_", "rk_live_")):
        raise AuthenticationFailed("Sign in with a secret key (sk_... or a read-only rk_...).", code="api_key_invalid")
    principal = auth.authenticate(secret, now)  # raises for an unknown, revoked or expired key
    at = int(time.time() if now is None else now)
    token = secrets.token_urlsafe(32)
    token_hash = keyed_hash(DASHBOARD_SESSION, token)
    kept = {k: v for k, v in asdict(principal).items() if k not in _FROM_ACCOUNT}
    store.put(token_hash, {
        "principal": kept, "key_owner": principal.key_account, "key_listing": _listing_owner(principal),
        "created": at, "last_seen": at, "expires_at": at + ABSOLUTE_SECONDS,
    })  # fmt: skip
    return token, Session(token_hash, principal, csrf_token(token), at, at + ABSOLUTE_SECONDS)


def _listing_owner(principal: Principal) -> str:
    """Where the key's listing item is: under its account, or (an organization's key) the organization's owner."""
    if getattr(principal, "key_scope", "account") == "organization":
        return api_keys.organization_owner(principal.mode)
    return principal.key_account


def _key_is_live(record: dict[str, Any], now: float) -> bool:
    kept = record["principal"]
    key = directory.get_api_key(kept["org"], record.get("key_listing") or record["key_owner"], kept["key_id"])
    if key is None or key.get("revoked_at"):
        return False
    return key.get("expires_at") is None or key["expires_at"] > now


def load(token: str | None, now: float | None = None) -> Session | None:
    """The live session a cookie's token names, or None (unknown, expired, idle too long, or its
    key revoked: then the session is deleted too)."""
    if not token or len(token) > 100:
        return None
    at = time.time() if now is None else now
    token_hash = keyed_hash(DASHBOARD_SESSION, token)
    record = store.get(token_hash)
    if record is None:
        return None
    if record["expires_at"] <= at or record["last_seen"] + IDLE_SECONDS <= at or not _key_is_live(record, at):
        store.delete(token_hash)
        return None
    kept = record["principal"]
    base = auth.account_principal(kept["org"], record["key_owner"], kept["mode"], kept["key_id"], get_settings().account_cache_seconds)
    if base is None:
        return None
    principal = replace(base, **{k: v for k, v in kept.items() if k in _PRINCIPAL_FIELDS and k not in _FROM_ACCOUNT})
    if at - record["last_seen"] >= TOUCH_EVERY_SECONDS:
        store.touch(token_hash, int(at))
    return Session(token_hash, principal, csrf_token(token), record["created"], record["expires_at"])


def sign_out(session: Session) -> None:
    store.delete(session.token_hash)
