"""An account's payments: the list with filters, a payment with its refunds and the refund form
(behind a confirmation), and "create a payment": a checkout session for a customer of the pool,
offering to save the card, opened in the hosted checkout page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.currencies import CURRENCIES, ZERO_DECIMAL
from orgshare.domain import customers, payment_intent_lists, payments, refunds
from orgshare.domain.checkout import sessions
from orgshare.errors import ApiError
from orgshare.params.checkout import CheckoutSessionCreate
from orgshare.params.common import parse
from orgshare.params.customers import CustomerList
from orgshare.params.payments import PaymentIntentList, PaymentIntentRetrieve, RefundCreate
from orgshare.web.dashboard import guard, layout, replays
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
PAGE = 25
# Read per list page when filtering by status: Stripe's payment intents list has no status filter, so
# status is looked for among the payments the other filters (customer, created: the domain's) admit.
FILTER_WINDOW = 100
STATUSES = ("succeeded", "requires_payment_method", "requires_confirmation", "requires_action", "requires_capture", "processing",
            "canceled")  # fmt: skip
CURRENCY_CHOICES = ("usd", "eur", "gbp", "jpy")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

layout.add_nav(NavItem("Payments", "/dashboard/a/{account}/payments", "account", order=10))
layout.add_nav(NavItem("Create a payment", "/dashboard/a/{account}/payments/new", "account", order=11))
layout.add_notices({"refunded": "Refund created.", "checkout_done": "The checkout is complete."})


def minor_units(text: str, currency: str) -> int | None:
    """An amount as typed ("12.50", "1,250") in the currency's minor unit, or None."""
    cleaned = text.replace(",", "").replace(" ", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    scaled = value if currency in ZERO_DECIMAL else value * 100
    if not value.is_finite() or scaled != scaled.to_integral_value() or scaled <= 0 or scaled >= 10**12:
        return None
    return int(scaled)


def _day(text: str | None, end: bool = False) -> int | None:
    if not text or not _DATE.match(text):
        return None
    try:
        start = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None
    return int(start) + (86_399 if end else 0)


def _filters(query: dict[str, str]) -> dict[str, Any]:
    status = query.get("status") if query.get("status") in STATUSES else None
    customer = query.get("customer", "").strip() or None
    return {"status": status, "customer": customer, "from": _day(query.get("from")), "to": _day(query.get("to"), end=True),
            "from_text": query.get("from", ""), "to_text": query.get("to", "")}  # fmt: skip


def _created(wanted: dict[str, Any]) -> dict[str, int] | None:
    """The dates as the list's `created` range (whole days, UTC), or None."""
    bounds = {k: v for k, v in (("gte", wanted["from"]), ("lte", wanted["to"])) if v is not None}
    return bounds or None


@router.get("/dashboard/a/<account>/payments")
def listing(account: str) -> Response[str]:
    visit = guard.visit(router)
    who = visit.acting(account)
    wanted = _filters(visit.query)
    raw: dict[str, Any] = {"limit": FILTER_WINDOW if wanted["status"] else PAGE, "expand": ["data.latest_charge"]}
    if wanted["customer"]:
        raw["customer"] = wanted["customer"]
    if created := _created(wanted):
        raw["created"] = created
    if visit.query.get("after"):
        raw["starting_after"] = visit.query["after"]
    listed = payment_intent_lists.list_intents(who, parse(PaymentIntentList, raw), "/v1/payment_intents")
    rows = [i for i in listed["data"] if not wanted["status"] or i["status"] == wanted["status"]]
    more = listed["data"][-1]["id"] if listed["has_more"] and listed["data"] else None
    return layout.render(visit, "payments.html", account=account, title="Payments", payments=rows, filters=wanted, statuses=STATUSES,
                         more=more, windowed=bool(wanted["status"]), window=FILTER_WINDOW)  # fmt: skip


@router.get("/dashboard/a/<account>/payments/new")
def new(account: str) -> Response[str]:
    visit = guard.visit(router)
    return _new_form(visit, account)


def _new_form(visit: guard.Visit, account: str, error: str | None = None, values: dict[str, str] | None = None) -> Response[str]:
    who = visit.acting(account)
    pool = customers.list_customers(who, parse(CustomerList, {"limit": 100}), "/v1/customers")["data"]
    return layout.render(visit, "new_payment.html", 400 if error else 200, account=account, title="Create a payment", customers=pool,
                         currencies=CURRENCY_CHOICES, error=error, values=values or {"currency": "usd"})  # fmt: skip


@router.post("/dashboard/a/<account>/payments/new")
def create(account: str) -> Response[str]:
    visit, form = guard.change(router)
    who = visit.acting(account)
    currency = form.get("currency", "").lower()
    if currency not in CURRENCIES:
        return _new_form(visit, account, "Choose a currency.", form)
    amount = minor_units(form.get("amount", ""), currency)
    if amount is None:
        return _new_form(visit, account, "Enter an amount greater than zero, e.g. 25.00.", form)
    back = f"{visit.base_url}/dashboard/a/{account}/payments"
    raw = {
        "mode": "payment",
        "customer": form.get("customer") or None,
        "line_items": [{"price_data": {"currency": currency, "unit_amount": amount,
                                       "product_data": {"name": form.get("description", "").strip() or "Payment"}}, "quantity": 1}],
        "saved_payment_method_options": {"payment_method_save": "enabled"},
        "success_url": back + "?notice=checkout_done", "cancel_url": back,
    }  # fmt: skip
    try:  # once per form: sent twice (a double click, a retry), it answers the same checkout
        made = replays.once(
            visit, who, form, lambda: sessions.create(who, parse(CheckoutSessionCreate, raw), visit.request, visit.base_url)
        )
    except ApiError as error:
        return _new_form(visit, account, error.message, form)
    return Response(status_code=303, body="", headers={"Location": made["url"], "Cache-Control": "no-store"})


@router.get("/dashboard/a/<account>/payments/<intent>")
def show(account: str, intent: str) -> Response[str]:
    visit = guard.visit(router)
    who = visit.acting(account)
    found = payments.retrieve(who, intent, parse(PaymentIntentRetrieve, {"expand": ["latest_charge"]}))
    charge = found.get("latest_charge") if isinstance(found.get("latest_charge"), dict) else None
    refundable = (charge["amount_captured"] - charge["amount_refunded"]) if charge and found["status"] == "succeeded" else 0
    return layout.render(visit, "payment.html", account=account, title=f"Payment {layout.money(found['amount'], found['currency'])}",
                         payment=found, charge=charge, refundable=refundable)  # fmt: skip


@router.post("/dashboard/a/<account>/payments/<intent>/refund")
def refund(account: str, intent: str) -> Response[str]:
    visit, form = guard.change(router)
    who = visit.acting(account)
    page = f"/dashboard/a/{account}/payments/{intent}"
    asked = form.get("back", "")
    back = asked if asked.startswith("/dashboard/") else page  # a dashboard path only: never another site
    full = form.get("how", "full") == "full"
    currency = form.get("currency", "usd")
    amount = None if full else minor_units(form.get("amount", ""), currency)
    if not full and amount is None:
        return layout.failed(visit, ApiError("Enter the amount to refund, e.g. 10.00."), back=page, account=account)
    if not layout.confirmed(form):
        what = "the whole remaining amount" if full else layout.money(amount, currency)
        return layout.confirm(visit, title="Refund this payment?", account=account, button="Refund", back=back,
                              text=f"Refund {what} of payment {intent}? The customer gets the money back; this cannot be undone.",
                              action=f"{page}/refund", fields=form)  # fmt: skip
    params: dict[str, Any] = {"payment_intent": intent, **({"amount": amount} if amount is not None else {})}
    try:  # once per form: the confirmed form re-sent (back + resubmit, a retry) answers the first refund's redirect
        replays.once(visit, who, form, lambda: refunds.create(who, parse(RefundCreate, params), visit.request))
    except ApiError as error:
        return layout.failed(visit, error, back=page, account=account)
    return layout.redirect(visit, back, notice="refunded")
