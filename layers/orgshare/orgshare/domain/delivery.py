"""Webhook delivery: who gets an event, signing, posting, recording attempts, scheduling retries.

Each (event, endpoint) delivery is independent: a slow or dead endpoint costs only its own
thread and its own retry messages, never another endpoint's delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from orgshare import messaging
from orgshare.domain import endpoint_urls, webhooks
from orgshare.errors import InvalidRequest
from orgshare.observability import logger
from orgshare.settings import get_settings
from orgshare.storage import events as events_store
from orgshare.storage import webhooks as webhooks_store
from orgshare.storage.keys import ORG_OWNER
from orgshare.vault import sealing

_SECRET_TTL = 300.0
_secrets: dict[str, tuple[float, str]] = {}


def signature(secret: str, payload: str, timestamp: int) -> str:
    """Stripe's scheme: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _secret(endpoint: dict[str, Any]) -> str:
    # One KMS Decrypt per endpoint per 5 minutes per warm dispatcher, not one per delivery.
    now = time.monotonic()
    hit = _secrets.get(endpoint["id"])
    if hit and now - hit[0] < _SECRET_TTL:
        return hit[1]
    secret = sealing.open_sealed(sealing.Sealed.from_item(endpoint["secret"]), webhooks.seal_context(endpoint["org"], endpoint["id"]))
    _secrets[endpoint["id"]] = (now, secret)
    return secret


def subscribed(endpoint: dict[str, Any], event_type: str) -> bool:
    if endpoint.get("status") != "enabled":
        return False
    return any(p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1])) for p in endpoint["enabled_events"])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could point anywhere, an internal host included: a 3xx is simply not a 2xx.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=get_settings().webhook_concurrency, thread_name_prefix="webhook")


@dataclass(frozen=True)
class Delivery:
    event: dict[str, Any]
    endpoint: dict[str, Any]
    event_owner: str  # whose copy of the event this is (an account, or ORG)
    attempt: int


def post(delivery: Delivery) -> dict[str, Any]:
    """One attempt: the signed POST and its record (status, latency, response code)."""
    endpoint, event = delivery.endpoint, delivery.event
    payload = json.dumps(event)
    started = time.monotonic()
    code: int | None = None
    error: str | None = None
    try:
        endpoint_urls.check(endpoint["url"], endpoint["mode"] == "live")
        request = urllib.request.Request(  # noqa: S310 - check() allowed only http(s) to a permitted host
            endpoint["url"], data=payload.encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "orgshare/1.0 (+webhooks)",
                     "Stripe-Signature": signature(_secret(endpoint), payload, int(time.time()))},
        )  # fmt: skip
        with _opener.open(request, timeout=get_settings().webhook_timeout_seconds) as answer:
            code = answer.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except InvalidRequest as exc:
        error = exc.message
    except (OSError, ValueError) as exc:  # refused, reset, timed out, bad URL
        error = type(exc).__name__
    latency_ms = int((time.monotonic() - started) * 1000)
    succeeded = code is not None and 200 <= code < 300
    return {
        "object": "webhook_delivery_attempt",
        "event": event["id"],
        "webhook_endpoint": endpoint["id"],
        "attempt": delivery.attempt,
        "status": "succeeded" if succeeded else "failed",
        "response_status": code,
        "error": error,
        "latency_ms": latency_ms,
        "created": int(time.time()),
        "created_ms": int(time.time() * 1000),
    }


def _retry_message(delivery: Delivery, delay: int) -> dict[str, Any]:
    endpoint = delivery.endpoint
    return {
        "kind": "deliver", "org": endpoint["org"], "mode": endpoint["mode"], "event": delivery.event["id"],
        "event_owner": delivery.event_owner, "endpoint": endpoint["id"], "endpoint_owner": endpoint["owner"],
        "attempt": delivery.attempt + 1, "not_before": int(time.time()) + delay,
    }  # fmt: skip


def run(deliveries: list[Delivery]) -> list[dict[str, Any]]:
    """Posts every delivery concurrently, records every attempt, and schedules a retry for each
    failure while the schedule lasts (by default 8 retries over 3 days)."""
    if not deliveries:
        return []
    attempts = list(_pool().map(post, deliveries))
    settings = get_settings()
    delays = settings.retry_delays()
    by_scope: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for delivery, attempt in zip(deliveries, attempts, strict=True):
        by_scope.setdefault((delivery.endpoint["org"], delivery.endpoint["mode"]), []).append(attempt)
    expires_at = int(time.time()) + settings.event_retention_days * 86_400
    for (org, mode), records in by_scope.items():
        events_store.put_attempts(org, mode, records, expires_at)
    retries = [
        (_retry_message(d, delays[d.attempt - 1]), delays[d.attempt - 1])
        for d, a in zip(deliveries, attempts, strict=True)
        if a["status"] == "failed" and d.attempt <= len(delays)
    ]
    if retries:
        messaging.enqueue_deliveries(retries)
    for delivery, attempt in zip(deliveries, attempts, strict=True):
        if attempt["status"] == "failed" and delivery.attempt > len(delays):
            logger.warning("webhook delivery abandoned", extra={"event": attempt["event"], "webhook_endpoint": attempt["webhook_endpoint"]})
    return attempts


def deliveries_for(message: dict[str, Any]) -> list[Delivery]:
    """What one queue message asks for: a new event from the bus (every subscribed endpoint of
    its account, and of the organization for the actor's event), or one scheduled retry."""
    if message.get("kind") == "deliver":
        return _scheduled(message)
    detail = message["detail"]
    org, mode, account, event = detail["org"], detail["mode"], detail["account"], detail["event"]
    found = [Delivery(event, e, account, 1) for e in webhooks_store.all_for(org, mode, account) if subscribed(e, event["type"])]
    if detail.get("org_copy"):
        found += [Delivery(event, e, ORG_OWNER, 1) for e in webhooks_store.all_for(org, mode, ORG_OWNER) if subscribed(e, event["type"])]
    return found


def _scheduled(message: dict[str, Any]) -> list[Delivery]:
    wait = int(message["not_before"]) - int(time.time())
    if wait > 0:  # SQS delays at most 15 minutes: a longer wait takes several hops
        messaging.enqueue_deliveries([(message, wait)])
        return []
    org, mode = message["org"], message["mode"]
    event = events_store.get_event(org, mode, [message["event_owner"]], message["event"])
    endpoint = webhooks_store.get(org, mode, [message["endpoint_owner"]], message["endpoint"])
    if event is None or endpoint is None or endpoint.get("status") != "enabled":
        return []  # the event expired, or the endpoint is gone or disabled: nothing left to do
    return [Delivery(event, endpoint, message["event_owner"], int(message["attempt"]))]
