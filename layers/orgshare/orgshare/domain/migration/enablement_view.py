"""A sharing enablement as the API shows it, and the change records its events come from."""

from __future__ import annotations

from typing import Any

from orgshare.domain.changes import Audience, change_record
from orgshare.domain.principal import Principal, RequestInfo

CONSENT_WORDING = (
    "I confirm that the customers of the accounts selected have been told, and have agreed, that their "
    "customer details and saved cards will be shared with every account of this organization's shared pool. "
    "Sharing cannot be turned off once enabled."
)
CONSENT_WORDING_VERSION = "2026-12-01"
_COUNTERS = ("customers_total", "customers_moved", "cards_moved", "other_payment_methods_moved")


def render(enablement: dict[str, Any], **extra: Any) -> dict[str, Any]:
    progress = {k: int(enablement.get(k, 0)) for k in _COUNTERS}
    progress["customers_remaining"] = max(progress["customers_total"] - progress["customers_moved"], 0)
    return {
        "id": enablement["id"],
        "object": "sharing_enablement",
        "accounts": enablement["accounts"],
        "status": enablement["status"],
        "progress": progress,
        "consent": enablement["consent"],
        "switches_at": int(enablement["switch_at"]),
        "created": enablement["created"],
        "completed_at": enablement.get("completed_at"),
        "failure": enablement.get("failure"),
        "livemode": enablement["mode"] == "live",
        **extra,
    }


def _platform(enablement: dict[str, Any]) -> Principal:
    return Principal(
        org=enablement["org"], account=enablement["platform"], kind="platform", pool=enablement["pool"],
        mode=enablement["mode"], key_id="migration", key_account=enablement["platform"],
    )  # fmt: skip


def change(enablement: dict[str, Any], event_type: str, request: RequestInfo | None = None, **extra: Any) -> dict[str, Any]:
    """The change record of an enablement event. Progress and success go to every account of the
    pool (each learns which customers just joined it, a batch an event); the rest to the platform."""
    audience: Audience = "pool" if event_type in ("sharing_enablement.progress", "sharing_enablement.succeeded") else "account"
    info = request or RequestInfo(id=f"req_migration_{enablement['id']}")
    obj = render(enablement, **extra)
    if audience == "pool":  # who confirmed the consent, with which key, is the platform's business
        obj = {k: v for k, v in obj.items() if k != "consent"}
    return change_record(_platform(enablement), info, event_type, obj, audience=audience)
