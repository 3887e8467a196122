"""The migration worker: a sharing enablement's work, one bounded step per queue message.

Each step reads the enablement (its checkpoint), does one batch (count an account's customers,
or move up to MIGRATION_BATCH_SIZE of them), then commits the checkpoint with the step's events,
conditional on nobody having advanced it meanwhile, and queues the next step. A step that dies
anywhere is simply done again from the checkpoint: its moves are conditional, its counters are
counted in the moves themselves, so nothing moves or counts twice."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from orgshare import messaging
from orgshare.domain.migration import enablement_view
from orgshare.domain.migration.moves import Move, Moved, move_customers
from orgshare.ids import id_time_ms
from orgshare.observability import logger
from orgshare.settings import get_settings
from orgshare.storage import enablements as store
from orgshare.storage import migration as migration_store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.storage.keys import PoolScope
from orgshare.storage.months import month_of_ms, months_between

# Tests replace this to stop a step at each of its points (fault injection): nothing else calls it.
step_point: Callable[[str], None] = lambda _name: None  # noqa: E731


def start_message(org: str, mode: str, enablement: str) -> dict[str, Any]:
    return {"org": org, "mode": mode, "enablement": enablement, "seq": 0, "attempt": 0}


def _months_of(source: PoolScope, since: str | None) -> list[str]:
    oldest = month_of_ms(id_time_ms(source.pool) or 0)
    return list(months_between(month_of_ms(int(time.time() * 1000)), max(oldest, since or oldest), descending=False))


def _move_of(enablement: dict[str, Any], account: str) -> Move:
    org, mode = enablement["org"], enablement["mode"]
    return Move(org, mode, enablement["id"], PoolScope(org, enablement["sources"][account], mode), PoolScope(org, enablement["pool"], mode))


def _next_page(move: Move, cursor: dict[str, Any], limit: int) -> tuple[list[str], dict[str, Any] | None]:
    """Up to `limit` customers still to move from the cursor on, and where the next page starts
    (None: the pool has no more)."""
    found: list[str] = []
    after = cursor.get("after")
    for month in _months_of(move.source, cursor.get("month")):
        page = migration_store.unmoved_customers(move.source, month, after, limit - len(found))
        found += [c["id"] for c in page]
        if len(found) >= limit:
            return found, {**cursor, "month": month, "after": found[-1]}
        after = None
    return found, None


def _note_duplicates(move: Move, moved: Moved) -> None:
    """Customers of the pool that share an email with one just moved: reported, never merged."""
    emails = sorted(set(moved.emails.values()))

    def check(email: str) -> None:
        ids = migration_store.customers_with_email(move.target, email)
        if len(ids) > 1:
            store.add_duplicate(move.org, move.mode, move.enablement, email, email, ids)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(check, emails))


def _step(enablement: dict[str, Any]) -> bool:
    """Does the step the checkpoint names and commits the next; whether there is a next."""
    settings = get_settings()
    cursor = dict(enablement["cursor"])
    accounts: list[str] = enablement["accounts"]
    account = accounts[cursor["account"]]
    move = _move_of(enablement, account)
    step_point("read")
    if cursor["phase"] == "count":
        # Every account's customers at once, when the moving starts; those the accounts' own requests
        # moved since the switch have left the index already, and are in the counter instead.
        left = sum(
            migration_store.count_customers(m.source, month) for m in (_move_of(enablement, a) for a in accounts)
            for month in _months_of(m.source, None)
        )  # fmt: skip
        already = int((store.get(enablement["org"], enablement["mode"], enablement["id"]) or enablement).get("customers_moved", 0))
        step_point("counted")
        store.advance(
            enablement, {"status": "in_progress", "cursor": {"account": 0, "phase": "move", "found": 0}},
            add={"customers_total": left + already},
        )  # fmt: skip
        return True
    ids, following = _next_page(move, cursor, settings.migration_batch_size)
    step_point("listed")
    moved = move_customers(move, ids)
    step_point("moved")
    _note_duplicates(move, moved)
    step_point("duplicates")
    found = int(cursor.get("found", 0)) + len(moved.customers)
    moved_account: str | None = None
    values: dict[str, Any]
    if following is not None:
        values = {"cursor": {**following, "found": found}}
    elif cursor["phase"] == "move" or found:
        # One more pass from the start: what an index showed late (or moved back in) is found now.
        values = {"cursor": {"account": cursor["account"], "phase": "verify", "found": 0}}
    elif cursor["account"] + 1 < len(accounts):
        moved_account, values = account, {"cursor": {"account": cursor["account"] + 1, "phase": "move", "found": 0}}
    else:
        moved_account, values = account, {"status": "succeeded", "completed_at": int(time.time())}
    current = store.get(enablement["org"], enablement["mode"], enablement["id"]) or enablement
    changes = []
    if moved.customers:
        latest = {"account": account, "customers": moved.customers}
        changes.append(enablement_view.change(current, "sharing_enablement.progress", latest_batch=latest))
    if values.get("status") == "succeeded":
        changes.append(enablement_view.change({**current, **values}, "sharing_enablement.succeeded"))
    store.advance(enablement, values, changes=changes, moved_account=moved_account)
    step_point("checkpointed")
    return values.get("status") != "succeeded"


def _fail(enablement: dict[str, Any], exc: Exception) -> None:
    failure = {"code": "batch_failed", "message": f"A batch failed {get_settings().migration_attempts} times: {type(exc).__name__}.",
               "failed_at": int(time.time())}  # fmt: skip
    change = enablement_view.change({**enablement, "status": "failed", "failure": failure}, "sharing_enablement.failed")
    with contextlib.suppress(ConditionFailed):  # another worker moved it on: its outcome stands
        store.advance(enablement, {"status": "failed", "failure": failure}, changes=[change])


def handle(message: dict[str, Any]) -> None:
    """One queue message: a step of an enablement, unless it is stale (the step was done)."""
    settings = get_settings()
    org, mode, she, seq = message["org"], message["mode"], message["enablement"], int(message["seq"])
    enablement = store.get(org, mode, she)
    if enablement is None or enablement["status"] in ("succeeded", "failed"):
        return
    if seq != enablement["seq"]:
        if seq == enablement["seq"] - 1:  # done, but its successor may never have been queued
            messaging.enqueue_migration({**message, "seq": enablement["seq"], "attempt": 0})
        return
    wait = float(enablement["switch_at"]) - time.time()
    if wait > 0:  # not before every cached answer about the accounts has expired
        messaging.enqueue_migration(message, wait)
        return
    try:
        more = _step(enablement)
    except ConditionFailed:
        return  # another worker committed this step first: it queues the next
    except Exception as exc:
        attempt = int(message.get("attempt", 0)) + 1
        logger.warning("migration step failed", extra={"enablement": she, "seq": seq, "attempt": attempt, "error": type(exc).__name__})
        if attempt >= settings.migration_attempts:
            _fail(enablement, exc)
            return
        messaging.enqueue_migration({**message, "attempt": attempt}, min(900, settings.migration_retry_seconds * 2 ** (attempt - 1)))
        return
    step_point("queued")
    if more:
        messaging.enqueue_migration({**message, "seq": seq + 1, "attempt": 0})
