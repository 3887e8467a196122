"""Who is calling: what an API key resolves to."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from orgshare.storage.keys import PoolScope

Kind = Literal["platform", "connected", "standard"]
Mode = Literal["test", "live"]
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

    @property
    def scope(self) -> PoolScope:
        return PoolScope(self.org, self.pool, self.mode)

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    @property
    def is_platform_key(self) -> bool:
        return self.key_account == self.account and self.kind == "platform"

    def as_context(self) -> dict[str, str]:
        """The authorizer's context: API Gateway passes only flat string values."""
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_context(cls, context: dict[str, object]) -> Principal:
        kind, mode = str(context["kind"]), str(context["mode"])
        if kind not in KINDS or mode not in MODES:
            raise ValueError("authorizer context is malformed")
        return cls(
            org=str(context["org"]),
            account=str(context["account"]),
            kind=kind,
            pool=str(context["pool"]),
            mode=mode,
            key_id=str(context["key_id"]),
            key_account=str(context["key_account"]),
        )


@dataclass(frozen=True)
class RequestInfo:
    """What events record of the request that caused them."""

    id: str
    idempotency_key: str | None = None
