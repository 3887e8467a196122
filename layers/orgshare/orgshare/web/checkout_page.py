"""The hosted (and embedded) checkout page: what it shows for a session and what it does with the
customer's submission. Authenticated by the session's own secret (the page URL's `key`, carried
in the form), never by an API key; the form works without script."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orgshare.currencies import ZERO_DECIMAL
from orgshare.domain import auth, payment_methods, payments, setup_intents
from orgshare.domain.checkout import completion, confirmation, secrets, sessions
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import ApiError, ResourceMissing
from orgshare.params.checkout import CheckoutSessionConfirm
from orgshare.params.common import parse
from orgshare.params.payment_methods import CustomerPaymentMethodList
from orgshare.settings import get_settings
from orgshare.storage import checkout as checkout_store
from orgshare.web.render import Page, origin, page, security_headers

SAVE_TEXT = "Save my card for future payments. It will also be available to {organization}'s other businesses."


@dataclass(frozen=True)
class Found:
    principal: Principal
    session: dict[str, Any]
    key: str


def money(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"


def _find(session_id: str, key: str | None) -> Found | None:
    """The session this page may act on: its id and secret must go together."""
    where = checkout_store.locate(session_id) if session_id.startswith("cs_") else None
    if where is None or not secrets.is_valid(session_id, key):
        return None
    who = auth.account_principal(where["org"], where["account"], where["mode"], "checkout_page", get_settings().account_cache_seconds)
    if who is None:
        return None
    return Found(who, sessions.load(who, session_id), str(key))


def _headers(session: dict[str, Any]) -> dict[str, str]:
    targets = (origin(session.get("success_url")), origin(session.get("cancel_url")), origin(session.get("return_url")))
    framed = origin(session.get("return_url")) if session["ui_mode"] == "embedded_page" else None
    return security_headers(form_targets=targets, framed_by=framed)


def _missing(root: str) -> Page:
    return page(
        "message.html",
        404,
        root=root,
        title="Checkout link not valid",
        text="This checkout link is not valid. Ask the business for a new one.",
    )


def _merchant(who: Principal) -> str:
    account = auth.cached_account(who.org, who.account, get_settings().account_cache_seconds) or {}
    return str((account.get("business_profile") or {}).get("name") or "this business")


def _total(session: dict[str, Any]) -> str | None:
    return money(session["amount_total"], session["currency"]) if session["session_mode"] == "payment" else None


def _context(found: Found, root: str, error: str | None = None) -> dict[str, Any]:
    who, session = found.principal, found.session
    merchant = _merchant(who)
    organization = confirmation.organization_name(who)
    cards: list[dict[str, Any]] = []
    if session.get("customer"):
        try:
            listed = payment_methods.list_for_customer(who, session["customer"], CustomerPaymentMethodList(type="card", limit=10), "")
        except ResourceMissing:  # the customer was deleted since: nothing saved to offer
            listed = {"data": []}
        cards = [c for c in listed["data"] if c.get("allow_redisplay", "unspecified") in session["allow_redisplay_filters"]]
    items = [{"name": i["description"], "quantity": i["quantity"], "amount": money(i["amount_total"], i["currency"])}
             for i in session["line_items"]]  # fmt: skip
    return {
        "session": sessions.render(session), "key": found.key, "merchant": merchant, "items": items, "error": error,
        "total": _total(session),
        "cards": [{"id": c["id"], "brand": c["card"]["brand"].title(), "last4": c["card"]["last4"],
                   "expiry": f"{c['card']['exp_month']:02d}/{c['card']['exp_year']}"} for c in cards],
        "save_offered": session["payment_method_save"] == "enabled", "save_text": SAVE_TEXT.format(organization=organization),
        "ask_email": not session.get("customer") and not session.get("customer_email"),
        "embedded": session["ui_mode"] == "embedded_page", "cancel_url": session.get("cancel_url"), "root": root,
    }  # fmt: skip


def _closed(found: Found, root: str) -> Page | None:
    session = found.session
    if session["status"] == "complete":
        done = session.get("success_url") or session.get("return_url")
        title = "Payment complete" if session["session_mode"] == "payment" else "Card saved"
        link = sessions.redirect_target(session, done) if done else None
        return page("message.html", 200, _headers(session), title=title, text="Thank you. This checkout is complete.", link=link,
                    merchant=_merchant(found.principal), embedded=session["ui_mode"] == "embedded_page", root=root)  # fmt: skip
    if session["status"] == "expired" or session["expires_at"] <= _now():
        text = "This checkout has expired and can no longer be paid. Return to the business to start again."
        return page("message.html", 410, _headers(session), title="Checkout expired", text=text,
                    embedded=session["ui_mode"] == "embedded_page", root=root)  # fmt: skip
    return None


def _now() -> float:
    import time

    return time.time()


def _waiting_authentication(found: Found) -> bool:
    who, session = found.principal, found.session
    if session.get("payment_intent"):
        return bool(payments.load(who, session["payment_intent"])["status"] == "requires_action")
    if session.get("setup_intent"):
        return bool(setup_intents.load(who, session["setup_intent"])["status"] == "requires_action")
    return False


def show(session_id: str, key: str | None, root: str) -> Page:
    found = _find(session_id, key)
    if found is None:
        return _missing(root)
    closed = _closed(found, root)
    if closed is not None:
        return closed
    if _waiting_authentication(found):
        return _authentication_step(found, root)
    return page("checkout.html", 200, _headers(found.session), **_context(found, root))


def _authentication_step(found: Found, root: str) -> Page:
    session = found.session
    return page("authenticate.html", 200, _headers(session), session=sessions.render(session), key=found.key, root=root,
                merchant=_merchant(found.principal), total=_total(session), embedded=session["ui_mode"] == "embedded_page")  # fmt: skip


_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def _confirm_params(form: dict[str, str], found: Found) -> dict[str, Any]:
    """The form's fields as the confirm call's parameters (the card only when no saved card was chosen)."""
    params: dict[str, Any] = {"save_payment_method": form.get("save") == "on"}
    if form.get("email"):
        params["email"] = form["email"].strip()
    choice = form.get("payment_method") or "new"
    if choice != "new":
        return {**params, "payment_method": choice}
    expiry = _EXPIRY.match(form.get("exp", ""))
    card = {"number": re.sub(r"[\s-]", "", form.get("number", "")), "cvc": form.get("cvc", "").strip() or None}
    if expiry:
        card["exp_month"], card["exp_year"] = expiry.group(1), expiry.group(2)
    return {**params, "card": card}


def _payable(session_id: str, key: str | None, root: str) -> Found | Page:
    """The open session a submission acts on, or the page to show instead (not valid, complete, expired)."""
    found = _find(session_id, key)
    if found is None:
        return _missing(root)
    return _closed(found, root) or found


def submit(session_id: str, form: dict[str, str], request: RequestInfo, root: str) -> Page:
    found = _payable(session_id, form.get("key"), root)
    if isinstance(found, Page):
        return found
    try:
        raw = _confirm_params(form, found)
        if "card" in raw and "exp_month" not in raw["card"]:
            return page("checkout.html", 400, _headers(found.session), **_context(found, root, "Enter the card's expiry date as MM/YY."))
        organization = confirmation.organization_name(found.principal)
        text = SAVE_TEXT.format(organization=organization)  # what the page showed: recorded as the consent's wording
        params = parse(CheckoutSessionConfirm, {**raw, "consent_text": text})
        outcome = completion.pay(found.principal, session_id, params, request, organization)
    except ApiError as error:
        again = Found(found.principal, sessions.load(found.principal, session_id), found.key)
        return page("checkout.html", error.status, _headers(again.session), **_context(again, root, error.message))
    return _after(found, outcome, root)


def _after(found: Found, outcome: completion.Outcome, root: str) -> Page:
    session = sessions.load(found.principal, found.session["id"])
    current = Found(found.principal, session, found.key)
    if outcome.status == "declined" and session["status"] != "open":  # too many declines expired it
        closed = _closed(current, root)
        assert closed is not None
        return closed
    if outcome.status == "declined":
        return page("checkout.html", 402, _headers(session), **_context(current, root, outcome.error))
    if outcome.status == "requires_action":
        return _authentication_step(current, root)
    target = session.get("success_url") or session.get("return_url")
    if session["ui_mode"] == "hosted_page" and target:
        return Page(303, "", {**_headers(session), "Location": sessions.redirect_target(session, target)})
    closed = _closed(current, root)
    assert closed is not None  # complete
    return closed


def authenticate(session_id: str, form: dict[str, str], request: RequestInfo, root: str) -> Page:
    """The test authentication step's answer (3-D Secure, as Stripe's test mode shows it)."""
    found = _payable(session_id, form.get("key"), root)
    if isinstance(found, Page):
        return found
    try:
        outcome = completion.authenticated(found.principal, session_id, form.get("outcome") == "complete", request)
    except ApiError as error:
        return page("checkout.html", error.status, _headers(found.session), **_context(found, root, error.message))
    return _after(found, outcome, root)
