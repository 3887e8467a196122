"""Change records for the outbox: what happened, to what, by whom, for which accounts."""

from __future__ import annotations

import time
from typing import Any, Literal

from orgshare.domain.principal import Principal, RequestInfo
from orgshare.ids import new_id
from orgshare.settings import get_settings

# "pool": every account of the pool gets an event (a shared field changed);
# "account": only the acting account does (a per-account field changed).
Audience = Literal["pool", "account"]
Actor = dict[str, str | None]


def event_actor(actor: Actor | None) -> Actor | None:
    """What an event (sent to an account's webhooks) says of the actor: who, not with which key."""
    return {"type": actor.get("type"), "account": actor.get("account")} if actor else None


def change_record(
    principal: Principal,
    request: RequestInfo,
    event_type: str,
    obj: dict[str, Any],
    *,
    audience: Audience,
    previous_attributes: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """`actor`: who acted, when it is not the principal's own key (an organization operation that
    writes as the account owning the data)."""
    now = int(time.time())
    return {
        "id": new_id("chg"),
        "type": event_type,
        "org": principal.org,
        "pool": principal.pool,
        "mode": principal.mode,
        "account": principal.account,
        "audience": audience,
        "object_id": obj["id"],
        "object": obj,
        "previous_attributes": previous_attributes,
        "request": {"id": request.id, "idempotency_key": request.idempotency_key},
        "actor": actor or principal.actor(),
        "created": now,
        "expires_at": now + get_settings().event_retention_days * 86_400,
    }
