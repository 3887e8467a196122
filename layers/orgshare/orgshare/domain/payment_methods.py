"""Payment methods: a card is shared by every account of its pool under one id; any other type
stays with the account that saved it. Card numbers and account numbers live only in the vault."""

from __future__ import annotations

from typing import Any

from orgshare.domain import payment_method_items
from orgshare.domain.changes import change_record
from orgshare.domain.migration import handover
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import Conflict, InvalidRequest, PermissionDenied, ResourceMissing
from orgshare.params.payment_methods import (
    CardInput,
    CustomerPaymentMethodList,
    PaymentMethodAttach,
    PaymentMethodCreate,
    PaymentMethodList,
    PaymentMethodRetrieve,
    PaymentMethodUpdate,
    PaymentMethodUsageList,
)
from orgshare.storage import customers as customers_store
from orgshare.storage import payment_methods as store
from orgshare.storage import payments as payments_store
from orgshare.storage import receipts
from orgshare.storage.dynamo import ConditionFailed
from orgshare.vault import sealing
from orgshare.vault.cards import TEST_TOKENS, check_expiry
from orgshare.wire.lists import check_expand, list_object, page

EXPANDABLE = ("customer",)
_WRITE_ATTEMPTS = 3
_EMPTY_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def render(item: dict[str, Any], livemode: bool) -> dict[str, Any]:
    """The payment method as the API shows it: never the vault, never who may see it."""
    billing = item.get("billing_details") or {}
    rendered = {
        "id": item["id"],
        "object": "payment_method",
        "allow_redisplay": item.get("allow_redisplay", "unspecified"),
        "billing_details": {
            "address": {**_EMPTY_ADDRESS, **(billing.get("address") or {})},
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": billing.get("phone"),
        },
        "created": item["created"],
        "customer": item.get("customer"),
        "livemode": livemode,
        "metadata": item.get("metadata") or {},
        "type": item["type"],
    }
    rendered[item["type"]] = item[item["type"]]
    if item.get("sharing_consent"):  # orgshare's: the customer agreed, in a checkout, to share it with the pool
        rendered["sharing_consent"] = item["sharing_consent"]
    return rendered


def create(principal: Principal, params: PaymentMethodCreate, request: RequestInfo) -> dict[str, Any]:
    del request  # Stripe emits no event for a payment method that is only created
    check_expand(params.expand, EXPANDABLE)
    if principal.key_type == "publishable" and (params.type != "card" or params.expand):
        raise PermissionDenied("A publishable key can only create cards, for a checkout page.", code="secret_key_required")
    item, _ = payment_method_items.new_method(principal, params)
    rendered = render(item, principal.livemode)
    if principal.key_type == "publishable":  # a public key must not be an oracle for guessing card numbers
        rendered["card"] = {k: v for k, v in rendered["card"].items() if k not in ("fingerprint", "checks")}
    store.create(principal.scope, item, answer=rendered)
    return rendered


def create_for_charge(principal: Principal, params: PaymentMethodCreate) -> tuple[dict[str, Any], str]:
    """A new card saved on its way to a connector: the stored item and its number, which spares
    reading back and opening what was just sealed. Domain code only, like card_number_for_charge."""
    item, secret = payment_method_items.new_method(principal, params)
    return store.create(principal.scope, item), secret


def _find(principal: Principal, pm: str, customer: str | None = None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The method (and the customer's shared item, if asked) where the caller's pool has it; for an
    account moving into the shared pool, moved there first if it has not moved yet."""
    if not pm.startswith("pm_"):
        return None, None
    item, shared = store.get(principal.scope, pm, principal.account, customer)
    moved = item is None and handover.ensure_method(principal, pm)
    moved = (customer is not None and shared is None and handover.ensure_customer(principal, customer)) or moved
    if moved:  # what was not moved yet is now
        item, shared = store.get(principal.scope, pm, principal.account, customer)
    return item, shared


def _load(principal: Principal, pm: str, customer: str | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    item, shared = _find(principal, pm, customer)
    if item is None:
        raise ResourceMissing("PaymentMethod", pm, param="payment_method")
    return item, shared


def retrieve(principal: Principal, pm: str, params: PaymentMethodRetrieve, customer: str | None = None) -> dict[str, Any]:
    """A payment method the caller may see; with `customer`, only if attached to that customer."""
    check_expand(params.expand, EXPANDABLE)
    item, _ = _load(principal, pm)
    if customer is not None and item.get("customer") != customer:
        raise ResourceMissing("PaymentMethod", pm, param="payment_method")
    return render(item, principal.livemode)


def _previous(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: before.get(k) for k in after if after[k] != before.get(k)}


def _retrying(operation: Any) -> dict[str, Any]:
    """Runs a read-then-guarded-write operation again when a concurrent write won the race."""
    for _ in range(_WRITE_ATTEMPTS):
        try:
            result: dict[str, Any] = operation()
            return result
        except ConditionFailed:
            continue
    raise Conflict("This payment method is being changed by another request; please retry.")


def update(principal: Principal, pm: str, params: PaymentMethodUpdate, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)

    def attempt() -> dict[str, Any]:
        item, _ = _load(principal, pm)
        new = dict(item)
        new["billing_details"] = payment_method_items.billing(item.get("billing_details") or {}, params.billing_details)
        new["metadata"] = payment_method_items.metadata(item.get("metadata") or {}, params.metadata, "metadata" in params.given())
        if params.allow_redisplay is not None:
            new["allow_redisplay"] = params.allow_redisplay
        if params.card is not None:
            if item["type"] != "card":
                raise InvalidRequest("card can only be updated on a payment method of type card.", code="parameter_invalid", param="card")
            exp_month = params.card.exp_month or item["card"]["exp_month"]
            exp_year = params.card.exp_year or item["card"]["exp_year"]
            exp_month, exp_year = check_expiry(exp_month, exp_year)
            new["card"] = {**item["card"], "exp_month": exp_month, "exp_year": exp_year}
        before, after = render(item, principal.livemode), render(new, principal.livemode)
        previous = _previous(before, after)
        if not previous:
            return after
        new["version"] = item["version"] + 1
        change = change_record(principal, request, "payment_method.updated", after, audience="account", previous_attributes=previous)
        # A card's change is seen by every account of the pool: there is one card, under one id.
        store.save(principal.scope, new, item["version"], change, link=new.get("customer"), answer=after)
        return after

    return _retrying(attempt)


def is_test_token(pm: str) -> bool:
    """pm_card_visa and friends: attaching one makes a new card first."""
    return pm in TEST_TOKENS


def attach(principal: Principal, pm: str, params: PaymentMethodAttach, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    if is_test_token(pm):  # a new card from the test card, then attach it
        _attachable_customer(principal, params.customer)  # first: a refused attach must not leave the new card behind
        with receipts.aside():  # a step: the attach's own write answers the request
            pm = create(principal, PaymentMethodCreate(type="card", card=CardInput(token=pm)), request)["id"]

    def attempt() -> dict[str, Any]:
        item, shared = _load(principal, pm, params.customer)
        if shared is None or shared.get("deleted") or "moved_to" in shared:
            raise ResourceMissing("customer", params.customer, param="customer")
        if item.get("customer") == params.customer:
            return render(item, principal.livemode)
        if item.get("customer") is not None:
            raise InvalidRequest(
                "The payment method you provided has already been attached to a customer.",
                code="payment_method_unexpected_state", param="payment_method",
            )  # fmt: skip
        new = _attached(item, params.customer)
        attached = render(new, principal.livemode)
        change = change_record(principal, request, "payment_method.attached", attached, audience="account")
        extra = [store.customer_must_exist(principal.scope, params.customer)]
        store.save(principal.scope, new, item["version"], change, link=params.customer, extra=extra, answer=attached)
        return attached

    return _retrying(attempt)


def _attachable_customer(principal: Principal, customer: str) -> None:
    """404 unless `customer` is a live customer of the caller's pool (moved there first if its
    account is switching to the shared pool), as attaching checks again in its transaction."""
    shared, _ = customers_store.get(principal.scope, customer, principal.account)
    if shared is None and handover.ensure_customer(principal, customer):
        shared, _ = customers_store.get(principal.scope, customer, principal.account)
    if shared is None or shared.get("deleted") or "moved_to" in shared:
        raise ResourceMissing("customer", customer, param="customer")


def _attached(item: dict[str, Any], customer: str) -> dict[str, Any]:
    """`item` attached to `customer`: a card joins the customer's pool (and stays in it once detached)."""
    return {**item, "customer": customer, "version": item["version"] + 1, "pooled": item["type"] == "card" or None}


def detach(principal: Principal, pm: str, request: RequestInfo) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        item, _ = _load(principal, pm)
        customer = item.get("customer")
        if customer is None:
            raise InvalidRequest(
                "The payment method you provided is not attached to a customer so detachment is impossible.",
                code="payment_method_unexpected_state", param="payment_method",
            )  # fmt: skip
        # Every account whose default this method was loses it, as with Stripe.
        overlays = customers_store.partition(principal.scope, customer, prefix="ACCT#")
        clears = [
            store.clear_default(principal.scope, customer, overlay["sk"].removeprefix("ACCT#"), pm)
            for overlay in overlays
            if (overlay.get("invoice_settings") or {}).get("default_payment_method") == pm
        ]
        new = {**item, "customer": None, "version": item["version"] + 1}
        detached = render(new, principal.livemode)
        change = change_record(
            principal, request, "payment_method.detached", detached, audience="account", previous_attributes={"customer": customer}
        )
        store.save(principal.scope, new, item["version"], change, unlink=customer, extra=clears, answer=detached)
        return detached

    return _retrying(attempt)


def list_for_customer(principal: Principal, customer: str, params: CustomerPaymentMethodList, url: str) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE, in_list=True)
    found: dict[str, bool] = {}
    handover.ensure_customer(principal, customer)

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        del descending  # the store derives the order from the bounds
        exists, items = store.list_for_customer(
            principal.scope, customer, principal.account,
            cards=params.type in (None, "card"), own=params.type != "card",
            limit=limit, after=after, before=before,
        )  # fmt: skip
        found["customer"] = exists
        return [i for i in items if params.type in (None, i["type"])]

    items, has_more = page(params, fetch)
    if not found["customer"] and not items:
        raise ResourceMissing("customer", customer, param="customer")
    return list_object(url, [render(i, principal.livemode) for i in items], has_more)


def list_payment_methods(principal: Principal, params: PaymentMethodList, url: str) -> dict[str, Any]:
    """GET /v1/payment_methods?customer=...: the same list as under the customer."""
    return list_for_customer(principal, params.customer, params, url)


def find_with_customer(principal: Principal, pm: str, customer: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The method the caller may use under this id (None if none) and the customer's shared item
    (None if none), in one read: for a payment that names both."""
    return _find(principal, pm, customer)


def visible(principal: Principal, pm: str) -> dict[str, Any]:
    """The stored payment method the caller may use (404 otherwise); test tokens mint a card."""
    item, _ = _load(principal, pm)
    return item


def attach_plan(
    principal: Principal, item: dict[str, Any], customer: str, request: RequestInfo
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The writes and change record that attach `item` to `customer`, for another step's transaction."""
    handover.ensure_customer(principal, customer)
    new = _attached(item, customer)
    change = change_record(principal, request, "payment_method.attached", render(new, principal.livemode), audience="account")
    return store.attach_writes(principal.scope, new, item["version"]), change


def usage(principal: Principal, pm: str, params: PaymentMethodUsageList, url: str) -> dict[str, Any]:
    """Every charge of a card across the pool, newest first: which account charged it, through
    which connector, for which customer; and the customer's consent to share it, when a checkout
    saved it. For the account that saved the card and for the platform. A charge entry's id is
    its charge's, which is what the list's cursors take."""
    item, _ = _load(principal, pm)
    platform = principal.is_platform_key or principal.on_behalf  # acting via Stripe-Account / Stripe-Context
    if item["owner"] != principal.account and not platform:
        raise PermissionDenied("Only the account that saved this card, or the platform, can see its usage.", code="usage_not_permitted")
    charge_fields = ("object", "payment_method", "charge", "payment_intent", "account", "connector", "connector_name", "profile",
                     "customer", "amount", "currency", "status", "created", "actor")  # fmt: skip
    consent_fields = ("object", "payment_method", "account", "customer", "checkout_session", "text", "created", "actor")

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        return payments_store.usage_of(principal.scope, pm, limit=limit, after=after, before=before, descending=descending)

    records, has_more = page(params, fetch)
    rendered = [
        {"id": r["id"], **{f: r.get(f) for f in consent_fields}} if r["object"] == "payment_method_consent"
        else {"id": r["charge"], **{f: r.get(f) for f in charge_fields}}
        for r in records
    ]  # fmt: skip
    return list_object(url, rendered, has_more)


def attached_to(principal: Principal, pm: str, customer: str) -> bool:
    """Whether `pm` is a payment method the caller may see, attached to `customer`."""
    item, _ = _find(principal, pm)
    return item is not None and item.get("customer") == customer


def card_number_for_charge(principal: Principal, item: dict[str, Any]) -> str:
    """The number of a stored card (from `visible`), for a connector charging it through its
    processor. Domain code only; never reachable from an API response, and only a function with
    kms:Decrypt on the vault key can run it."""
    pm = item["id"]
    if item["type"] != "card":
        raise InvalidRequest(
            "Only a card's number can be used for a card charge.", code="payment_method_invalid_parameter", param="payment_method"
        )
    return sealing.open_sealed(sealing.Sealed.from_item(item["vault"]), payment_method_items.seal_context(principal, pm))
