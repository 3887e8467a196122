"""The organization's customers: the list with search, a customer's whole view (shared fields,
each account's own view and lifetime spend, payment methods with their use, payments per
account), and the changes made from it: edit the shared fields, add a card (a setup-mode checkout
in the hosted page), remove a card. Each change acts for an account of the customer's pool, through
the same domain function as the API. The view is the event stream's projection: it lags a change
by the event path's delay (about a second)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.domain import customers, payment_methods
from orgshare.domain.checkout import sessions
from orgshare.domain.organization import customer_view, org_lists
from orgshare.errors import ApiError
from orgshare.params.checkout import CheckoutSessionCreate
from orgshare.params.common import parse
from orgshare.params.customers import CustomerUpdate
from orgshare.params.org_view import OrgCustomerList
from orgshare.web.dashboard import guard, layout, replays
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
PAGE = 25
EDITABLE = ("name", "email", "phone", "description")

layout.add_nav(NavItem("Customers", "/dashboard/customers", "organization", order=10))
layout.add_notices({
    "customer_updated": "Customer updated. Every account of the pool sees the new details.",
    "card_removed": "Card removed. No account of the pool can charge it any more.",
    "card_added": "The checkout is complete: the card is saved for the customer.",
})  # fmt: skip


@router.get("/dashboard/customers")
def listing() -> Response[str]:
    visit = guard.visit(router)
    query = visit.query.get("q", "").strip()[:256]
    raw: dict[str, Any] = {"limit": PAGE}
    if query:
        raw["email" if "@" in query else "name"] = query
    if visit.query.get("after"):
        raw["starting_after"] = visit.query["after"]
    listed = org_lists.list_customers(visit.principal, parse(OrgCustomerList, raw), "/v1/organization/customers")
    more = listed["data"][-1]["id"] if listed["has_more"] and listed["data"] else None
    names = {a["id"]: a["name"] or a["id"] for a in layout.accounts(visit)}
    return layout.render(visit, "customers.html", title="Customers", customers=listed["data"], q=query, more=more, names=names)


def _chart(accounts: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Lifetime spend (net of refunds) per currency, one bar per account, widths in percent of the
    currency's largest (classes w-0..w-100: the CSP allows no inline style)."""
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for view in accounts:
        for currency, spend in view["lifetime_spend"].items():
            by_currency.setdefault(currency, []).append({"account": view["account"], "name": names.get(view["account"], view["account"]),
                                                         **spend})  # fmt: skip
    charts: list[dict[str, Any]] = []
    for currency, rows in sorted(by_currency.items()):
        top = max((max(r["net"], 0) for r in rows), default=0)
        for r in rows:
            r["width"] = round(100 * max(r["net"], 0) / top) if top else 0
        charts.append({"currency": currency, "rows": sorted(rows, key=lambda r: -r["net"])})
    return charts


@router.get("/dashboard/customers/<customer>")
def show(customer: str) -> Response[str]:
    visit = guard.visit(router)
    view = customer_view.retrieve(visit.principal, customer)
    if view.get("deleted"):
        return layout.render(visit, "message.html", 410, title="Customer deleted", text=f"The customer {customer} was deleted.",
                             back=visit.url("/dashboard/customers"))  # fmt: skip
    names = {a["id"]: a["name"] or a["id"] for a in layout.accounts(visit)}
    # Changes act for the account that created the customer (a member of its pool), else the first that dealt with it.
    acting = view.get("account") or next((a["account"] for a in view["accounts"]), None)
    return layout.render(visit, "customer.html", title=view.get("name") or view.get("email") or customer, customer=view, names=names,
                         charts=_chart(view["accounts"], names), acting=acting, editable=EDITABLE)  # fmt: skip


def _back(customer: str) -> str:
    return f"/dashboard/customers/{customer}"


@router.post("/dashboard/customers/<customer>/update")
def update(customer: str) -> Response[str]:
    visit, form = guard.change(router)
    who = visit.acting(form.get("account", ""))
    # An empty field unsets it, as on the wire. Once per form: re-sent later, it does not undo a change made since.
    params = {f: form.get(f, "").strip() for f in EDITABLE}
    try:
        replays.once(visit, who, form, lambda: customers.update(who, customer, parse(CustomerUpdate, params), visit.request))
    except ApiError as error:
        return layout.failed(visit, error, back=_back(customer))
    return layout.redirect(visit, _back(customer), notice="customer_updated")


@router.post("/dashboard/customers/<customer>/cards/<pm>/remove")
def remove_card(customer: str, pm: str) -> Response[str]:
    visit, form = guard.change(router)
    who = visit.acting(form.get("account", ""))
    if not layout.confirmed(form):
        text = f"Remove the card {form.get('label') or pm} from this customer? No account of the pool can charge it after this."
        return layout.confirm(visit, title="Remove this card?", text=text, action=f"{_back(customer)}/cards/{pm}/remove", fields=form,
                              button="Remove card", back=_back(customer))  # fmt: skip
    try:
        replays.once(visit, who, form, lambda: payment_methods.detach(who, pm, visit.request))
    except ApiError as error:
        return layout.failed(visit, error, back=_back(customer))
    return layout.redirect(visit, _back(customer), notice="card_removed")


@router.post("/dashboard/customers/<customer>/cards/add")
def add_card(customer: str) -> Response[str]:
    visit, form = guard.change(router)
    who = visit.acting(form.get("account", ""))
    back = f"{visit.base_url}{_back(customer)}"
    raw = {"mode": "setup", "customer": customer, "currency": "usd", "success_url": back + "?notice=card_added", "cancel_url": back}
    try:
        made = replays.once(
            visit, who, form, lambda: sessions.create(who, parse(CheckoutSessionCreate, raw), visit.request, visit.base_url)
        )
    except ApiError as error:
        return layout.failed(visit, error, back=_back(customer))
    return Response(status_code=303, body="", headers={"Location": made["url"], "Cache-Control": "no-store"})
