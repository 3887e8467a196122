"""Webhook delivery: who gets an event, signing, posting (webhook_http), recording attempts,
scheduling retries.

Each (event, endpoint) delivery is independent: a slow, dead or hostile endpoint costs only its own
thread (for at most WEBHOOK_TIMEOUT_SECONDS) and its own retry messages, never another endpoint's
delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from orgshare import event_types, messaging
from orgshare.domain import webhook_health, webhook_http, webhook_secrets
from orgshare.observability import logger
from orgshare.settings import get_settings
from orgshare.storage import events as events_store
from orgshare.storage import webhooks as webhooks_store
from orgshare.storage.keys import ORG_OWNER


def signature(secret: str, payload: str, timestamp: int) -> str:
    """Stripe's scheme: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def subscribed(endpoint: dict[str, Any], event_type: str) -> bool:
    if endpoint.get("status") != "enabled":
        return False
    return any(event_types.matches(p, event_type) for p in endpoint["enabled_events"])


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=get_settings().webhook_concurrency, thread_name_prefix="webhook")


@dataclass(frozen=True)
class Delivery:
    event: dict[str, Any]
    endpoint: dict[str, Any]
    event_owner: str  # whose copy of the event this is (an account, or ORG)
    attempt: int


def _answer(delivery: Delivery) -> webhook_http.Answer:
    endpoint = delivery.endpoint
    try:
        payload = json.dumps(delivery.event)
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "orgshare/1.0 (+webhooks)",
                   "Stripe-Signature": signature(webhook_secrets.open_secret(endpoint), payload, int(time.time()))}  # fmt: skip
    except Exception:  # our side (the secret could not be opened): this attempt fails and is retried
        logger.exception("webhook not signed", extra={"webhook_endpoint": endpoint["id"]})
        return webhook_http.Answer(None, "internal_error")
    settings = get_settings()
    return webhook_http.post(
        endpoint["url"], payload.encode(), headers, livemode=endpoint["mode"] == "live", timeout=settings.webhook_timeout_seconds
    )


def post(delivery: Delivery) -> dict[str, Any]:
    """One attempt and its record: status, the class of the answer's status, a word for what went
    wrong, latency. Never raises."""
    started = time.monotonic()
    answer = _answer(delivery)
    return {
        "object": "webhook_delivery_attempt",
        "event": delivery.event["id"],
        "webhook_endpoint": delivery.endpoint["id"],
        "attempt": delivery.attempt,
        "status": "succeeded" if answer.succeeded else "failed",
        "response_status_class": answer.status_class,
        "error": answer.error,
        "latency_ms": int((time.monotonic() - started) * 1000),
        "created": int(time.time()),
        "created_ms": int(time.time() * 1000),
    }


def _deliver_message(delivery: Delivery, attempt: int, delay: int) -> dict[str, Any]:
    endpoint = delivery.endpoint
    return {
        "kind": "deliver", "org": endpoint["org"], "mode": endpoint["mode"], "event": delivery.event["id"],
        "event_owner": delivery.event_owner, "endpoint": endpoint["id"], "endpoint_owner": endpoint["owner"],
        "attempt": attempt, "not_before": int(time.time()) + delay,
    }  # fmt: skip


def start(deliveries: list[Delivery]) -> list[Future[dict[str, Any]]]:
    """Posts every delivery concurrently (on the shared pool); each future gives its attempt."""
    return [_pool().submit(post, d) for d in deliveries]


def settle(deliveries: list[Delivery], attempts: list[dict[str, Any]]) -> None:
    """Records the attempts and schedules a retry for each failure while the schedule lasts (by
    default 8 retries over 3 days). Raises if either cannot be written: the caller's message is then
    handed over again."""
    settings = get_settings()
    delays = settings.retry_delays()
    by_scope: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for delivery, attempt in zip(deliveries, attempts, strict=True):
        by_scope.setdefault((delivery.endpoint["org"], delivery.endpoint["mode"]), []).append(attempt)
    expires_at = int(time.time()) + settings.event_retention_days * 86_400
    for (org, mode), records in by_scope.items():
        events_store.put_attempts(org, mode, records, expires_at)
    webhook_health.record([(d.endpoint, a["status"] == "succeeded") for d, a in zip(deliveries, attempts, strict=True)])
    retries = [
        (_deliver_message(d, d.attempt + 1, delays[d.attempt - 1]), delays[d.attempt - 1])
        for d, a in zip(deliveries, attempts, strict=True)
        if a["status"] == "failed" and d.attempt <= len(delays)
    ]
    if retries:
        messaging.enqueue_deliveries(retries, slow=True)
    for delivery, attempt in zip(deliveries, attempts, strict=True):
        if attempt["status"] == "failed" and delivery.attempt > len(delays):
            logger.warning("webhook delivery abandoned", extra={"event": attempt["event"], "webhook_endpoint": attempt["webhook_endpoint"]})


def run(deliveries: list[Delivery]) -> list[dict[str, Any]]:
    """Posts, records and schedules the retries of `deliveries` as one unit."""
    attempts = [f.result() for f in start(deliveries)]
    settle(deliveries, attempts)
    return attempts


def deliveries_for(message: dict[str, Any]) -> list[Delivery]:
    """What one queue message asks for: a new event from the bus (every subscribed endpoint of
    its account, and of the organization for the actor's event), or one scheduled delivery (a
    retry, or a first attempt on the slow lane). A new event's deliveries to failing endpoints
    are handed to the slow lane rather than made here (webhook_health)."""
    if message.get("kind") == "deliver":
        return _scheduled(message)
    detail = message["detail"]
    org, mode, account, event = detail["org"], detail["mode"], detail["account"], detail["event"]
    found = [Delivery(event, e, account, 1) for e in webhooks_store.all_for(org, mode, account) if subscribed(e, event["type"])]
    if detail.get("org_copy"):
        found += [Delivery(event, e, ORG_OWNER, 1) for e in webhooks_store.all_for(org, mode, ORG_OWNER) if subscribed(e, event["type"])]
    healthy: list[Delivery] = []
    diverted: list[Delivery] = []
    for d in found:
        (diverted if webhook_health.failing(d.endpoint) else healthy).append(d)
    if diverted:
        messaging.enqueue_deliveries([(_deliver_message(d, 1, 0), 0) for d in diverted], slow=True)
    return healthy


def _scheduled(message: dict[str, Any]) -> list[Delivery]:
    wait = int(message["not_before"]) - int(time.time())
    if wait > 0:  # SQS delays at most 15 minutes: a longer wait takes several hops
        messaging.enqueue_deliveries([(message, wait)], slow=True)
        return []
    org, mode = message["org"], message["mode"]
    event = events_store.get_event(org, mode, [message["event_owner"]], message["event"])
    endpoint = webhooks_store.get(org, mode, [message["endpoint_owner"]], message["endpoint"])
    if event is None or endpoint is None or endpoint.get("status") != "enabled":
        return []  # the event expired, or the endpoint is gone or disabled: nothing left to do
    return [Delivery(event, endpoint, message["event_owner"], int(message["attempt"]))]
