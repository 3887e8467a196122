"""Events (per account, and the organization's one-per-change copies) and delivery attempts."""

from __future__ import annotations

from typing import Any

from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, client, key, query_range, to_item
from orgshare.storage.months import month_of, query_months


def _table() -> str:
    return get_settings().events_table


def _write_all(requests: list[dict[str, Any]]) -> None:
    for start in range(0, len(requests), 25):
        pending: dict[str, Any] = {_table(): requests[start : start + 25]}
        while pending:
            pending = client().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def put_events(org: str, mode: str, events: list[tuple[str, dict[str, Any]]], expires_at: int) -> None:
    """Writes (owner, event) pairs; rewriting the same event id is harmless, so a retried
    batch of the publisher leaves one copy of each."""
    _write_all([
        {"PutRequest": {"Item": {
            **to_item({"event": event, "expires_at": expires_at}),
            **key(keys.events_pk(org, mode, owner, month_of(event["id"])), event["id"]),
        }}}
        for owner, event in events
    ])  # fmt: skip


def get_event(org: str, mode: str, owners: list[str], event: str) -> dict[str, Any] | None:
    """The event with this id under any of `owners` (one BatchGetItem)."""
    if id_time_ms(event) is None:
        return None
    found = batch_get(_table(), [key(keys.events_pk(org, mode, owner, month_of(event)), event) for owner in owners])
    return found[0]["event"] if found else None


def list_events(
    org: str, mode: str, owner: str, *, limit: int, after: str | None, before: str | None, now_ms: int, retention_days: int
) -> list[dict[str, Any]]:
    """Up to `limit` events of an owner with ids strictly between after and before; newest first
    unless only `after` is set."""
    found = query_months(
        _table(), ("pk", lambda month: keys.events_pk(org, mode, owner, month)), "sk",
        after=after, before=before, oldest_ms=now_ms - retention_days * 86_400_000, now_ms=now_ms, limit=limit,
    )  # fmt: skip
    return [item["event"] for item in found]


def put_attempts(org: str, mode: str, attempts: list[dict[str, Any]], expires_at: int) -> None:
    _write_all([
        {"PutRequest": {"Item": {
            **to_item({**attempt, "expires_at": expires_at}),
            **key(keys.attempts_pk(org, mode, attempt["event"]), f"{attempt['created_ms']:013d}#{attempt['webhook_endpoint']}"),
        }}}
        for attempt in attempts
    ])  # fmt: skip


def list_attempts(org: str, mode: str, event: str, limit: int = 100) -> list[dict[str, Any]]:
    return query_range(_table(), ("pk", keys.attempts_pk(org, mode, event)), "sk", descending=True, limit=limit)
