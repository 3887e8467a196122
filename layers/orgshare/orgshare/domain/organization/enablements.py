"""Sharing enablements: the platform switches sharing on for standard accounts, with the consent
it has collected, irreversibly; the migration worker then moves their customers into the pool."""

from __future__ import annotations

import math
import time
from typing import Any

from orgshare import messaging
from orgshare.domain.migration import enablement_view
from orgshare.domain.migration.worker import stalled, start_message, starts_at
from orgshare.domain.organization import access
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import InvalidRequest, ResourceMissing
from orgshare.ids import id_time_ms, new_id
from orgshare.observability import logger
from orgshare.params.organization import MAX_ENABLEMENT_ACCOUNTS, SharingDuplicateList, SharingEnablementCreate, SharingEnablementList
from orgshare.settings import get_settings
from orgshare.storage import directory
from orgshare.storage import enablements as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.wire.lists import list_object, page

CONSENT_NEEDED = (
    "consent_collected=true is required: enabling sharing shows each account's existing and future customers, "
    "with their saved cards, to every account of the organization's shared pool, and it cannot be turned off. "
    "Confirm that you have told those customers and collected their consent where the law requires it."
)
IRREVERSIBLE = "Sharing cannot be turned off once it is enabled: an account that shares keeps sharing, and its customers stay in the pool."


def require_platform(principal: Principal) -> None:
    """The organization's API: the platform key or an organization key (writes of a read-only key
    are refused before any route runs; see api.request.refuse_read_only)."""
    access.require_view(principal)


def _check_accounts(principal: Principal, wanted: list[str] | None) -> dict[str, dict[str, Any]]:
    if not wanted:
        raise InvalidRequest("Name at least one standard account of this organization in accounts[].", code="parameter_missing",
                             param="accounts")  # fmt: skip
    if len(wanted) > MAX_ENABLEMENT_ACCOUNTS:
        raise InvalidRequest(f"accounts[] can name at most {MAX_ENABLEMENT_ACCOUNTS} accounts in one enablement; make several.",
                             code="parameter_invalid", param="accounts")  # fmt: skip
    if len(set(wanted)) != len(wanted):
        raise InvalidRequest("accounts[] names the same account twice.", code="parameter_invalid", param="accounts")
    found: dict[str, dict[str, Any]] = {}
    for n, account in enumerate(wanted):
        record = directory.get_account(principal.org, account) if account.startswith("acct_") else None
        param = f"accounts[{n}]"
        if record is None:
            raise InvalidRequest(f"No such account: '{account[:64]}' in this organization.", code="resource_missing", param=param)
        if record["kind"] == "platform":
            raise InvalidRequest("The platform account owns the shared pool: it always shares.", code="account_already_shares", param=param)
        if record["kind"] == "connected":
            raise InvalidRequest(f"Account '{account}' is a connected account: it is already in the shared pool.",
                                 code="account_already_shares", param=param)  # fmt: skip
        if record.get(f"sharing_{principal.mode}"):
            raise InvalidRequest(f"Sharing is already enabled for account '{account}' in {principal.mode} mode. {IRREVERSIBLE}",
                                 code="account_already_shares", param=param)  # fmt: skip
        found[account] = record
    return found


def create(principal: Principal, params: SharingEnablementCreate, request: RequestInfo) -> dict[str, Any]:
    require_platform(principal)
    if params.consent_collected is not True:
        raise InvalidRequest(CONSENT_NEEDED, code="consent_required", param="consent_collected")
    records = _check_accounts(principal, params.accounts)
    now = int(time.time())
    enablement: dict[str, Any] = {
        "id": new_id("she"), "org": principal.org, "mode": principal.mode, "platform": principal.account,
        "pool": principal.pool, "accounts": list(records), "sources": {a: r["pool"] for a, r in records.items()},
        "status": "pending", "created": now, "seq": 0, "cursor": {"account": 0, "phase": "count", "found": 0},
        # Requests of these accounts move to the shared pool at switch_at, when no cached answer
        # about them can still send one to the pool they leave.
        "switch_at": now + math.ceil(get_settings().sharing_switch_delay()),
        "consent": {
            "collected": True, "collected_at": now, "account": principal.key_account, "api_key": principal.key_id,
            "request": request.id, "wording": enablement_view.CONSENT_WORDING, "wording_version": enablement_view.CONSENT_WORDING_VERSION,
        },
    }  # fmt: skip
    change = enablement_view.change(enablement, "sharing_enablement.created", request)
    try:
        store.create(enablement, principal.pool, change)
    except ConditionFailed:
        raise InvalidRequest(f"Sharing was enabled for one of these accounts meanwhile. {IRREVERSIBLE}", code="account_already_shares",
                             param="accounts") from None  # fmt: skip
    try:
        messaging.enqueue_migration(start_message(principal.org, principal.mode, enablement["id"]), enablement["switch_at"] - time.time())
    except Exception:  # sharing is enabled (irreversibly) all the same: a retry once it counts as stalled starts it
        logger.exception("the first step of a sharing enablement could not be queued", extra={"enablement": enablement["id"]})
    return enablement_view.render(enablement)


def _load(principal: Principal, enablement: str) -> dict[str, Any]:
    require_platform(principal)
    found = store.get(principal.org, principal.mode, enablement) if enablement.startswith("she_") and id_time_ms(enablement) else None
    if found is None:
        raise ResourceMissing("sharing_enablement", enablement)
    return found


def retrieve(principal: Principal, enablement: str) -> dict[str, Any]:
    return enablement_view.render(_load(principal, enablement))


def list_enablements(principal: Principal, params: SharingEnablementList, url: str) -> dict[str, Any]:
    require_platform(principal)
    items, has_more = page(
        params, lambda limit, after, before, desc: store.list_page(principal.org, principal.mode, limit=limit, after=after, before=before,
                                                                  descending=desc),
    )  # fmt: skip
    return list_object(url, [enablement_view.render(i) for i in items], has_more)


def retry(principal: Principal, enablement: str, request: RequestInfo) -> dict[str, Any]:
    """Resumes a failed enablement from its checkpoint (or nudges one whose next step was lost)."""
    found = _load(principal, enablement)
    if found["status"] == "succeeded":
        raise InvalidRequest("This sharing enablement has succeeded: there is nothing to retry.", code="sharing_enablement_succeeded")
    if found["status"] != "failed" and (time.time() < starts_at(found) or not stalled(found)):
        # Running: another message would only start a second chain of steps beside it.
        raise InvalidRequest(
            "This sharing enablement is running; only a failed one, or one whose last step is older than "
            f"{get_settings().migration_stall_seconds} s, can be retried.", code="sharing_enablement_running",
        )  # fmt: skip
    if found["status"] == "failed":
        try:
            store.advance(found, {"status": "in_progress"}, remove=("failure",), expect_status=("failed",))
        except ConditionFailed:
            raise InvalidRequest(
                "This sharing enablement changed meanwhile; retrieve it and try again.", code="sharing_enablement_changed"
            ) from None
        found = {**found, "status": "in_progress", "seq": found["seq"] + 1, "failure": None}
    del request
    messaging.enqueue_migration({**start_message(principal.org, principal.mode, enablement), "seq": found["seq"]})
    return enablement_view.render(found)


def refuse_disable(principal: Principal, enablement: str) -> dict[str, Any]:
    _load(principal, enablement)
    raise InvalidRequest(IRREVERSIBLE, code="sharing_irreversible")


def duplicates(principal: Principal, enablement: str, params: SharingDuplicateList, url: str) -> dict[str, Any]:
    """Customers of the pool sharing an email with one this enablement moved in: never merged
    (ids never change); listed so the business can decide."""
    _load(principal, enablement)
    after = params.starting_after.removeprefix("dup_") if params.starting_after else None
    found = store.list_duplicates(principal.org, principal.mode, enablement, limit=params.limit + 1, after=after)
    data = [{"object": "sharing_duplicate", "id": d["id"], "email": d["email"], "customers": sorted(d["customers"])} for d in found]
    return list_object(url, data[: params.limit], len(data) > params.limit)
