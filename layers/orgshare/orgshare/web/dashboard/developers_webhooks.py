"""Webhook endpoints: the organization's (every account's events, one per change, with `context`;
the platform's own key manages them) and an account's (its own events). Listed, created (the
signing secret shown once, in the answer to the POST) and deleted behind a confirmation."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.domain import webhooks
from orgshare.errors import ApiError
from orgshare.params.common import parse
from orgshare.params.webhooks import WebhookEndpointCreate, WebhookEndpointList
from orgshare.web.dashboard import guard, layout, replays
from orgshare.web.dashboard.developers_common import SECTION, base, secret_page, who
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
_SPLIT = re.compile(r"[\s,]+")

layout.add_nav(NavItem("Webhooks", "/dashboard/developers/webhooks", "organization", section=SECTION, order=60))
layout.add_nav(NavItem("Webhooks", "/dashboard/a/{account}/developers/webhooks", "account", section=SECTION, order=60))
layout.add_notices({"endpoint_deleted": "Webhook endpoint deleted: nothing more is sent to it."})


def _scope(account: str | None) -> str:
    return "account" if account else "organization"


def _page(visit: guard.Visit, account: str | None, error: ApiError | None = None, values: dict[str, str] | None = None) -> Response[str]:
    principal = who(visit, account)
    listed = webhooks.list_endpoints(principal, parse(WebhookEndpointList, {"limit": 100}), "/v1/webhook_endpoints")["data"]
    # The platform's key lists its account's endpoints beside the organization's: each page shows its own.
    shown = [e for e in listed if e["scope"] == _scope(account)]
    # Only the platform's own key manages organization endpoints (an organization key reads).
    manages = account is not None or principal.is_platform_key
    title = "Webhook endpoints" if account else "Organization webhook endpoints"
    return layout.render(visit, "developers/webhooks.html", 400 if error else 200, account=account, title=title, endpoints=shown,
                         base=base(account), manages=manages, error=error.message if error else None,
                         values=values or {"events": "*"})  # fmt: skip


@router.get("/dashboard/developers/webhooks")
def organization_endpoints() -> Response[str]:
    return _page(guard.visit(router), None)


@router.get("/dashboard/a/<account>/developers/webhooks")
def account_endpoints(account: str) -> Response[str]:
    return _page(guard.visit(router), account)


def enabled_events(text: str) -> list[str]:
    """The event types as typed: separated by commas, spaces or lines; `*` for all."""
    return [t for t in _SPLIT.split(text.strip()) if t]


def _create(account: str | None) -> Response[str]:
    visit, form = guard.change(router)
    principal = who(visit, account)
    raw: dict[str, Any] = {"url": form.get("url", "").strip(), "enabled_events": enabled_events(form.get("events", "")),
                           "scope": _scope(account)}  # fmt: skip
    if form.get("description", "").strip():
        raw["description"] = form["description"].strip()
    try:
        params = parse(WebhookEndpointCreate, raw)
        # Once per form: sent again (a reload of this answer, back + resubmit) it makes no second
        # endpoint, and the stored answer has the secret redacted (secret_page says so).
        made = replays.once(visit, principal, form, lambda: webhooks.create(principal, params))
    except ApiError as error:
        return _page(visit, account, error, form)
    back = f"{base(account)}/webhooks"
    return secret_page(visit, title="Webhook endpoint created", what="signing secret", secret=made["secret"], back=back, account=account,
                       endpoint=made)  # fmt: skip


@router.post("/dashboard/developers/webhooks")
def create_organization_endpoint() -> Response[str]:
    return _create(None)


@router.post("/dashboard/a/<account>/developers/webhooks")
def create_account_endpoint(account: str) -> Response[str]:
    return _create(account)


def _delete(account: str | None, endpoint: str) -> Response[str]:
    visit, form = guard.change(router)
    principal = who(visit, account)
    back = f"{base(account)}/webhooks"
    if not layout.confirmed(form):
        found = webhooks.retrieve(principal, endpoint)
        return layout.confirm(visit, title="Delete this webhook endpoint?", account=account, button="Delete endpoint", back=back,
                              text=f"Delete the endpoint {found['url']} ({endpoint})? Nothing more is sent to it; this cannot be undone.",
                              action=f"{back}/{endpoint}/delete", fields=form)  # fmt: skip
    try:
        replays.once(visit, principal, form, lambda: webhooks.delete(principal, endpoint))
    except ApiError as error:
        return layout.failed(visit, error, back=back, account=account)
    return layout.redirect(visit, back, notice="endpoint_deleted")


@router.post("/dashboard/developers/webhooks/<endpoint>/delete")
def delete_organization_endpoint(endpoint: str) -> Response[str]:
    return _delete(None, endpoint)


@router.post("/dashboard/a/<account>/developers/webhooks/<endpoint>/delete")
def delete_account_endpoint(account: str, endpoint: str) -> Response[str]:
    return _delete(account, endpoint)
