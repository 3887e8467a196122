"""Webhook endpoints: an account's (its own events) and the organization's (every account's
events, one per change, with `context`). Secrets are shown once and kept sealed."""

from __future__ import annotations

import secrets
import time
from typing import Any

from orgshare import messaging
from orgshare.domain import endpoint_urls, webhook_secrets
from orgshare.domain.events import API_VERSION, retrieve_event
from orgshare.domain.principal import Principal
from orgshare.errors import InvalidRequest, PermissionDenied, ResourceMissing
from orgshare.ids import ALPHABET, new_id
from orgshare.params.events import EventRetry
from orgshare.params.webhooks import WebhookEndpointCreate, WebhookEndpointList, WebhookEndpointUpdate
from orgshare.storage import webhooks as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.storage.keys import ORG_OWNER
from orgshare.wire.lists import list_object, page

MAX_PER_OWNER = 16  # Stripe's limit per account


def render(endpoint: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
    rendered = {
        "id": endpoint["id"],
        "object": "webhook_endpoint",
        "api_version": endpoint.get("api_version"),
        "application": None,
        "created": endpoint["created"],
        "description": endpoint.get("description"),
        "enabled_events": endpoint["enabled_events"],
        "livemode": endpoint["mode"] == "live",
        "metadata": endpoint.get("metadata") or {},
        "scope": "organization" if endpoint["owner"] == ORG_OWNER else "account",
        "status": endpoint["status"],
        "url": endpoint["url"],
    }
    if secret is not None:
        rendered["secret"] = secret  # shown once, at creation
    return rendered


def _owners(principal: Principal) -> list[str]:
    """The endpoints a caller manages: its account's, and for the platform key the organization's."""
    return [principal.account, ORG_OWNER] if principal.is_platform_key else [principal.account]


def create(principal: Principal, params: WebhookEndpointCreate) -> dict[str, Any]:
    if params.scope == "organization" and not principal.is_platform_key:
        raise PermissionDenied("Only the platform's own key can create organization endpoints.", code="platform_api_key_required")
    endpoint_urls.check(params.url, principal.livemode)
    owner = ORG_OWNER if params.scope == "organization" else principal.account
    if len(store.all_for(principal.org, principal.mode, owner)) >= MAX_PER_OWNER:
        raise InvalidRequest(
            f"You have reached the maximum of {MAX_PER_OWNER} webhook endpoints.", code="webhook_endpoint_limit", param="url"
        )
    endpoint_id = new_id("we")
    secret = "whsec_" + "".join(secrets.choice(ALPHABET) for _ in range(32))
    endpoint = {
        "id": endpoint_id,
        "org": principal.org,
        "mode": principal.mode,
        "owner": owner,
        "url": params.url,
        "enabled_events": params.enabled_events,
        "description": params.description,
        "metadata": {k: v for k, v in (params.metadata or {}).items() if v is not None},
        "api_version": params.api_version or API_VERSION,
        "status": "enabled",
        "created": int(time.time()),
        "version": 1,
        "secret": webhook_secrets.seal(principal.org, principal.mode, endpoint_id, secret),
    }
    store.save(endpoint, None)
    return render(endpoint, secret)


def _load(principal: Principal, endpoint: str) -> dict[str, Any]:
    found = store.get(principal.org, principal.mode, _owners(principal), endpoint) if endpoint.startswith("we_") else None
    if found is None:
        raise ResourceMissing("webhook_endpoint", endpoint)
    return found


def retrieve(principal: Principal, endpoint: str) -> dict[str, Any]:
    return render(_load(principal, endpoint))


def update(principal: Principal, endpoint: str, params: WebhookEndpointUpdate) -> dict[str, Any]:
    for _ in range(3):
        current = _load(principal, endpoint)
        new = dict(current)
        if params.url is not None:
            endpoint_urls.check(params.url, principal.livemode)
            if params.url != current["url"]:  # a new receiver: its predecessor's failures are not its own
                new.pop("failing_since", None)
            new["url"] = params.url
        if params.enabled_events is not None:
            new["enabled_events"] = params.enabled_events
        if "description" in params.given():
            new["description"] = params.description
        if params.metadata is not None:
            merged = {**(current.get("metadata") or {}), **params.metadata}
            new["metadata"] = {k: v for k, v in merged.items() if v is not None}
        if params.disabled is not None:
            new["status"] = "disabled" if params.disabled else "enabled"
            if not params.disabled and current["status"] == "disabled":  # enabled again: a fresh start, on the main lane
                new.pop("failing_since", None)
                new.pop("disabled_reason", None)
        new["version"] = current["version"] + 1
        try:
            store.save(new, current["version"])
        except ConditionFailed:
            continue
        return render(new)
    raise InvalidRequest("This webhook endpoint is being changed by another request; please retry.", code="lock_timeout")


def delete(principal: Principal, endpoint: str) -> dict[str, Any]:
    current = _load(principal, endpoint)
    if not store.delete(current):
        raise ResourceMissing("webhook_endpoint", endpoint)
    return {"id": endpoint, "object": "webhook_endpoint", "deleted": True}


def list_endpoints(principal: Principal, params: WebhookEndpointList, url: str) -> dict[str, Any]:
    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        found = [
            e for owner in _owners(principal)
            for e in store.list_for(principal.org, principal.mode, owner, limit=limit, after=after, before=before, descending=descending)
        ]  # fmt: skip
        return sorted(found, key=lambda e: e["id"], reverse=descending)[:limit]

    endpoints, has_more = page(params, fetch)
    return list_object(url, [render(e) for e in endpoints], has_more)


def retry(principal: Principal, event: str, params: EventRetry) -> dict[str, Any]:
    """Sends an event to one endpoint again, now (as `stripe events resend` does)."""
    found = retrieve_event(principal, event)
    endpoint = _load(principal, params.webhook_endpoint)
    # An organization endpoint is sent the organization's copy of the event; an account's, its own.
    message = {
        "kind": "deliver", "org": principal.org, "mode": principal.mode, "event": event, "attempt": 1, "not_before": 0,
        "event_owner": ORG_OWNER if endpoint["owner"] == ORG_OWNER else principal.account,
        "endpoint": endpoint["id"], "endpoint_owner": endpoint["owner"],
    }  # fmt: skip
    messaging.enqueue_deliveries([(message, 0)])
    return found
