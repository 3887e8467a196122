"""Paying (or, in setup mode, saving a card for) a checkout session: what its page does when the
customer submits it, authenticated by the session's own secret, never by an API key.

The charge is the account's own PaymentIntent through its own connector; the session completes in
a second transaction (with the customer's sharing consent, when given, and
checkout.session.completed). A session whose payment succeeded but which did not complete (a crash
between the two) is completed by the next submission instead of charging again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orgshare.domain import customers, payment_methods, payments, setup_intents
from orgshare.domain.changes import change_record
from orgshare.domain.checkout import sessions
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import Conflict, InvalidRequest
from orgshare.ids import new_id
from orgshare.params.checkout import CheckoutSessionConfirm, SetupIntentCreate
from orgshare.params.customers import CustomerCreate
from orgshare.params.payment_methods import PaymentMethodCreate
from orgshare.params.payments import PaymentIntentConfirm, PaymentIntentCreate, PaymentMethodData
from orgshare.storage import checkout as store
from orgshare.storage import payment_methods as methods_store
from orgshare.storage import payments as payments_store
from orgshare.storage import receipts
from orgshare.storage.dynamo import ConditionFailed

DEFAULT_CONSENT = "Save my card for future payments with {organization}'s businesses: it will be available to all of them."


@dataclass(frozen=True)
class Outcome:
    """What the page shows next: `complete` (redirect), `requires_action` (the test authentication
    step), or `declined` (the message, and the form again)."""

    status: str
    session: dict[str, Any]
    error: str | None = None
    payment_intent: str | None = None
    setup_intent: str | None = None


def _open(principal: Principal, session_id: str, request: RequestInfo) -> dict[str, Any]:
    session = sessions.load(principal, session_id)
    if session["status"] == "open" and session["expires_at"] <= time.time():
        session = sessions.expired_version(principal, session, request) or sessions.load(principal, session_id)
    if session["status"] != "open":
        raise InvalidRequest(
            f"This Checkout Session is no longer open (its status is {session['status']}).",
            code="checkout_session_unexpected_state", param=None,
        )  # fmt: skip
    return session


def _save(session: dict[str, Any], **changes: Any) -> dict[str, Any]:
    new = {**session, **changes, "version": session["version"] + 1}
    try:
        store.commit([store.session_put(new, session["version"])], [])
    except ConditionFailed:
        raise Conflict("This Checkout Session is being paid by another request.") from None
    return new


def _customer(
    principal: Principal, session: dict[str, Any], params: CheckoutSessionConfirm, save: bool, request: RequestInfo
) -> dict[str, Any]:
    """The session with its customer: the one it was made for, or a new one when it must have one
    (customer_creation=always, a card to save, setup mode). Kept on the session for a retry."""
    if session.get("customer"):
        return session
    needed = session.get("customer_creation") == "always" or save or session["session_mode"] == "setup"
    if not needed:
        return session
    email = session.get("customer_email") or params.email
    customer = customers.create(principal, CustomerCreate(email=email), request)
    return _save(session, customer=customer["id"], customer_email=email)


def _offered(principal: Principal, session: dict[str, Any], pm: str) -> None:
    """A payment method named by the page: a saved card of the session's customer it may redisplay,
    or a card created for this session (unattached, this account's)."""
    item = payment_methods.visible(principal, pm)
    attached = item.get("customer")
    if item["type"] != "card" or (attached and attached != session.get("customer")):
        raise InvalidRequest("This payment method cannot be used for this Checkout Session.", code="payment_method_invalid_parameter",
                             param="payment_method")  # fmt: skip
    if attached and item.get("allow_redisplay", "unspecified") not in session["allow_redisplay_filters"]:
        raise InvalidRequest("This saved card is not offered in this Checkout Session.", code="payment_method_invalid_parameter",
                             param="payment_method")  # fmt: skip


# A session is paid in steps (its customer, its intent, the charge): none of them is the request, whose
# key is completed once the session is.
@receipts.aside()
def pay(principal: Principal, session_id: str, params: CheckoutSessionConfirm, request: RequestInfo, organization: str) -> Outcome:
    """The customer submitted the page: a saved card (`payment_method`) or a new one (`card`)."""
    session = _open(principal, session_id, request)
    save = params.save_payment_method
    if save and session["payment_method_save"] != "enabled":
        raise InvalidRequest(
            "Saving the card is not offered in this Checkout Session.", code="parameter_invalid", param="save_payment_method"
        )
    if (params.payment_method is None) == (params.card is None):
        raise InvalidRequest(
            "Give either payment_method (a saved card) or card (a new one).", code="parameter_missing", param="payment_method"
        )
    if params.payment_method:
        _offered(principal, session, params.payment_method)
    session = _customer(principal, session, params, save, request)
    consent = {"text": params.consent_text or DEFAULT_CONSENT.format(organization=organization), "checkout_session": session_id,
               "account": principal.account, "collected_at": int(time.time())} if save else None  # fmt: skip
    if session["session_mode"] == "setup":
        return _set_up(principal, session, params, consent, request)
    return _charge(principal, session, params, consent, request)


MAX_DECLINES = 5  # a session is no place to test stolen cards: it expires after this many declines
ATTEMPT_SECONDS = 300  # how long an attempt in progress keeps the expiry sweep away


def _charge(
    principal: Principal, session: dict[str, Any], params: CheckoutSessionConfirm, consent: dict[str, Any] | None, request: RequestInfo
) -> Outcome:
    usage = "off_session" if consent else session.get("setup_future_usage")
    data = PaymentMethodData(type="card", card=params.card) if params.card else None
    intent_id = session.get("payment_intent")
    if intent_id is None:  # the session's one intent, made before its first attempt (not yet confirmed: no money moves)
        intent_id = payments.create(principal, PaymentIntentCreate(
            amount=session["amount_total"], currency=session["currency"], customer=session.get("customer"),
            capture_method="automatic", metadata={"checkout_session": session["id"]}), request)["id"]  # fmt: skip
    current = payments.load(principal, intent_id)
    if current["status"] == "succeeded":  # paid before a crash kept the session from completing
        return complete(principal, session, payments.render(current), consent, request)
    # Claim the session before the connector is called: a second submission racing this one loses
    # on the session's version before any money moves, and the expiry sweep leaves it alone.
    session = _save(session, payment_intent=intent_id, attempt_started=int(time.time()))
    again = PaymentIntentConfirm(
        payment_method=params.payment_method, payment_method_data=data, setup_future_usage=usage, off_session=False
    )
    try:
        intent = payments.confirm(principal, intent_id, again, request)
    except payments.PaymentDeclined as declined:
        declines = int(session.get("declines") or 0) + 1
        session = _save(session, declines=declines, attempt_started=None)
        if declines >= MAX_DECLINES:
            session = sessions.expired_version(principal, session, request) or session
            return Outcome(
                "declined", sessions.render(session), "Too many declined attempts: this checkout has expired.", payment_intent=intent_id
            )
        return Outcome("declined", sessions.render(session), declined.message, payment_intent=intent_id)
    if intent["status"] == "requires_action":  # the consent waits with the session for the authentication's outcome
        session = _save(session, pending_consent=consent)
        return Outcome("requires_action", sessions.render(session), payment_intent=intent_id)
    return complete(principal, session, intent, consent, request)


def _set_up(
    principal: Principal, session: dict[str, Any], params: CheckoutSessionConfirm, consent: dict[str, Any] | None, request: RequestInfo
) -> Outcome:
    pm = params.payment_method or payment_methods.create(
        principal, PaymentMethodCreate(type="card", card=params.card), request
    )["id"]  # fmt: skip
    intent = setup_intents.create(principal, SetupIntentCreate(customer=session["customer"], payment_method=pm, confirm=True), request)
    session = _save(session, setup_intent=intent["id"], pending_consent=consent if intent["status"] == "requires_action" else None)
    if intent["status"] == "requires_action":
        return Outcome("requires_action", sessions.render(session), setup_intent=intent["id"])
    return complete(principal, session, intent, consent, request)


@receipts.aside()
def authenticated(principal: Principal, session_id: str, succeeded: bool, request: RequestInfo) -> Outcome:
    """The customer's answer to the test authentication step: the payment (or setup) goes on to
    its outcome, and the session completes with the consent given before the step."""
    session = _open(principal, session_id, request)
    consent = session.get("pending_consent")
    if session.get("setup_intent"):
        setup = setup_intents.authenticated(principal, session["setup_intent"], succeeded, request)
        if setup["status"] == "succeeded":
            return complete(principal, session, setup, consent, request)
        return Outcome("declined", sessions.render(session), (setup.get("last_setup_error") or {}).get("message"), setup_intent=setup["id"])
    if not session.get("payment_intent"):
        raise InvalidRequest("This Checkout Session is not waiting for an authentication.", code="checkout_session_unexpected_state")
    try:
        intent = payments.authenticated(principal, session["payment_intent"], succeeded, request)
    except payments.PaymentDeclined as declined:
        return Outcome("declined", sessions.render(session), declined.message, payment_intent=declined.intent["id"])
    return complete(principal, session, intent, consent, request)


def complete(
    principal: Principal, session: dict[str, Any], intent: dict[str, Any], consent: dict[str, Any] | None, request: RequestInfo
) -> Outcome:
    """The session complete, with the card's sharing consent when the customer gave it, and
    checkout.session.completed (to the session's account, and once to organization endpoints)."""
    paid = session["session_mode"] == "payment"
    new = {**session, "version": session["version"] + 1, "status": "complete", "payment_status": "paid" if paid else "no_payment_required",
           "customer": session.get("customer") or intent.get("customer"), "pending_consent": None, "attempt_started": None}  # fmt: skip
    writes = [store.session_put(new, session["version"])]
    pm = intent.get("payment_method")
    if consent and pm:
        card = payment_methods.visible(principal, pm)
        if card.get("customer"):
            writes += methods_store.consent_writes(principal.scope, card, consent)
            record = {"id": new_id("pmc"), "object": "payment_method_consent", "payment_method": pm, "account": principal.account,
                      "customer": card["customer"], "checkout_session": session["id"], "text": consent["text"],
                      "created": consent["collected_at"]}  # fmt: skip
            writes.append(payments_store.usage_put(principal.scope, pm, record))
    change = change_record(principal, request, "checkout.session.completed", sessions.render(new, for_event=True), audience="account")
    try:
        store.commit(writes, [change])
    except ConditionFailed:  # a racing submission completed it first: the same outcome, once
        done = sessions.load(principal, session["id"])
        if done["status"] != "complete":
            raise Conflict("This Checkout Session is being paid by another request.") from None
        new = done
    return Outcome("complete", sessions.render(new), payment_intent=new.get("payment_intent"), setup_intent=new.get("setup_intent"))
