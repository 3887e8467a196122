"""Who is calling: what an API key resolves to."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from orgshare.storage.keys import PoolScope

Kind = Literal["platform", "connected", "standard"]
Mode = Literal["test", "live"]
KeyType = Literal["secret", "publishable"]
KINDS: tuple[Kind, ...] = ("platform", "connected", "standard")
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

    @property
    def scope(self) -> PoolScope:
        return PoolScope(self.org, self.pool, self.mode)

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    @property
    def is_platform_key(self) -> bool:
        return self.key_account == self.account and self.kind == "platform" and self.key_type == "secret"

    def as_context(self) -> dict[str, str]:
        """The authorizer's context: API Gateway passes only flat string values."""
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_context(cls, context: dict[str, object]) -> Principal:
        # Fail closed: a context that does not say which kind of key it is gets the weaker one's rights.
        kind, mode, key_type = str(context["kind"]), str(context["mode"]), str(context.get("key_type", "publishable"))
        if kind not in KINDS or mode not in MODES or key_type not in ("secret", "publishable"):
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
        )


@dataclass(frozen=True)
class RequestInfo:
    """What events record of the request that caused them."""

    id: str
    idempotency_key: str | None = None
