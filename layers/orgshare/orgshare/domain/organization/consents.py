"""A customer's consent records, for the organization: each "save my card for the organization's
businesses" consent given in a checkout (recorded on the card), and each sharing enablement that
moved the customer into the shared pool (the consent the platform confirmed for the account it came
from, with its wording and version). Listed, and exported as one downloadable document.

Consent records outlive an erasure: that consent was given is the proof a business keeps; they
hold no personal data but the customer's id (an erasure keeps the checkout ones beside its
claim before it destroys the cards they were recorded on)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from orgshare.domain.organization.access import require_view
from orgshare.domain.principal import Principal
from orgshare.errors import ResourceMissing
from orgshare.ids import id_time_ms
from orgshare.params.org_privacy import ConsentExport, ConsentList
from orgshare.storage import customers as customers_store
from orgshare.storage import directory, keys
from orgshare.storage import erasure as store
from orgshare.storage import payments as payments_store
from orgshare.storage.keys import PoolScope
from orgshare.wire.lists import list_object, page

_MAX_ACCOUNTS = 1000
_CHECKOUT_FIELDS = ("payment_method", "account", "checkout_session", "text")
# Every consent record's fields (stored ones lose their nulls: DynamoDB keeps none).
_FIELDS = ("id", "object", "customer", "source", "payment_method", "account", "checkout_session", "text", "wording_version",
           "sharing_enablement", "collected_by", "created")  # fmt: skip


@dataclass(frozen=True)
class Located:
    """Where a customer of the organization lives: its pool, the account that stands for that pool
    (the platform for the shared pool, a standard account for its own), and its shared item."""

    scope: PoolScope
    owner: str
    owner_kind: str
    shared: dict[str, Any]

    def principal(self, principal: Principal) -> Principal:
        """`principal` writing in this pool as its account (an organization operation for it)."""
        if self.owner == principal.account and self.scope.pool == principal.pool:
            return principal
        return replace(principal, account=self.owner, kind=self.owner_kind, pool=self.scope.pool)  # type: ignore[arg-type]


def organization_accounts(principal: Principal) -> list[dict[str, Any]]:
    return directory.list_accounts(principal.org, limit=_MAX_ACCOUNTS, after=None, before=None, descending=False)


def locate(principal: Principal, customer: str, accounts: list[dict[str, Any]] | None = None) -> Located:
    """The customer in whichever pool of the organization holds it (the shared pool, or a standard
    account's own): one read per 100 pools, by key. 404 for an id no pool of the caller's
    organization holds in its mode, as for a customer that does not exist."""
    if not customer.startswith("cus_") or id_time_ms(customer) is None:
        raise ResourceMissing("customer", customer, param="customer")
    owners: dict[str, tuple[str, str]] = {}
    for account in accounts if accounts is not None else organization_accounts(principal):
        if account["kind"] == "platform" or account["kind"] == "standard":
            owners.setdefault(str(account["pool"]), (str(account["id"]), str(account["kind"])))
    scopes = [PoolScope(principal.org, pool, principal.mode) for pool in owners]
    for scope, item in store.customer_in(scopes, customer):
        if "moved_to" not in item:  # a marker: the customer moved on from this pool
            owner, kind = owners[scope.pool]
            return Located(scope, owner, kind, item)
    raise ResourceMissing("customer", customer, param="customer")


def checkout_consent(record: dict[str, Any]) -> dict[str, Any]:
    """A card's usage record of a checkout consent, as a consent record."""
    return {"id": record["id"], "object": "customer_consent", "customer": record.get("customer"), "source": "checkout",
            **{f: record.get(f) for f in _CHECKOUT_FIELDS}, "wording_version": None, "sharing_enablement": None,
            "collected_by": None, "created": record["created"]}  # fmt: skip


def card_consents(located: Located) -> list[dict[str, Any]]:
    """The checkout consents recorded on the customer's cards (read from each card's audit trail)."""
    customer = located.shared["id"]
    links = customers_store.partition(located.scope, customer, prefix=keys.card_link_sk(""))
    found = []
    for link in links:
        trail = payments_store.usage_of(located.scope, link["id"], limit=1000, after=None, before=None, descending=True)
        found += [checkout_consent(r) for r in trail if r.get("object") == "payment_method_consent" and r.get("customer") == customer]
    return found


def _enablement_consents(principal: Principal, customer: str) -> list[dict[str, Any]]:
    """The sharing enablements that moved the customer into the shared pool: the marker it left in
    the pool of the account it came from says so (one read by key per account enabled)."""
    enablements = store.enablements(principal.org, principal.mode)
    sources = [(e, account, PoolScope(principal.org, pool, principal.mode)) for e in enablements for account, pool in e["sources"].items()]
    moved = {scope.pool for scope, item in store.customer_in([s for _e, _a, s in sources], customer) if "moved_to" in item}
    records = []
    for enablement, account, scope in sources:
        if scope.pool not in moved:
            continue
        consent = enablement["consent"]
        records.append({
            "id": enablement["id"], "object": "customer_consent", "customer": customer, "source": "sharing_enablement",
            "payment_method": None, "account": account, "checkout_session": None, "text": consent["wording"],
            "wording_version": consent["wording_version"], "sharing_enablement": enablement["id"],
            "collected_by": {"account": consent["account"], "api_key": consent["api_key"]}, "created": consent["collected_at"],
        })  # fmt: skip
    return records


def all_consents(principal: Principal, customer: str) -> tuple[Located, list[dict[str, Any]]]:
    located = locate(principal, customer)
    kept = [{f: r.get(f) for f in _FIELDS} for r in store.kept_consents(principal.org, principal.mode, customer)]
    found = {r["id"]: r for r in [*kept, *card_consents(located), *_enablement_consents(principal, customer)]}
    return located, sorted(found.values(), key=lambda r: (r["created"], r["id"]), reverse=True)


def list_consents(principal: Principal, customer: str, params: ConsentList, url: str) -> dict[str, Any]:
    require_view(principal)
    _, records = all_consents(principal, customer)
    order = [r["id"] for r in records]

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        # A handful of records, read whole: the cursors are positions in their newest-first order.
        start = order.index(before) + 1 if before in order else 0
        end = order.index(after) if after in order else len(order)
        chosen = records[start:end] if descending else records[start:end][::-1]
        return chosen[:limit]

    found, has_more = page(params, fetch)
    return list_object(url, found, has_more)


def export(principal: Principal, customer: str, params: ConsentExport) -> dict[str, Any]:
    """Every consent record of the customer in one document, with when it was made."""
    del params
    require_view(principal)
    located, records = all_consents(principal, customer)
    return {
        "object": "customer_consent_export",
        "customer": customer,
        "generated_at": int(time.time()),
        "livemode": principal.livemode,
        "deleted": bool(located.shared.get("deleted")),
        "erasure": located.shared.get("erasure"),
        "consents": records,
    }
