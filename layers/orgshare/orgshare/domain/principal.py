"""Who is calling: what an API key resolves to."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from orgshare.storage.keys import PoolScope

Kind = Literal["platform", "connected", "standard"]
Mode = Literal["test", "live"]
KeyType = Literal["secret", "publishable"]
# An account's key acts as that account; an organization's key reads the organization's view and
# acts for any of its accounts that a request names (Stripe-Context / Stripe-Account).
KeyScope = Literal["account", "organization"]
KINDS: tuple[Kind, ...] = ("platform", "connected", "standard")
KEY_SCOPES: tuple[KeyScope, ...] = ("account", "organization")
MODES: tuple[Mode, ...] = ("test", "live")


@dataclass(frozen=True)
class Principal:
    org: str
    account: str  # the account the request acts as
    kind: Kind
    pool: str
    mode: Mode
    key_id: str
    key_account: str  # the account that owns the key (the platform when acting on behalf)
    key_type: KeyType = "secret"  # a publishable key may only do what a checkout page needs
    # An account that joined the shared pool by a sharing enablement: the pool it came from (where
    # what has not moved yet still is), and whether its customers are still moving.
    source_pool: str | None = None
    migrating: bool = False
    # What the authorizer's (cached) answer carries so each request decides the above itself.
    joins_pool: str | None = None
    joins_at: float | None = None
    key_scope: KeyScope = "account"
    read_only: bool = False  # a restricted (rk_...) key: reads only, refused on every POST and DELETE
    key_expires_at: float | None = None  # checked on every request, so a cached authorizer answer cannot outlive it
    # An organization key that named the account it acts for (for it, key_account is the platform,
    # which stands for the organization, so acting as the platform account is told apart by this).
    named_account: bool = False

    @property
    def scope(self) -> PoolScope:
        return PoolScope(self.org, self.pool, self.mode)

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    @property
    def is_platform_key(self) -> bool:
        """The platform account's own secret key, not acting for another account."""
        return self.key_scope == "account" and self.key_account == self.account and self.kind == "platform" and self.key_type == "secret"

    @property
    def on_behalf(self) -> bool:
        """Acting for an account: an organization key that named one, or the platform key via Stripe-Account."""
        return self.named_account or self.key_account != self.account

    def actor(self) -> dict[str, str | None]:
        """Who did it, as change records, events and audit trails show it: the organization whenever
        a request acts for an account on its behalf (an organization key, or the platform's key with
        Stripe-Account), else the account whose key it is. `api_key` is the key's id, never its secret."""
        if self.key_scope == "organization":
            return {"type": "organization", "account": None, "api_key": self.key_id}
        kind = "organization" if self.on_behalf else "account"
        return {"type": kind, "account": self.key_account, "api_key": self.key_id}

    def as_context(self) -> dict[str, str]:
        """The authorizer's context: API Gateway passes only flat string values."""
        # The account's own pool: each request decides again (resolved) whether it has switched.
        own = replace(self, pool=self.source_pool or self.pool, source_pool=None)
        return {k: str(v) for k, v in asdict(own).items() if v not in (None, False)}

    @classmethod
    def from_context(cls, context: dict[str, object]) -> Principal:
        # Fail closed: a context that does not say which kind of key it is gets the weaker one's rights.
        kind, mode, key_type = str(context["kind"]), str(context["mode"]), str(context.get("key_type", "publishable"))
        # Answers cached before key scopes existed carry none: they were all account keys.
        scope = str(context.get("key_scope", "account"))
        if kind not in KINDS or mode not in MODES or key_type not in ("secret", "publishable") or scope not in KEY_SCOPES:
            raise ValueError("authorizer context is malformed")
        flags = {name: context[name] for name in ("read_only", "named_account", "migrating") if name in context}
        if any(str(value) not in ("True", "False") for value in flags.values()):
            raise ValueError("authorizer context is malformed")
        return cls(
            org=str(context["org"]),
            account=str(context["account"]),
            kind=kind,
            pool=str(context["pool"]),
            mode=mode,
            key_id=str(context["key_id"]),
            key_account=str(context["key_account"]),
            key_type=key_type,  # type: ignore[arg-type]
            migrating=str(flags.get("migrating")) == "True",
            joins_pool=str(context["joins_pool"]) if context.get("joins_pool") else None,
            joins_at=float(str(context["joins_at"])) if context.get("joins_at") else None,
            key_scope=scope,
            # Fail closed: a scope's key carries the flag when it holds; any other value was refused above.
            read_only=str(flags.get("read_only")) == "True",
            key_expires_at=float(str(context["key_expires_at"])) if context.get("key_expires_at") else None,
            named_account=str(flags.get("named_account")) == "True",
        ).resolved()

    def resolved(self, now: float | None = None) -> Principal:
        """This principal as of now: in the shared pool once the enablement it waits for has switched."""
        if self.joins_pool is None or self.joins_at is None or self.source_pool is not None:
            return self
        if (time.time() if now is None else now) < self.joins_at:
            return self
        return replace(self, pool=self.joins_pool, source_pool=self.pool)


def joining(account: dict[str, Any], mode: str) -> dict[str, Any]:
    """The Principal fields saying whether (and when) an account joins the shared pool in a mode.
    An account that sharing was enabled for moves to the shared pool at its enablement's
    `switch_at`, not before: later than any cached answer about it can live, so no request still
    writes to the pool it leaves once its customers start moving."""
    joined = account.get(f"sharing_{mode}")
    if not joined:
        return {}
    return {"joins_pool": str(joined["pool"]), "joins_at": float(joined["switch_at"]), "migrating": joined.get("status") != "moved"}


@dataclass(frozen=True)
class RequestInfo:
    """What events record of the request that caused them."""

    id: str
    idempotency_key: str | None = None
