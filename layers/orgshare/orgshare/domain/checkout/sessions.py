"""Checkout Sessions (Stripe's /v1/checkout/sessions): what a customer is asked to pay or save, the
hosted or embedded page that asks, and its lifecycle (open, then complete or expired).

A session belongs to the account that created it (the platform through Stripe-Account included);
its customer may be any customer of that account's pool, so a card one account saved is offered
in another account's session. The page's secret is derived, never stored (see secrets.py).
"""

from __future__ import annotations

import time
from typing import Any

from orgshare.currencies import check_amount
from orgshare.domain import customers as customers_domain
from orgshare.domain.changes import change_record
from orgshare.domain.checkout import secrets
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import InvalidRequest, ResourceMissing
from orgshare.ids import id_time_ms, new_id
from orgshare.params.checkout import CheckoutSessionCreate, CheckoutSessionLineItems, CheckoutSessionList, LineItem
from orgshare.params.customers import CustomerRetrieve
from orgshare.storage import checkout as store
from orgshare.storage.dynamo import ConditionFailed
from orgshare.wire.lists import list_object, narrowed, page

MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 3600  # Stripe's bounds for expires_at, and its default
PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
# Stored without their None values (DynamoDB keeps none): shown as null, as Stripe does.
_NULLABLE = ("cancel_url", "client_reference_id", "currency", "customer", "customer_creation", "customer_email", "payment_intent",
             "return_url", "setup_intent", "success_url")  # fmt: skip
_PRIVATE = ("org", "account", "mode", "version", "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "session_mode", "line_items",
            "url_base", "allow_redisplay_filters", "payment_method_save", "setup_future_usage", "pending_consent", "attempt_started",
            "declines")  # fmt: skip


def _exclusive(first: str, second: str) -> InvalidRequest:
    return InvalidRequest(f"You may only specify one of these parameters: {first}, {second}.", code="parameters_exclusive", param=second)


def _not_with(param: str, condition: str) -> InvalidRequest:
    return InvalidRequest(f"`{param}` can only be used {condition}.", code="parameter_invalid", param=param)


def _line_items(params: CheckoutSessionCreate, livemode: bool) -> tuple[list[dict[str, Any]], str | None, int]:
    """The line items as Stripe's `item` objects, their currency and total."""
    if params.mode == "setup":
        if params.line_items:
            raise _not_with("line_items", "in `payment` mode")
        return [], params.currency.lower() if params.currency else None, 0
    if not params.line_items:
        raise InvalidRequest("line_items is required in payment mode.", code="parameter_missing", param="line_items")
    items = [_line_item(n, item, livemode) for n, item in enumerate(params.line_items)]
    currencies = {i["currency"] for i in items}
    if len(currencies) > 1 or (params.currency and params.currency.lower() not in currencies):
        raise InvalidRequest("All line items must be in the session's one currency.", code="currency_mismatch", param="line_items")
    currency = currencies.pop()
    total = sum(i["amount_total"] for i in items)
    return items, check_amount(total, currency, param="line_items"), total


def _line_item(n: int, item: LineItem, livemode: bool) -> dict[str, Any]:
    if item.price_data is None:
        raise InvalidRequest(
            "orgshare has no Prices API: give each line item its price_data (currency, unit_amount, product_data[name]).",
            code="parameter_missing" if item.price is None else "parameter_unknown",
            param=f"line_items[{n}][price_data]" if item.price is None else f"line_items[{n}][price]",
        )  # fmt: skip
    data = item.price_data
    currency = check_amount(max(data.unit_amount, 1), data.currency, param=f"line_items[{n}][price_data][unit_amount]")
    if data.unit_amount < 0:
        raise InvalidRequest("unit_amount must be 0 or more.", code="parameter_invalid", param=f"line_items[{n}][price_data][unit_amount]")
    amount = data.unit_amount * item.quantity
    price = {"id": new_id("price"), "object": "price", "active": False, "currency": currency, "livemode": livemode,
             "product": new_id("prod"), "type": "one_time", "unit_amount": data.unit_amount}  # fmt: skip
    return {"id": new_id("li"), "object": "item", "amount_discount": 0, "amount_subtotal": amount, "amount_tax": 0, "amount_total": amount,
            "currency": currency, "description": data.product_data.name, "price": price, "quantity": item.quantity}  # fmt: skip


def _check_urls(params: CheckoutSessionCreate) -> None:
    if params.ui_mode == "hosted_page":
        if params.return_url:
            raise _not_with("return_url", "with `ui_mode: embedded_page`")
        if not params.success_url:
            raise InvalidRequest("success_url is required with `ui_mode: hosted_page`.", code="parameter_missing", param="success_url")
    else:
        for hosted_only in ("success_url", "cancel_url"):
            if getattr(params, hosted_only):
                raise _not_with(hosted_only, "with `ui_mode: hosted_page`")
        if not params.return_url:
            raise InvalidRequest("return_url is required with `ui_mode: embedded_page`.", code="parameter_missing", param="return_url")
    for name in ("success_url", "cancel_url", "return_url"):
        value = getattr(params, name)
        if value and not value.startswith(("https://", "http://")):
            raise InvalidRequest(f"{name} must be an absolute http(s) URL.", code="url_invalid", param=name)


def _check_customer(principal: Principal, params: CheckoutSessionCreate) -> None:
    if params.customer is None:
        return
    if params.customer_email:
        raise _exclusive("customer", "customer_email")
    if params.customer_creation:
        raise _exclusive("customer", "customer_creation")
    try:  # any customer of the caller's pool: one another account of the pool created included
        customers_domain.retrieve(principal, params.customer, CustomerRetrieve())
    except ResourceMissing:
        raise ResourceMissing("customer", params.customer, param="customer") from None


def create(principal: Principal, params: CheckoutSessionCreate, request: RequestInfo, base_url: str) -> dict[str, Any]:
    del request  # Stripe sends no event for a new session
    _check_urls(params)
    if params.mode == "setup" and (params.customer_creation or params.payment_intent_data):
        raise _not_with("customer_creation" if params.customer_creation else "payment_intent_data", "in `payment` mode")
    _check_customer(principal, params)
    now = int(time.time())
    expires_at = params.expires_at if params.expires_at is not None else now + MAX_LIFETIME
    if not now + MIN_LIFETIME - 60 <= expires_at <= now + MAX_LIFETIME:
        raise InvalidRequest("expires_at must be between 30 minutes and 24 hours from now.", code="parameter_invalid", param="expires_at")
    items, currency, total = _line_items(params, principal.livemode)
    saving = params.saved_payment_method_options
    session = {
        "id": new_id(f"cs_{principal.mode}"), "org": principal.org, "account": principal.account, "mode": principal.mode, "version": 1,
        "session_mode": params.mode, "status": "open", "payment_status": "unpaid" if params.mode == "payment" else "no_payment_required",
        "line_items": items, "currency": currency, "amount_subtotal": total, "amount_total": total,
        "customer": params.customer, "customer_email": params.customer_email,
        "customer_creation": params.customer_creation or ("if_required" if params.mode == "payment" else None),
        "payment_method_save": (saving.payment_method_save if saving else None) or "disabled",
        "allow_redisplay_filters": (saving.allow_redisplay_filters if saving else None) or ["always"],
        "setup_future_usage": params.payment_intent_data.setup_future_usage if params.payment_intent_data else None,
        "ui_mode": params.ui_mode, "success_url": params.success_url, "cancel_url": params.cancel_url, "return_url": params.return_url,
        "expires_at": expires_at, "created": now, "metadata": {k: v for k, v in (params.metadata or {}).items() if v is not None},
        "client_reference_id": params.client_reference_id, "payment_intent": None, "setup_intent": None, "url_base": base_url,
    }  # fmt: skip
    store.commit([store.session_put(session, None), store.locator_put(session)], [])
    return render(session)


def render(session: dict[str, Any], *, for_event: bool = False) -> dict[str, Any]:
    """The session as the API shows it. Events (stored, sent to webhooks) never carry its URL or
    client_secret, and neither does a session that is no longer open."""
    rendered = {**dict.fromkeys(_NULLABLE), **{k: v for k, v in session.items() if k not in _PRIVATE}}
    is_open = session["status"] == "open" and not for_event
    embedded = session["ui_mode"] == "embedded_page"
    rendered.update(
        object="checkout.session", mode=session["session_mode"], livemode=session["mode"] == "live", payment_method_types=["card"],
        url=secrets.page_url(session["url_base"], session["id"]) if is_open and not embedded else None,
        client_secret=secrets.client_secret(session["id"]) if is_open and embedded else None,
        saved_payment_method_options={"payment_method_save": session["payment_method_save"],
                                      "allow_redisplay_filters": session["allow_redisplay_filters"]},
        customer_details={"email": session.get("customer_email")} if session["status"] == "complete" else None,
    )  # fmt: skip
    return rendered


def load(principal: Principal, session: str) -> dict[str, Any]:
    found = store.get_session(principal.org, principal.account, principal.mode, session)
    if found is None:
        raise ResourceMissing("checkout.session", session)
    return found


def retrieve(principal: Principal, session: str) -> dict[str, Any]:
    return render(load(principal, session))


def list_sessions(principal: Principal, params: CheckoutSessionList, url: str) -> dict[str, Any]:
    wanted = {k: v for k, v in (("customer", params.customer), ("payment_intent", params.payment_intent), ("status", params.status)) if v}

    def batch(limit: int, after: str | None, before: str | None) -> list[dict[str, Any]]:
        return store.list_sessions(principal.org, principal.account, principal.mode, limit=limit, after=after, before=before,
                                   oldest_ms=id_time_ms(principal.account) or 0, now_ms=int(time.time() * 1000))  # fmt: skip

    sessions, has_more = page(params, narrowed(batch, wanted))
    return list_object(url, [render(s) for s in sessions], has_more)


def line_items(principal: Principal, session: str, params: CheckoutSessionLineItems, url: str) -> dict[str, Any]:
    items = load(principal, session)["line_items"]
    start = next((n + 1 for n, i in enumerate(items) if i["id"] == params.starting_after), 0) if params.starting_after else 0
    end = next((n for n, i in enumerate(items) if i["id"] == params.ending_before), len(items)) if params.ending_before else len(items)
    chosen = items[start:end]
    shown = chosen[-params.limit :] if params.ending_before else chosen[: params.limit]
    return list_object(url, shown, len(chosen) > params.limit)


def expire(principal: Principal, session: str, request: RequestInfo) -> dict[str, Any]:
    """POST .../expire: an open session can no longer be paid."""
    current = load(principal, session)
    if current["status"] != "open":
        raise InvalidRequest(
            f"Only Checkout Sessions with a status of open can be expired. This session has a status of {current['status']}.",
            code="checkout_session_unexpected_state", param=None,
        )  # fmt: skip
    expired = expired_version(principal, current, request)
    if expired is None:
        raise InvalidRequest("This Checkout Session was completed meanwhile.", code="checkout_session_unexpected_state")
    return render(expired)


def expired_version(principal: Principal, current: dict[str, Any], request: RequestInfo) -> dict[str, Any] | None:
    """Writes the open session `current` as expired, with its checkout.session.expired event; None
    if it changed meanwhile (a payment completed it first)."""
    new = {**current, "status": "expired", "version": current["version"] + 1}
    change = change_record(principal, request, "checkout.session.expired", render(new, for_event=True), audience="account")
    try:
        store.commit([store.session_put(new, current["version"])], [change])
    except ConditionFailed:
        return None
    return new


def redirect_target(session: dict[str, Any], url: str) -> str:
    return url.replace(PLACEHOLDER, session["id"])
