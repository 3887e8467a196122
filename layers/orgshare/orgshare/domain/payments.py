"""PaymentIntents (refunds are in refunds.py, the list in payment_intent_lists.py). A payment belongs to
the account that made it and runs through that account's connector; the card may have been saved by
any account of the pool.

Confirming is one connector call and one transaction (the intent, its charge (domain/charges.py),
the card's usage record, the events, and for setup_future_usage the card's attachment). The
connector is asked with an idempotency key derived from the intent and its version, so two
confirms racing (or a retry after a crash) cannot charge twice: the processor sees the same key,
and only one of the two writes can win the version guard.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orgshare.connectors import Card, ChargeResult, Connector, ConnectorAuthFailed, ProcessorFailed
from orgshare.currencies import check_amount
from orgshare.domain import charges, payment_methods, profiles
from orgshare.domain.changes import change_record
from orgshare.domain.migration import handover
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import CardError, Conflict, InvalidRequest, ProcessorUnavailable, ResourceMissing
from orgshare.ids import id_time_ms, new_id
from orgshare.params.payment_methods import PaymentMethodCreate
from orgshare.params.payments import (
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentConfirm,
    PaymentIntentCreate,
    PaymentIntentRetrieve,
    PaymentIntentUpdate,
    PaymentMethodData,
)
from orgshare.storage import charges as charges_store
from orgshare.storage import customers as customers_store
from orgshare.storage import payments as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.wire.lists import check_expand

CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_capture", "requires_action")
PRIVATE_FIELDS = ("org", "account", "mode", "version", "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "reference", "charge_reference",
                  "refund_count", "erasure")  # fmt: skip
EXPANDABLE = ("latest_charge",)


class PaymentDeclined(CardError):
    """A decline: the intent's new state is committed, then the caller gets the card error (with
    the intent in it), and an idempotent retry replays that same answer."""

    stored = True

    def __init__(self, intent: dict[str, Any]) -> None:
        error = intent["last_payment_error"]
        super().__init__(error["message"], code=error["code"], param=None)
        self.decline_code = error.get("decline_code")
        self.intent = intent

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"].update(charge=self.intent["latest_charge"], decline_code=self.decline_code, payment_intent=self.intent)
        return body


def render(intent: dict[str, Any]) -> dict[str, Any]:
    rendered = {k: v for k, v in intent.items() if k not in PRIVATE_FIELDS}
    rendered["livemode"] = intent["mode"] == "live"
    rendered["object"] = "payment_intent"
    for field in ("customer", "description", "payment_method", "latest_charge", "last_payment_error", "next_action", "setup_future_usage",
                  "canceled_at", "cancellation_reason"):  # fmt: skip
        rendered.setdefault(field, None)
    rendered.setdefault("metadata", {})
    return rendered


def _expanded(principal: Principal, intent: dict[str, Any], expand: list[str], known: dict[str, Any] | None = None) -> dict[str, Any]:
    return charges.expand_intents(principal, [render(intent)], expand, known)[0]


def load(principal: Principal, intent: str) -> dict[str, Any]:
    found = store.get_intent(principal.org, principal.account, principal.mode, intent)
    if found is None:
        raise ResourceMissing("payment_intent", intent)
    return found


def _unexpected(intent: dict[str, Any], action: str) -> InvalidRequest:
    return InvalidRequest(
        f"You cannot {action} this PaymentIntent because it has a status of {intent['status']}.",
        code="payment_intent_unexpected_state", param=None,
    )  # fmt: skip


def _payment_method(
    principal: Principal, pm: str | None, data: PaymentMethodData | None, known: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str | None] | None:
    """The card to charge: an existing one the caller may use (`known` if already read), a test
    token, or new card data (which comes with its number, so the charge need not open what was just sealed)."""
    if data is not None:
        params = PaymentMethodCreate(type="card", card=data.card, billing_details=data.billing_details)
    elif pm is not None and pm.startswith("pm_card_"):
        params = PaymentMethodCreate.model_validate({"type": "card", "card": {"token": pm}})
    elif pm is None:
        return None
    else:
        item = known if known is not None and known["id"] == pm else payment_methods.visible(principal, pm)
        if item["type"] != "card":
            raise InvalidRequest("Only cards can be charged here.", code="payment_method_invalid_parameter", param="payment_method")
        return item, None
    item, number = payment_methods.create_for_charge(principal, params)
    return item, number


@contextmanager
def processor_call(connector_name: str) -> Iterator[None]:
    """A connector's failures as API errors; nothing has been written when they are raised."""
    try:
        yield
    except ConnectorAuthFailed:
        raise InvalidRequest(
            f"The {connector_name} connector's credentials were refused by its processor; nothing was changed.",
            code="connector_authentication_failed", param="profile",
        ) from None  # fmt: skip
    except ProcessorFailed as exc:
        if exc.retryable:
            raise ProcessorUnavailable(f"{exc} Nothing was changed; retry the request.", code="connector_unavailable") from None
        raise InvalidRequest(str(exc), code="connector_request_failed") from None


def _check_customer(principal: Principal, customer: str | None, pm: str | None = None) -> dict[str, Any] | None:
    """404 unless `customer` is a live customer of the caller's pool. With `pm`, a saved method's
    id, that method is read in the same round trip: it is returned if the caller may use it."""
    if customer is None:
        return None
    if pm is not None and pm.startswith("pm_") and not pm.startswith("pm_card_"):
        method, shared = payment_methods.find_with_customer(principal, pm, customer)  # moved first, like the below
    else:
        method = None
        shared, _ = customers_store.get(principal.scope, customer, principal.account) if id_time_ms(customer) else (None, None)
        if shared is None and handover.ensure_customer(principal, customer):  # not moved yet: moved now
            shared, _ = customers_store.get(principal.scope, customer, principal.account)
    if shared is None or shared.get("deleted") or "moved_to" in shared:
        raise ResourceMissing("customer", customer, param="customer")
    return method


def create(principal: Principal, params: PaymentIntentCreate, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    currency = check_amount(params.amount, params.currency)
    known = _check_customer(principal, params.customer, None if params.payment_method_data else params.payment_method)
    profile = profiles.profile_id(principal, params.profile)
    # The connector first: a confirm that cannot run must not have saved the card it was given.
    connector = profiles.connector_for(principal, profile) if params.confirm else None
    method = _payment_method(principal, params.payment_method, params.payment_method_data, known)
    intent_id = new_id("pi")
    intent = {
        "id": intent_id, "org": principal.org, "account": principal.account, "mode": principal.mode, "version": 1,
        "amount": params.amount, "amount_capturable": 0, "amount_received": 0, "amount_refunded": 0, "currency": currency,
        "capture_method": params.capture_method, "client_secret": f"{intent_id}_secret_{new_id('cs')[3:]}",
        "confirmation_method": "automatic", "created": (id_time_ms(intent_id) or 0) // 1000, "customer": params.customer,
        "description": params.description, "metadata": {k: v for k, v in (params.metadata or {}).items() if v is not None},
        "payment_method": method[0]["id"] if method else None, "payment_method_types": ["card"],
        "setup_future_usage": params.setup_future_usage, "profile": profile,
        "status": "requires_confirmation" if method else "requires_payment_method",
    }  # fmt: skip
    created = change_record(principal, request, "payment_intent.created", render(intent), audience="account")
    if connector is not None:  # created and confirmed in one transaction
        return _confirm(principal, intent, None, connector, method, None, params.off_session, request, [created], params.expand)
    answer = _expanded(principal, intent, params.expand)
    store.commit([store.intent_put(intent, None)], [created], answer=answer)
    return answer


def retrieve(principal: Principal, intent: str, params: PaymentIntentRetrieve) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    return _expanded(principal, load(principal, intent), params.expand)


def update(principal: Principal, intent_id: str, params: PaymentIntentUpdate, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    intent = load(principal, intent_id)
    if intent["status"] not in CONFIRMABLE:
        raise _unexpected(intent, "update")
    new = dict(intent)
    if params.amount is not None or params.currency is not None:
        new["currency"] = check_amount(params.amount or intent["amount"], params.currency or intent["currency"])
        new["amount"] = params.amount or intent["amount"]
    if params.customer is not None:
        _check_customer(principal, params.customer)
        new["customer"] = params.customer
    if params.payment_method is not None:
        method = _payment_method(principal, params.payment_method, None)
        new["payment_method"] = method[0]["id"] if method else None
        new["status"] = "requires_confirmation"
    if params.metadata is not None:
        merged = {**intent.get("metadata", {}), **params.metadata}
        new["metadata"] = {k: v for k, v in merged.items() if v is not None}
    if "description" in params.given():
        new["description"] = params.description
    if params.setup_future_usage is not None:
        new["setup_future_usage"] = params.setup_future_usage
    new["version"] = intent["version"] + 1
    try:
        store.commit([store.intent_put(new, intent["version"])], [])
    except ConditionFailed:
        raise Conflict("This PaymentIntent was changed by another request; please retry.") from None
    return _expanded(principal, new, params.expand)


def confirm(principal: Principal, intent_id: str, params: PaymentIntentConfirm, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    intent = load(principal, intent_id)
    if intent["status"] not in CONFIRMABLE:
        raise _unexpected(intent, "confirm")
    connector = profiles.connector_for(principal, intent["profile"])
    method = _payment_method(principal, params.payment_method, params.payment_method_data)
    return _confirm(
        principal, intent, intent["version"], connector, method, params.setup_future_usage, params.off_session, request, [], params.expand
    )


def _confirm(
    principal: Principal,
    intent: dict[str, Any],
    stored_version: int | None,
    processor: tuple[dict[str, Any], Connector],
    given: tuple[dict[str, Any], str | None] | None,
    setup_future_usage: str | None,
    off_session: bool | str | None,
    request: RequestInfo,
    changes: list[dict[str, Any]],
    expand: list[str],
) -> dict[str, Any]:
    """One connector call, then one transaction: the intent (new, or guarded by `stored_version`),
    its charge and the card's usage record, an attachment for setup_future_usage, and the events.

    Unless the caller says (`off_session`), charging a card another account of the pool saved is a
    merchant-initiated payment: that customer is not in this account's checkout to authenticate."""
    intent_id = intent["id"]
    if given is None and intent.get("payment_method"):
        given = payment_methods.visible(principal, intent["payment_method"]), None
    if given is None:
        raise InvalidRequest(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state", param="payment_method",
        )  # fmt: skip
    method, number = given
    customer = intent.get("customer")
    if method.get("customer") and customer and method["customer"] != customer:
        raise InvalidRequest(
            "The payment method belongs to another customer.", code="payment_method_invalid_parameter", param="payment_method"
        )
    record, connector = processor
    number = number or payment_methods.card_number_for_charge(principal, method)
    card = Card(number, method["card"]["exp_month"], method["card"]["exp_year"])
    capture = intent["capture_method"] != "manual"
    with processor_call(record["connector_name"]):
        result = connector.authorize(
            card, intent["amount"], intent["currency"], capture=capture,
            off_session=bool(off_session) if off_session is not None else method.get("owner") != principal.account,
            idempotency_key=f"{intent_id}-{intent['version']}",
        )  # fmt: skip

    return _settle(principal, intent, stored_version, record, method, result, setup_future_usage, request, changes, expand)


def _settle(
    principal: Principal,
    intent: dict[str, Any],
    stored_version: int | None,
    record: dict[str, Any],
    method: dict[str, Any],
    result: ChargeResult,
    setup_future_usage: str | None,
    request: RequestInfo,
    changes: list[dict[str, Any]],
    expand: list[str],
) -> dict[str, Any]:
    """The processor's answer committed in one transaction: the intent, its charge (a declined one
    too, as Stripe keeps it) with the card's usage record, an attachment for setup_future_usage,
    and the events, in Stripe's order; a decline raised after it is stored."""
    intent_id, customer, now = intent["id"], intent.get("customer"), int(time.time())
    new = {
        **intent,
        "version": intent["version"] + 1,
        "payment_method": method["id"],
        "connector": record["id"],
        "last_payment_error": None,
    }
    if setup_future_usage:
        new["setup_future_usage"] = setup_future_usage
    writes: list[dict[str, Any]] = []
    outcome: list[dict[str, Any]] = []
    charge: dict[str, Any] | None = None
    if result.status in ("succeeded", "requires_capture"):
        charge = charges.build(principal, new, method, result.status == "succeeded", None)
        new.update(latest_charge=charge["id"], reference=result.reference, status=result.status, next_action=None)
        if result.status == "succeeded":
            new.update(amount_received=intent["amount"], amount_capturable=0)
        else:
            new["amount_capturable"] = intent["amount"]
        usage = {"object": "payment_method_usage", "payment_method": method["id"], "charge": charge["id"], "payment_intent": intent_id,
                 "account": principal.account, "connector": record["id"], "connector_name": record["connector_name"],
                 "profile": intent["profile"], "customer": customer, "amount": intent["amount"], "currency": intent["currency"],
                 "status": result.status, "created": now, "actor": principal.actor()}  # fmt: skip
        writes += [store.usage_put(principal.scope, method["id"], usage), *charges_store.charge_puts(charge)]
        if new.get("setup_future_usage") and customer and method.get("customer") != customer:
            attach, attached = payment_methods.attach_plan(principal, method, customer, request)
            writes += attach
            outcome.append(attached)
        kind = "payment_intent.succeeded" if result.status == "succeeded" else "payment_intent.amount_capturable_updated"
    elif result.status == "requires_action":
        new.update(status="requires_action", reference=result.reference, next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}})
        kind = "payment_intent.requires_action"
    else:
        error = {"type": "card_error", "code": result.code or "card_declined", "decline_code": result.decline_code,
                 "message": result.message or "Your card was declined.", "payment_method": {"id": method["id"]}}  # fmt: skip
        charge = charges.build(principal, new, method, False, error)
        new.update(status="requires_payment_method", latest_charge=charge["id"], last_payment_error={**error, "charge": charge["id"]})
        writes += charges_store.charge_puts(charge)
        kind = "payment_intent.payment_failed"
    if charge is not None:  # Stripe's order: the charge's event, then the intent's (change ids are time-ordered)
        charge_kind = "charge.failed" if charge["status"] == "failed" else "charge.succeeded"
        outcome.insert(0, change_record(principal, request, charge_kind, charges.render(charge), audience="account"))
    outcome.insert(1 if charge is not None else 0, change_record(principal, request, kind, render(new), audience="account"))
    declined = new["status"] == "requires_payment_method"
    answer = None if declined else _expanded(principal, new, expand, charge)  # a decline's answer is its 402, recorded after
    try:
        store.commit([store.intent_put(new, stored_version), *writes], [*changes, *outcome], answer=answer)
    except ConditionFailed:
        # Another confirm won the race with the same processor idempotency key: its result stands.
        return _expanded(principal, load(principal, intent_id), expand)
    if answer is None:
        raise PaymentDeclined(render(new))
    return answer


def authenticated(principal: Principal, intent_id: str, succeeded: bool, request: RequestInfo) -> dict[str, Any]:
    """The customer's answer to a test authentication (3-D Secure) of an intent in requires_action:
    the processor completes or refuses the payment, committed as a confirm's outcome is."""
    intent = load(principal, intent_id)
    if intent["status"] != "requires_action":
        raise _unexpected(intent, "authenticate")
    record, connector = profiles.connector_for(principal, intent["profile"], intent["connector"])
    with processor_call(record["connector_name"]):
        result = connector.authenticate(
            intent["reference"], succeeded=succeeded, capture=intent["capture_method"] != "manual",
            idempotency_key=f"{intent_id}-authenticate-{intent['version']}",
        )  # fmt: skip
    method = payment_methods.visible(principal, intent["payment_method"])
    return _settle(principal, intent, intent["version"], record, method, result, None, request, [], [])


def capture(principal: Principal, intent_id: str, params: PaymentIntentCapture, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    intent = load(principal, intent_id)
    if intent["status"] != "requires_capture":
        raise _unexpected(intent, "capture")
    amount = params.amount_to_capture if params.amount_to_capture is not None else intent["amount_capturable"]
    if not 0 < amount <= intent["amount_capturable"]:
        raise InvalidRequest(
            f"amount_to_capture must be between 1 and {intent['amount_capturable']}.", code="amount_too_large", param="amount_to_capture"
        )
    record, connector = profiles.connector_for(principal, intent["profile"], intent["connector"])
    with processor_call(record["connector_name"]):
        result = connector.capture(intent["reference"], amount, idempotency_key=f"{intent_id}-capture-{intent['version']}")
    if result.status != "succeeded":
        raise InvalidRequest("The processor refused the capture.", code="capture_failed")
    new = {**intent, "version": intent["version"] + 1, "status": "succeeded", "amount_received": amount, "amount_capturable": 0}
    change = change_record(principal, request, "payment_intent.succeeded", render(new), audience="account")
    taken = charges_store.charge_update(intent, set_values={"captured": True, "amount_captured": amount})
    try:
        store.commit([store.intent_put(new, intent["version"]), taken], [change])
    except ConditionFailed:
        return _expanded(principal, load(principal, intent_id), params.expand)
    return _expanded(principal, new, params.expand)


def cancel(principal: Principal, intent_id: str, params: PaymentIntentCancel, request: RequestInfo) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE)
    intent = load(principal, intent_id)
    if intent["status"] not in CANCELABLE:
        raise _unexpected(intent, "cancel")
    if intent.get("reference"):  # the processor holds an authorization (or an unfinished payment): release it first
        record, connector = profiles.connector_for(principal, intent["profile"], intent["connector"])
        with processor_call(record["connector_name"]):
            connector.void(intent["reference"], idempotency_key=f"{intent_id}-cancel-{intent['version']}")
    new = {**intent, "version": intent["version"] + 1, "status": "canceled", "amount_capturable": 0,
           "canceled_at": int(time.time()), "cancellation_reason": params.cancellation_reason}  # fmt: skip
    change = change_record(principal, request, "payment_intent.canceled", render(new), audience="account")
    writes = [store.intent_put(new, intent["version"])]
    if intent["status"] == "requires_capture":  # the authorization is released: its charge is given back whole, as Stripe shows it
        writes.append(charges_store.charge_update(intent, set_values={"amount_refunded": intent["amount"]}))
    try:
        store.commit(writes, [change])
    except ConditionFailed:
        raise Conflict("This PaymentIntent was changed by another request; please retry.") from None
    return _expanded(principal, new, params.expand)
