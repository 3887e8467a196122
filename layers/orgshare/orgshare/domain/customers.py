"""Customers of a pool: one id and one set of shared fields for every account of the pool,
and per-account fields (metadata, shipping, balance, invoice settings) each account keeps to itself."""

from __future__ import annotations

import secrets
import time
from typing import Any

from orgshare.domain import payment_methods
from orgshare.domain.changes import change_record
from orgshare.domain.migration import handover
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import Conflict, InvalidRequest, ResourceMissing
from orgshare.ids import id_time_ms, new_id
from orgshare.params.customers import CustomerCreate, CustomerList, CustomerRetrieve, CustomerUpdate
from orgshare.params.payment_methods import PaymentMethodRetrieve
from orgshare.storage import customer_search as search_index
from orgshare.storage import customers as store
from orgshare.storage import keys
from orgshare.storage import payment_methods as payment_methods_store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.wire.lists import check_expand, list_object, page

SHARED_FIELDS = (
    "name",
    "email",
    "phone",
    "address",
    "description",
    "preferred_locales",
    "tax_exempt",
    "invoice_prefix",
    "business_name",
    "individual_name",
)
ACCOUNT_FIELDS = ("metadata", "shipping", "balance", "invoice_settings")
EXPANDABLE = ("invoice_settings.default_payment_method", "default_source", "test_clock")
_WRITE_ATTEMPTS = 3
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems


def account_fields(overlay: dict[str, Any] | None) -> dict[str, Any]:
    """The per-account part of a customer, as one account's overlay gives it."""
    mine = overlay or {}
    settings = mine.get("invoice_settings") or {}
    return {
        "balance": mine.get("balance", 0),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": settings.get("default_payment_method"),
            "footer": settings.get("footer"),
            "rendering_options": None,
        },
        "metadata": mine.get("metadata") or {},
        "shipping": mine.get("shipping"),
    }


def render(shared: dict[str, Any], overlay: dict[str, Any] | None, livemode: bool) -> dict[str, Any]:
    """The customer as one account sees it: the pool's shared fields and its own overlay."""
    if shared.get("deleted"):
        return {"id": shared["id"], "object": "customer", "deleted": True}
    return {
        "id": shared["id"],
        "object": "customer",
        "address": shared.get("address"),
        "business_name": shared.get("business_name"),
        "created": shared["created"],
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": shared.get("description"),
        "discount": None,
        "email": shared.get("email"),
        "individual_name": shared.get("individual_name"),
        "invoice_prefix": shared.get("invoice_prefix"),
        "livemode": livemode,
        "name": shared.get("name"),
        "next_invoice_sequence": 1,
        "phone": shared.get("phone"),
        "preferred_locales": shared.get("preferred_locales") or [],
        "tax_exempt": shared.get("tax_exempt") or "none",
        "test_clock": None,
        **account_fields(overlay),
    }


def _apply(current: dict[str, Any], params: CustomerCreate | CustomerUpdate, fields: tuple[str, ...]) -> dict[str, Any]:
    """`current` with the given fields of `params` applied; metadata merges key by key."""
    updated = dict(current)
    given = params.given()
    for field in fields:
        if field not in given:
            continue
        value = getattr(params, field)
        if field == "metadata" and value is not None:
            merged = {**(current.get("metadata") or {}), **value}
            value = {k: v for k, v in merged.items() if v is not None} or None
        elif field == "invoice_settings" and value is not None:
            # Subfields merge: setting the footer keeps the default payment method.
            merged = {**(current.get("invoice_settings") or {}), **value.model_dump(exclude_unset=True)}
            value = {k: v for k, v in merged.items() if v is not None} or None
        elif hasattr(value, "model_dump"):
            value = value.model_dump()
        updated[field] = value
    return {k: v for k, v in updated.items() if v is not None}


def _default_payment_method(params: CustomerCreate | CustomerUpdate) -> str | None:
    settings = params.invoice_settings
    return settings.default_payment_method if settings is not None else None


def _check_default(principal: Principal, cus: str | None, params: CustomerCreate | CustomerUpdate) -> None:
    """A default payment method must be one the caller may see, attached to this customer."""
    pm = _default_payment_method(params)
    if pm is not None and (cus is None or not payment_methods.attached_to(principal, pm, cus)):
        raise InvalidRequest(
            f"No such PaymentMethod: '{pm[:64]}'; it must be attached to this customer to be its default.",
            code="resource_missing", param="invoice_settings[default_payment_method]",
        )  # fmt: skip


def _overlay_or_none(overlay: dict[str, Any]) -> dict[str, Any] | None:
    values = {k: v for k, v in overlay.items() if k in ACCOUNT_FIELDS and v not in (None, {}, 0)}
    return values or None


def create(principal: Principal, params: CustomerCreate, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    _check_default(principal, None, params)
    cus = new_id("cus")
    shared = _apply({"id": cus, "created": int(time.time()), "version": 1}, params, SHARED_FIELDS)
    shared.setdefault("invoice_prefix", secrets.token_hex(4).upper())
    overlay = _overlay_or_none(_apply({}, params, ACCOUNT_FIELDS))
    if overlay:
        shared["overlays"] = {principal.account}
    customer = render(shared, overlay, principal.livemode)
    change = change_record(principal, request, "customer.created", customer, audience="pool")
    indexed = search_index.writes(principal.scope, cus, {}, search_index.slots(shared, principal.account, overlay))
    overlays: dict[str, dict[str, Any] | None] = {principal.account: overlay} if overlay else {}
    store.save(principal.scope, shared, overlays, change, expected_version=None, extra=indexed, answer=customer)
    return customer


def _load(principal: Principal, cus: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    shared, overlay = store.get(principal.scope, cus, principal.account) if id_time_ms(cus) else (None, None)
    if shared is None and handover.ensure_customer(principal, cus):  # not moved yet: moved now
        shared, overlay = store.get(principal.scope, cus, principal.account)
    if shared is None or "moved_to" in shared:  # a marker: the customer moved to the shared pool
        raise ResourceMissing("customer", cus)
    return shared, overlay


def _expanded(principal: Principal, customer: dict[str, Any], expand: list[str]) -> dict[str, Any]:
    settings = customer.get("invoice_settings") or {}
    pm = settings.get("default_payment_method")
    if "invoice_settings.default_payment_method" in expand and pm:
        method = payment_methods.retrieve(principal, pm, PaymentMethodRetrieve())
        customer = {**customer, "invoice_settings": {**settings, "default_payment_method": method}}
    return customer


def retrieve(principal: Principal, cus: str, params: CustomerRetrieve) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    shared, overlay = _load(principal, cus)
    return _expanded(principal, render(shared, overlay, principal.livemode), params.expand)


def _previous(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changed = {k: before.get(k) for k in after if k != "id" and after[k] != before.get(k)}
    if "metadata" in changed:
        # Stripe lists only the metadata keys that changed, with their old values ("" if new).
        old, new = before.get("metadata") or {}, after.get("metadata") or {}
        changed["metadata"] = {k: old.get(k, "") for k in set(old) | set(new) if old.get(k) != new.get(k)}
    return changed


def update(principal: Principal, cus: str, params: CustomerUpdate, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    _check_default(principal, cus, params)
    for _ in range(_WRITE_ATTEMPTS):
        shared, overlay = _load(principal, cus)
        if shared.get("deleted"):
            raise ResourceMissing("customer", cus)
        new_shared = _apply(shared, params, SHARED_FIELDS)
        new_overlay = _overlay_or_none(_apply(overlay or {}, params, ACCOUNT_FIELDS))
        before = render(shared, overlay, principal.livemode)
        after = render(new_shared, new_overlay, principal.livemode)
        previous = _previous(before, after)
        if not previous:
            return _expanded(principal, after, params.expand)  # nothing changed: nothing to write, no event
        shared_changed = any(new_shared.get(f) != shared.get(f) for f in SHARED_FIELDS)
        overlays = set(shared.get("overlays") or ())
        overlays = overlays | {principal.account} if new_overlay else overlays - {principal.account}
        new_shared.update(version=shared["version"] + 1, overlays=overlays)
        change = change_record(
            principal,
            request,
            "customer.updated",
            after,
            audience="pool" if shared_changed else "account",
            previous_attributes=previous,
        )
        # The search index items in step, in the same transaction (the version guards them too).
        indexed = search_index.writes(
            principal.scope, cus, search_index.slots(shared, principal.account, overlay),
            search_index.slots(new_shared, principal.account, new_overlay),
        )  # fmt: skip
        answer = _expanded(principal, after, params.expand)  # before the write: it records the answer
        try:
            store.save(
                principal.scope, new_shared, {principal.account: new_overlay}, change,
                expected_version=shared["version"], extra=indexed, answer=answer,
            )  # fmt: skip
        except ConditionFailed:
            continue  # another write landed between our read and write: read again
        return answer
    raise Conflict("This customer is being changed by another request; please retry.")


def delete(principal: Principal, cus: str, request: RequestInfo) -> dict[str, Any]:
    """Deletes the customer for the whole pool: its overlays go, and its payment methods are
    detached (they stay retrievable by id, with no customer), in one transaction."""
    handover.ensure_customer(principal, cus)
    for _ in range(_WRITE_ATTEMPTS):
        items = store.partition(principal.scope, cus) if id_time_ms(cus) else []
        shared = next((i for i in items if i["sk"] == keys.CUSTOMER_SK), None)
        if shared is None or shared.get("deleted") or "moved_to" in shared:
            raise ResourceMissing("customer", cus)
        overlay = next((i for i in items if i["sk"] == keys.overlay_sk(principal.account)), None)
        tombstone = {"id": cus, "created": shared["created"], "version": shared["version"] + 1, "deleted": True}
        change = change_record(principal, request, "customer.deleted", render(shared, overlay, principal.livemode), audience="pool")
        overlays: dict[str, dict[str, Any] | None] = {i["sk"].removeprefix("ACCT#"): None for i in items if i["sk"].startswith("ACCT#")}
        detaches = [
            w for i in items if i["sk"].startswith(("PM#", "XPM#")) for w in payment_methods_store.detach_writes(principal.scope, i)
        ]
        # Every account's search index items go too: with it when they fit its transaction, else
        # right after it (until then they name a tombstone, which a search drops).
        unindexed = search_index.deletes(items)
        room = max(MAX_TRANSACTION_ITEMS - 3 - len(overlays) - len(detaches), 0)  # the tombstone, the change, the key's record
        deleted = render(tombstone, None, principal.livemode)
        try:
            store.save(
                principal.scope, tombstone, overlays, change,
                expected_version=shared["version"], extra=detaches + unindexed[:room], answer=deleted,
            )  # fmt: skip
        except ConditionFailed:
            continue
        search_index.delete_now(unindexed[room:])
        return deleted
    raise Conflict("This customer is being changed by another request; please retry.")


def list_customers(principal: Principal, params: CustomerList, url: str) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE, in_list=True)
    now_ms = int(time.time() * 1000)

    # While the account's customers move into the pool, those not moved yet are listed from the
    # pool they are leaving (read first: one moving in between shows in both, and is shown once).
    source = handover.source_scope(principal)
    scopes = [source, principal.scope] if source is not None else [principal.scope]

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for scope in scopes:
            for item in store.list_page(
                scope, limit=limit, after=after, before=before, email=params.email,
                pool_created_ms=id_time_ms(scope.pool) or 0, now_ms=now_ms,
            ):  # fmt: skip
                found.setdefault(item["id"], item)
        return sorted(found.values(), key=lambda i: i["id"], reverse=descending)[:limit]

    shared_items, has_more = page(params, fetch)
    data = []
    for scope in scopes:
        here = [s for s in shared_items if s["pk"].startswith(scope.prefix + "#")]
        wanted = [s["id"] for s in here if principal.account in (s.get("overlays") or ())]
        overlays = store.get_overlays(scope, wanted, principal.account)
        data += [(s["id"], render(s, overlays.get(s["id"]), principal.livemode)) for s in here]
    order = {s["id"]: n for n, s in enumerate(shared_items)}
    return list_object(url, [c for _id, c in sorted(data, key=lambda d: order[d[0]])], has_more)
