"""Webhook endpoint health: which lane an endpoint's deliveries take, and disabling an endpoint
that has been failing for days.

An endpoint whose last attempt failed (an error, a non-2xx answer, or no answer within
WEBHOOK_TIMEOUT_SECONDS) is *failing* from that attempt on, until one succeeds. Its deliveries,
like every retry, go to the slow lane (DeliverySlowQueue, an event source of its own with a low
concurrency), so endpoints that hang hold only the slow lane's executions: the main lane, which
carries every organization's first attempts to healthy endpoints, never waits for them beyond each
endpoint's first failure. An endpoint failing for WEBHOOK_DISABLE_AFTER_DAYS is disabled, as
Stripe does, with a `webhook_endpoint.disabled` event to its account (and the organization's copy).
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.domain import webhooks
from orgshare.domain.changes import change_record
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.observability import logger
from orgshare.settings import get_settings
from orgshare.storage import directory
from orgshare.storage import webhooks as store
from orgshare.storage.keys import ORG_OWNER


def failing(endpoint: dict[str, Any]) -> bool:
    return endpoint.get("failing_since") is not None


def record(outcomes: list[tuple[dict[str, Any], bool]]) -> None:
    """Each (endpoint, succeeded) of a batch's attempts moves its endpoint's health on: a failure
    starts a failing streak (or, days into one, disables the endpoint), a success ends it. Writes
    only on a change."""
    now = int(time.time())
    disable_before = now - int(get_settings().webhook_disable_after_days * 86_400)
    last: dict[tuple[str, str], tuple[dict[str, Any], bool]] = {}
    for endpoint, succeeded in outcomes:  # one transition per endpoint: its last attempt in the batch says
        last[(endpoint["org"], endpoint["id"])] = (endpoint, succeeded)
    for endpoint, succeeded in last.values():
        since = endpoint.get("failing_since")
        try:
            if succeeded and since is not None:
                store.mark_healthy(endpoint)
            elif not succeeded and since is None:
                store.mark_failing(endpoint, now)
            elif not succeeded and since is not None and int(since) < disable_before and endpoint.get("status") == "enabled":
                _disable(endpoint, disable_before)
        except Exception:  # health is best effort: a failure here must not hand the message over, posting its deliveries again
            logger.exception("webhook endpoint health not recorded", extra={"webhook_endpoint": endpoint["id"]})


def _disable(endpoint: dict[str, Any], disable_before: int) -> None:
    account, pool = _owner_account(endpoint)
    principal = Principal(org=endpoint["org"], account=account, kind="platform", pool=pool, mode=endpoint["mode"],
                          key_id="webhook_health", key_account=account)  # fmt: skip
    disabled = {**endpoint, "status": "disabled", "version": int(endpoint.get("version", 1)) + 1}
    change = change_record(
        principal, RequestInfo(id=f"req_webhook_health_{endpoint['id']}"), "webhook_endpoint.disabled", webhooks.render(disabled),
        audience="account", previous_attributes={"status": "enabled"}, actor={"type": "orgshare", "account": None},
    )  # fmt: skip
    if store.disable_failing(endpoint, disable_before, change):
        logger.warning("webhook endpoint disabled after days of failures", extra={"webhook_endpoint": endpoint["id"]})


def _owner_account(endpoint: dict[str, Any]) -> tuple[str, str]:
    """The account whose events tell of this endpoint, and its pool: the owner, or for an
    organization endpoint the platform (whose events the organization's endpoints get a copy of)."""
    org = endpoint["org"]
    if endpoint["owner"] != ORG_OWNER:
        record = directory.get_account(org, endpoint["owner"]) or {}
        return endpoint["owner"], str(record.get("pool", ""))
    organization = directory.get_organization(org) or {}
    pool = str(organization.get("shared_pool", ""))
    for account in directory.pool_members(org, pool):
        if (directory.get_account(org, account) or {}).get("kind") == "platform":
            return account, pool
    raise RuntimeError(f"organization {org} has no platform account")
