"""SetupIntents (Stripe's /v1/setup_intents): saving a card for later without paying now.

Confirming one attaches its card to its customer (a pool card then serves every account of the
pool) in the same transaction as the intent's new state and its events. No processor is asked:
a saved card is connector-agnostic, and each account's connector meets it at its first charge.
In test mode, Stripe's authentication cards (4000 0025 0000 3155, 4000 0027 6000 3184) stop at
`requires_action` until the checkout page's test authentication step completes or fails them.
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.domain import payment_methods
from orgshare.domain.changes import change_record
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import Conflict, InvalidRequest, ResourceMissing
from orgshare.ids import id_time_ms, new_id
from orgshare.params.checkout import SetupIntentCancel, SetupIntentConfirm, SetupIntentCreate, SetupIntentList, SetupIntentUpdate
from orgshare.params.customers import CustomerRetrieve
from orgshare.storage import checkout as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.wire.lists import list_object, narrowed, page

CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
_PRIVATE = ("org", "account", "mode", "version", "pk", "sk", "gsi1pk", "gsi1sk")


def render(intent: dict[str, Any]) -> dict[str, Any]:
    nullable = ("cancellation_reason", "client_secret", "customer", "description", "last_setup_error", "next_action", "payment_method")
    rendered = {**dict.fromkeys(nullable), **{k: v for k, v in intent.items() if k not in _PRIVATE}}
    rendered.update(object="setup_intent", livemode=intent["mode"] == "live")
    return rendered


def load(principal: Principal, intent: str) -> dict[str, Any]:
    found = store.get_setup_intent(principal.org, principal.account, principal.mode, intent)
    if found is None:
        raise ResourceMissing("setup_intent", intent)
    return found


def _card(principal: Principal, pm: str) -> dict[str, Any]:
    item = payment_methods.visible(principal, pm)
    if item["type"] != "card":
        raise InvalidRequest("Only cards can be set up here.", code="payment_method_invalid_parameter", param="payment_method")
    return item


def _check_customer(principal: Principal, customer: str | None) -> None:
    if customer is not None:
        from orgshare.domain import customers  # customers imports payment_methods too: resolved at call time

        try:
            customers.retrieve(principal, customer, CustomerRetrieve())
        except ResourceMissing:
            raise ResourceMissing("customer", customer, param="customer") from None


def create(principal: Principal, params: SetupIntentCreate, request: RequestInfo) -> dict[str, Any]:
    _check_customer(principal, params.customer)
    if params.payment_method:
        _card(principal, params.payment_method)
    intent_id = new_id("seti")
    intent = {
        "id": intent_id, "org": principal.org, "account": principal.account, "mode": principal.mode, "version": 1,
        "client_secret": None, "created": int(time.time()), "customer": params.customer, "description": params.description,
        "last_setup_error": None, "metadata": {k: v for k, v in (params.metadata or {}).items() if v is not None},
        "next_action": None, "payment_method": params.payment_method, "payment_method_types": ["card"], "usage": params.usage,
        "status": "requires_confirmation" if params.payment_method else "requires_payment_method", "cancellation_reason": None,
    }  # fmt: skip
    created = change_record(principal, request, "setup_intent.created", render(intent), audience="account")
    if params.confirm:
        return confirm_intent(principal, intent, None, request, [created])
    store.commit([store.setup_intent_put(intent, None)], [created])
    return render(intent)


def retrieve(principal: Principal, intent: str) -> dict[str, Any]:
    return render(load(principal, intent))


def update(principal: Principal, intent_id: str, params: SetupIntentUpdate, request: RequestInfo) -> dict[str, Any]:
    del request  # Stripe sends no event for an update
    intent = load(principal, intent_id)
    if intent["status"] not in CONFIRMABLE:
        raise _unexpected(intent, "update")
    new = {**intent, "version": intent["version"] + 1}
    if params.customer is not None:
        _check_customer(principal, params.customer)
        new["customer"] = params.customer
    if params.payment_method is not None:
        _card(principal, params.payment_method)
        new.update(payment_method=params.payment_method, status="requires_confirmation")
    if params.metadata is not None:
        new["metadata"] = {k: v for k, v in {**intent.get("metadata", {}), **params.metadata}.items() if v is not None}
    if "description" in params.given():
        new["description"] = params.description
    _save(new, intent["version"], [])
    return render(new)


def confirm(principal: Principal, intent_id: str, params: SetupIntentConfirm, request: RequestInfo) -> dict[str, Any]:
    intent = load(principal, intent_id)
    if intent["status"] not in CONFIRMABLE:
        raise _unexpected(intent, "confirm")
    if params.payment_method is not None:
        intent = {**intent, "payment_method": params.payment_method}
    return confirm_intent(principal, intent, intent["version"], request, [])


def confirm_intent(
    principal: Principal, intent: dict[str, Any], stored_version: int | None, request: RequestInfo, changes: list[dict[str, Any]]
) -> dict[str, Any]:
    """Sets the card up: attached to the customer (or waiting for a test authentication)."""
    if not intent.get("payment_method"):
        raise InvalidRequest(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            code="setup_intent_unexpected_state", param="payment_method",
        )  # fmt: skip
    card = _card(principal, intent["payment_method"])
    if card.get("requires_authentication") and not principal.livemode:
        new = {**intent, "version": intent["version"] + 1, "status": "requires_action",
               "next_action": {"type": "use_stripe_sdk", "use_stripe_sdk": {}}}  # fmt: skip
        _save(
            new,
            stored_version,
            [*changes, change_record(principal, request, "setup_intent.requires_action", render(new), audience="account")],
        )
        return render(new)
    return _succeed(principal, intent, stored_version, card, request, changes)


def authenticated(principal: Principal, intent_id: str, succeeded: bool, request: RequestInfo) -> dict[str, Any]:
    """The customer's answer to the test authentication step of an intent in requires_action."""
    intent = load(principal, intent_id)
    if intent["status"] != "requires_action":
        raise _unexpected(intent, "authenticate")
    if succeeded:
        return _succeed(
            principal, {**intent, "next_action": None}, intent["version"], _card(principal, intent["payment_method"]), request, []
        )
    error = {
        "type": "invalid_request_error", "code": "setup_intent_authentication_failure", "payment_method": {"id": intent["payment_method"]},
        "message": "The provided payment method has failed authentication. Provide a new payment method to attempt this SetupIntent again.",
    }  # fmt: skip
    new = {**intent, "version": intent["version"] + 1, "status": "requires_payment_method", "next_action": None, "last_setup_error": error,
           "payment_method": None}  # fmt: skip
    _save(new, intent["version"], [change_record(principal, request, "setup_intent.setup_failed", render(new), audience="account")])
    return render(new)


def _succeed(
    principal: Principal,
    intent: dict[str, Any],
    stored_version: int | None,
    card: dict[str, Any],
    request: RequestInfo,
    changes: list[dict[str, Any]],
) -> dict[str, Any]:
    new = {**intent, "version": intent["version"] + 1, "status": "succeeded", "last_setup_error": None, "next_action": None}
    writes: list[dict[str, Any]] = []
    outcome = [change_record(principal, request, "setup_intent.succeeded", render(new), audience="account")]
    customer = intent.get("customer")
    if customer and card.get("customer") != customer:
        if card.get("customer"):
            raise InvalidRequest(
                "The payment method you provided has already been attached to a customer.",
                code="payment_method_unexpected_state", param="payment_method",
            )  # fmt: skip
        attach, attached = payment_methods.attach_plan(principal, card, customer, request)
        writes += attach
        outcome.append(attached)
    _save(new, stored_version, [*changes, *outcome], writes)
    return render(new)


def _save(
    intent: dict[str, Any], expected_version: int | None, changes: list[dict[str, Any]], writes: list[dict[str, Any]] | None = None
) -> None:
    try:
        store.commit([store.setup_intent_put(intent, expected_version), *(writes or [])], changes)
    except ConditionFailed:
        raise Conflict("This SetupIntent was changed by another request; please retry.") from None


def _unexpected(intent: dict[str, Any], action: str) -> InvalidRequest:
    return InvalidRequest(
        f"You cannot {action} this SetupIntent because it has a status of {intent['status']}.",
        code="setup_intent_unexpected_state", param=None,
    )  # fmt: skip


def cancel(principal: Principal, intent_id: str, params: SetupIntentCancel, request: RequestInfo) -> dict[str, Any]:
    intent = load(principal, intent_id)
    if intent["status"] in ("succeeded", "canceled"):
        raise _unexpected(intent, "cancel")
    new = {**intent, "version": intent["version"] + 1, "status": "canceled", "cancellation_reason": params.cancellation_reason,
           "next_action": None}  # fmt: skip
    _save(new, intent["version"], [change_record(principal, request, "setup_intent.canceled", render(new), audience="account")])
    return render(new)


def list_intents(principal: Principal, params: SetupIntentList, url: str) -> dict[str, Any]:
    wanted = {k: v for k, v in (("customer", params.customer), ("payment_method", params.payment_method)) if v}

    def batch(limit: int, after: str | None, before: str | None) -> list[dict[str, Any]]:
        return store.list_setup_intents(principal.org, principal.account, principal.mode, limit=limit, after=after, before=before,
                                        oldest_ms=id_time_ms(principal.account) or 0, now_ms=int(time.time() * 1000))  # fmt: skip

    intents, has_more = page(params, narrowed(batch, wanted))
    return list_object(url, [render(i) for i in intents], has_more)
