"""The event types orgshare sends: what an endpoint's `enabled_events` may name.

Below the request models and the domain, which both use it. A module that starts emitting a new
type (a `change_record(...)` in domain/) adds it here; a unit test compares this catalogue with
the types the domain code emits.
"""

from __future__ import annotations

EVENT_TYPES: frozenset[str] = frozenset({
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "payment_method.attached",
    "payment_method.updated",
    "payment_method.detached",
    "payment_intent.created",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.amount_capturable_updated",
    "payment_intent.requires_action",
    "payment_intent.canceled",
    "charge.succeeded",
    "charge.failed",
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "setup_intent.created",
    "setup_intent.requires_action",
    "setup_intent.setup_failed",
    "setup_intent.succeeded",
    "setup_intent.canceled",
    "checkout.session.completed",
    "checkout.session.expired",
    "sharing_enablement.created",
    "sharing_enablement.progress",
    "sharing_enablement.succeeded",
    "sharing_enablement.failed",
    "webhook_endpoint.disabled",
})  # fmt: skip

# "customer.*", "checkout.session.*": every type of one group (a type without its last part).
GROUPS: frozenset[str] = frozenset(t.rpartition(".")[0] for t in EVENT_TYPES)


def accepts(pattern: str) -> bool:
    """An `enabled_events` entry: `*`, a type orgshare sends, or `<group>.*` for a known group."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return True
    group, dot_star, rest = pattern.partition(".*")
    return bool(dot_star) and not rest and group in GROUPS


def matches(pattern: str, event_type: str) -> bool:
    """Whether an `enabled_events` entry subscribes to `event_type`."""
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern in ("*", event_type)
