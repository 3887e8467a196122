"""The migration worker: a sharing enablement's work, one bounded step per queue message.

Each step reads the enablement (its checkpoint), does one bounded piece (count the accounts'
customers, a page at a time; or move up to MIGRATION_BATCH_SIZE of them, journaled first), then
commits the checkpoint with the step's events, conditional on nobody having advanced it meanwhile,
and queues the next step. A step that dies anywhere is simply done again from the checkpoint: its
moves are conditional, its counters are counted in the moves themselves, its journal names the
same customers, so nothing moves, counts or goes unannounced twice or not at all."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from orgshare import messaging
from orgshare.domain.migration import enablement_view
from orgshare.domain.migration.moves import Move, move_customers
from orgshare.ids import id_time_ms
from orgshare.observability import logger
from orgshare.settings import get_settings
from orgshare.storage import enablements as store
from orgshare.storage import migration as migration_store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.storage.keys import PoolScope
from orgshare.storage.months import month_of_ms, months_between

COUNT_PAGES = 200  # index pages a count step reads at most (each up to 1 MB): seconds, not minutes
ANNOUNCED = 500  # customers requests moved, announced with one batch at most (the set drains faster than reads fill it)

# Tests replace this to stop a step at each of its points (fault injection): nothing else calls it.
step_point: Callable[[str], None] = lambda _name: None  # noqa: E731


def start_message(org: str, mode: str, enablement: str) -> dict[str, Any]:
    return {"org": org, "mode": mode, "enablement": enablement, "seq": 0, "attempt": 0}


def starts_at(enablement: dict[str, Any]) -> float:
    """When the moving may start: after the switch, once no request that began before it (and so
    still works in the old pool) can be running."""
    return float(enablement["switch_at"]) + get_settings().sharing_switch_margin_seconds


def _months_of(source: PoolScope, since: str | None) -> list[str]:
    oldest = month_of_ms(id_time_ms(source.pool) or 0)
    return list(months_between(month_of_ms(int(time.time() * 1000)), max(oldest, since or oldest), descending=False))


def _move_of(enablement: dict[str, Any], account: str) -> Move:
    org, mode = enablement["org"], enablement["mode"]
    return Move(org, mode, enablement["id"], PoolScope(org, enablement["sources"][account], mode), PoolScope(org, enablement["pool"], mode))


def _count(enablement: dict[str, Any]) -> None:
    """Counts the accounts' customers from the cursor on, COUNT_PAGES index pages at most a step."""
    cursor, accounts = enablement["cursor"], enablement["accounts"]
    counted, budget = 0, COUNT_PAGES
    index, month, start = int(cursor["account"]), cursor.get("month"), cursor.get("start")
    following: dict[str, Any] = {"account": 0, "phase": "move", "found": 0}  # when every account is counted
    while index < len(accounts) and budget > 0:
        source = _move_of(enablement, accounts[index]).source
        for current in _months_of(source, month):
            n, start, used = migration_store.count_customers(source, current, start, budget)
            counted, budget = counted + n, budget - used
            if start is not None or budget <= 0:  # the budget is spent: go on from here next step
                resume = current if start is not None else _next_month(current)
                following = {"account": index, "phase": "count", "month": resume, "start": start, "found": 0}
                break
        else:
            index, month, start = index + 1, None, None
            continue
        break
    step_point("counted")
    store.advance(enablement, {"status": "in_progress", "cursor": following}, add={"customers_total": counted})


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[4:]) + 1
    return f"{year + number // 13:04d}{(number - 1) % 12 + 1:02d}"


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


def _note_duplicates(move: Move, emails: list[str]) -> None:
    """Customers of the pool that share an email with one that just joined: reported, never merged."""

    def check(email: str) -> None:
        ids = migration_store.customers_with_email(move.target, email)
        if len(ids) > 1:
            store.add_duplicate(move.org, move.mode, move.enablement, email, ids)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(check, sorted(set(emails))))


def _move_batch(enablement: dict[str, Any]) -> bool:
    """Moves the next batch (or the one the journal names) and commits the checkpoint; whether
    there is a next step."""
    cursor, accounts = dict(enablement["cursor"]), enablement["accounts"]
    account = accounts[cursor["account"]]
    move = _move_of(enablement, account)
    journaled = enablement.get("batch") or {}
    if journaled.get("seq") == enablement["seq"]:
        ids, following = list(journaled["customers"]), journaled.get("following")
    else:
        ids, following = _next_page(move, cursor, get_settings().migration_batch_size)
        store.journal(enablement, {"seq": enablement["seq"], "customers": ids, "following": following})
    step_point("listed")
    move_customers(move, ids)
    step_point("moved")
    handed = sorted(enablement.get("handed_over") or [])[:ANNOUNCED]
    joined = migration_store.live_customers(move.target, [*ids, *handed])
    _note_duplicates(move, [e for e in joined.values() if e])
    step_point("duplicates")
    found = int(cursor.get("found", 0)) + len(ids)
    moved_account: str | None = None
    values: dict[str, Any]
    if following is not None:
        values = {"cursor": {**following, "found": found}}
    elif cursor["phase"] == "move" or found:
        # One more pass from the start: what an index showed late is found now.
        values = {"cursor": {"account": cursor["account"], "phase": "verify", "found": 0}}
    elif cursor["account"] + 1 < len(accounts):
        moved_account, values = account, {"cursor": {"account": cursor["account"] + 1, "phase": "move", "found": 0}}
    else:
        moved_account, values = account, {"status": "succeeded", "completed_at": int(time.time())}
    current = store.get(enablement["org"], enablement["mode"], enablement["id"]) or enablement
    if values.get("status") == "succeeded":  # exact now: every customer has moved, and counted as it did
        values["customers_total"] = int(current.get("customers_moved", 0))
    changes = []
    if joined:
        changes.append(enablement_view.change(current, "sharing_enablement.progress", latest_batch={"customers": sorted(joined)}))
    if values.get("status") == "succeeded":
        changes.append(enablement_view.change({**current, **values}, "sharing_enablement.succeeded"))
    # Whoever moved them, this step's customers are announced now: none of them again with the next.
    announced = sorted({*ids, *handed})
    store.advance(enablement, values, remove=("batch",), delete={"handed_over": announced}, changes=changes, moved_account=moved_account)
    step_point("checkpointed")
    return values.get("status") != "succeeded"


def _step(enablement: dict[str, Any]) -> bool:
    """Does the step the checkpoint names and commits the next; whether there is a next."""
    step_point("read")
    if enablement["cursor"]["phase"] == "count":
        _count(enablement)
        return True
    return _move_batch(enablement)


def _fail(enablement: dict[str, Any], exc: Exception) -> None:
    failure = {"code": "batch_failed", "message": f"A batch failed {get_settings().migration_attempts} times: {type(exc).__name__}.",
               "failed_at": int(time.time())}  # fmt: skip
    change = enablement_view.change({**enablement, "status": "failed", "failure": failure}, "sharing_enablement.failed")
    with contextlib.suppress(ConditionFailed):  # another worker moved it on: its outcome stands
        store.advance(enablement, {"status": "failed", "failure": failure}, changes=[change])


def stalled(enablement: dict[str, Any]) -> bool:
    """Whether an enablement's last checkpoint is older than any step takes to be handed over again:
    its next step was lost (a worker that died between its checkpoint and queueing the next)."""
    return time.time() - float(enablement.get("updated_at", enablement["created"])) >= get_settings().migration_stall_seconds


def handle(message: dict[str, Any]) -> None:
    """One queue message: a step of an enablement, unless it is stale (the step was done)."""
    settings = get_settings()
    org, mode, she, seq = message["org"], message["mode"], message["enablement"], int(message["seq"])
    enablement = store.get(org, mode, she)
    if enablement is None or enablement["status"] in ("succeeded", "failed"):
        return
    if seq != enablement["seq"]:
        # Done already. Only if it was done long ago may its successor have been lost: a duplicate
        # handed over at once must not start a second chain of steps.
        if seq == enablement["seq"] - 1 and stalled(enablement):
            messaging.enqueue_migration({**message, "seq": enablement["seq"], "attempt": 0})
        return
    wait = starts_at(enablement) - time.time()
    if wait > 0:
        messaging.enqueue_migration(message, wait)
        return
    try:
        more = _step(enablement)
    except Exception as exc:
        latest = store.get(org, mode, she) or enablement
        if isinstance(exc, ConditionFailed) and latest["seq"] != seq:
            return  # another worker committed this step first: it queues the next
        attempt = int(message.get("attempt", 0)) + 1
        logger.warning("migration step failed", extra={"enablement": she, "seq": seq, "attempt": attempt, "error": type(exc).__name__})
        if attempt >= settings.migration_attempts:
            _fail(latest, exc)
            return
        messaging.enqueue_migration({**message, "attempt": attempt}, min(900, settings.migration_retry_seconds * 2 ** (attempt - 1)))
        return
    step_point("queued")
    if more:
        messaging.enqueue_migration({**message, "seq": seq + 1, "attempt": 0})
