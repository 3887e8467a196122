"""GET /v1/organization: the organization, its accounts and whether each shares, its sharing
settings and its enablements, in the caller's mode."""

from __future__ import annotations

from typing import Any

from orgshare.domain.customers import SHARED_FIELDS
from orgshare.domain.migration import enablement_view
from orgshare.domain.organization import access
from orgshare.domain.principal import Principal
from orgshare.storage import directory
from orgshare.storage import enablements as enablements_store

_MAX_ACCOUNTS = 1000
_RECENT_ENABLEMENTS = 10


def shares(record: dict[str, Any], mode: str) -> bool:
    """Whether an account is in the shared pool in this mode (a standard account once sharing was enabled for it)."""
    return record["kind"] != "standard" or bool(record.get(f"sharing_{mode}"))


def retrieve(principal: Principal) -> dict[str, Any]:
    access.require_view(principal)
    org = directory.get_organization(principal.org) or {"id": principal.org, "name": None, "created": 0}
    records = directory.list_accounts(principal.org, limit=_MAX_ACCOUNTS, after=None, before=None, descending=False)
    accounts = []
    for record in records:
        joined = record.get(f"sharing_{principal.mode}") or {}
        accounts.append({
            "id": record["id"], "name": (record.get("business_profile") or {}).get("name"), "type": record["kind"],
            "shares": shares(record, principal.mode),
            "sharing": {"status": joined.get("status"), "enablement": joined.get("enablement"), "switches_at": int(joined["switch_at"])}
            if joined else None,
        })  # fmt: skip
    recent = enablements_store.list_page(principal.org, principal.mode, limit=_RECENT_ENABLEMENTS, after=None, before=None, descending=True)
    return {
        "id": org["id"],
        "object": "organization",
        "name": org.get("name"),
        "created": org.get("created"),
        "livemode": principal.livemode,
        "sandbox_of": org.get("sandbox_of"),
        "accounts": accounts,
        "sharing": {
            "shared_pool": org.get("shared_pool"),
            # Which customer fields one value serves the whole pool, and which each account keeps.
            "shared_fields": list(SHARED_FIELDS),
            "per_account_fields": ["metadata", "shipping", "balance", "invoice_settings.default_payment_method"],
            "shared_payment_method_types": ["card"],
            "irreversible": True,
        },
        "sharing_enablements": {
            "object": "list",
            "url": "/v1/organization/sharing_enablements",
            "data": [enablement_view.render(e) for e in recent],
            "has_more": len(recent) == _RECENT_ENABLEMENTS,
        },
    }
