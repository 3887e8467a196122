"""Events: what a committed change becomes, and the Events API.

A change whose audience is the pool (a shared field changed) becomes one event per account of the
pool, each with its own id, `context` = that account, and the object as that account sees it (its
own metadata, not the actor's). A change for the acting account only becomes one event. The
organization's copy of a change is the actor's event: one per change, `context` = the actor.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from orgshare import messaging
from orgshare.domain import customers
from orgshare.domain.changes import event_actor
from orgshare.domain.organization import access
from orgshare.domain.principal import Principal
from orgshare.errors import ResourceMissing
from orgshare.ids import ALPHABET
from orgshare.params.events import EventList
from orgshare.settings import get_settings
from orgshare.storage import customers as customers_store
from orgshare.storage import directory
from orgshare.storage import events as store
from orgshare.storage.keys import ORG_OWNER, PoolScope
from orgshare.wire.lists import list_object, page

API_VERSION = "2026-09-30"
_PER_ACCOUNT = {"customer": tuple(customers.account_fields(None))}


def event_id(change_id: str, account: str) -> str:
    """Deterministic, so a publisher that runs a change twice writes the same events again; the
    change's time comes first, so event ids sort by time like every other id."""
    digest = int.from_bytes(hashlib.sha256(f"{change_id}:{account}".encode()).digest()[:12], "big")
    chars = []
    for _ in range(16):
        digest, rem = divmod(digest, 62)
        chars.append(ALPHABET[rem])
    return "evt_" + change_id.removeprefix("chg_")[:8] + "".join(chars)


def _views(change: dict[str, Any], accounts: list[str]) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each account's (data.object, previous_attributes) for a change."""
    obj, previous, actor = change["object"], change.get("previous_attributes"), change["account"]
    per_account = _PER_ACCOUNT.get(obj.get("object", ""), ())
    views: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {actor: (obj, previous)}
    others = [a for a in accounts if a != actor]
    if not others:
        return views
    overlays: dict[str, dict[str, Any]] = {}
    if per_account and not obj.get("deleted"):
        overlays = customers_store.overlays_of(PoolScope(change["org"], change["pool"], change["mode"]), obj["id"], others)
    for account in others:
        theirs = {**obj, **customers.account_fields(overlays.get(account))} if per_account and not obj.get("deleted") else obj
        shared_previous = {k: v for k, v in (previous or {}).items() if k not in per_account} or None
        views[account] = (theirs, shared_previous)
    return views


def events_for_change(change: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(account, event) for every account the change is for; the actor's first."""
    if change["audience"] == "pool":
        members = directory.pool_members(change["org"], change["pool"], change["mode"], change["created"])
        accounts = [change["account"], *(a for a in members if a != change["account"])]
    else:
        accounts = [change["account"]]
    events = []
    for account, (obj, previous) in _views(change, accounts).items():
        data: dict[str, Any] = {"object": obj}
        if previous:
            data["previous_attributes"] = previous
        events.append((account, {
            "id": event_id(change["id"], account),
            "object": "event",
            "api_version": API_VERSION,
            "context": account,
            "created": change["created"],
            "data": data,
            "livemode": change["mode"] == "live",
            "pending_webhooks": 0,
            "request": change["request"],
            "type": change["type"],
            # orgshare's: who acted (the organization, for an account, when it acted on its behalf).
            "actor": event_actor(change.get("actor")),
        }))  # fmt: skip
    return events


def publish(change: dict[str, Any]) -> int:
    """Stores a change's events (each account's, and the organization's copy) and puts them on
    the bus: one entry per account event, in PutEvents calls of 10. Returns how many."""
    events = events_for_change(change)
    expires_at = change["created"] + get_settings().event_retention_days * 86_400
    actor_event = events[0][1]
    store.put_events(change["org"], change["mode"], [*events, (ORG_OWNER, actor_event)], expires_at)
    messaging.put_events(
        [
            (
                event["type"],
                {
                    "org": change["org"],
                    "mode": change["mode"],
                    "account": account,
                    "org_copy": account == change["account"],
                    "event": event,
                },
            )
            for account, event in events
        ]
    )
    return len(events)


def _owner(principal: Principal) -> str:
    """Whose events a caller sees: its own account's, or (a platform key not acting for an
    account) the organization's one-per-change copies."""
    return ORG_OWNER if access.can_view(principal) else principal.account


def _matches(event: dict[str, Any], params: EventList) -> bool:
    kind = params.type
    if kind and not (event["type"] == kind or (kind.endswith(".*") and event["type"].startswith(kind[:-1]))):
        return False
    if params.types and event["type"] not in params.types:
        return False
    created = params.created
    return created is None or created.admits(event["created"])


def list_events(principal: Principal, params: EventList, url: str) -> dict[str, Any]:
    settings = get_settings()
    now_ms = int(time.time() * 1000)

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        del descending
        # Filters apply after the read (an owner's own events only): read pages until the page is full.
        found: list[dict[str, Any]] = []
        while True:
            batch = store.list_events(
                principal.org, principal.mode, _owner(principal), limit=limit, after=after, before=before,
                now_ms=now_ms, retention_days=settings.event_retention_days,
            )  # fmt: skip
            found += [e for e in batch if _matches(e, params)]
            if len(found) >= limit or len(batch) < limit:
                return found[:limit]
            last = batch[-1]["id"]
            after, before = (last, before) if after and not before else (after, last)

    events, has_more = page(params, fetch)
    return list_object(url, events, has_more)


def _visible_event(principal: Principal, event: str) -> dict[str, Any]:
    owners = [principal.account, ORG_OWNER] if access.can_view(principal) else [principal.account]
    found = store.get_event(principal.org, principal.mode, owners, event)
    if found is None:
        raise ResourceMissing("event", event)
    return found


def retrieve_event(principal: Principal, event: str) -> dict[str, Any]:
    return _visible_event(principal, event)


def delivery_attempts(principal: Principal, event: str, url: str) -> dict[str, Any]:
    """Every delivery attempt of an event the caller can see, newest first."""
    _visible_event(principal, event)
    fields = ("object", "event", "webhook_endpoint", "attempt", "status", "response_status_class", "error", "latency_ms", "created")
    attempts = store.list_attempts(principal.org, principal.mode, event)
    return list_object(url, [{f: a.get(f) for f in fields} for a in attempts], False)
