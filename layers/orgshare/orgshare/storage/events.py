"""Events (per account, and the organization's one-per-change copies) and delivery attempts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, client, key, query_range, to_item


def _table() -> str:
    return get_settings().events_table


def month_of(object_id: str) -> str:
    return datetime.fromtimestamp((id_time_ms(object_id) or 0) / 1000, tz=UTC).strftime("%Y%m")


def _months_back(now_ms: int, days: int) -> list[str]:
    """The month buckets an event of the last `days` days can be in, newest first."""
    newest = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    oldest = datetime.fromtimestamp(now_ms / 1000 - days * 86_400, tz=UTC)
    months, year, month = [], newest.year, newest.month
    while (year, month) >= (oldest.year, oldest.month):
        months.append(f"{year:04d}{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


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
    descending = after is None or before is not None
    months = _months_back(now_ms, retention_days)
    if before:
        months = [m for m in months if m <= month_of(before)]
    if after:
        months = [m for m in months if m >= month_of(after)]
    if not descending:
        months.reverse()
    found: list[dict[str, Any]] = []
    for month in months:
        found += query_range(
            _table(), ("pk", keys.events_pk(org, mode, owner, month)), "sk",
            after=after, before=before, descending=descending, limit=limit - len(found),
        )  # fmt: skip
        if len(found) >= limit:
            break
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
