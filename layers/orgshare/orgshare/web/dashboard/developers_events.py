"""Events and their webhook deliveries: the organization's events (one per change, with `context`)
or an account's own; an event's delivery attempts, and "Resend" to one endpoint (the API's
POST /v1/events/{event}/retry: sent again now, as `stripe events resend` does)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.domain import events, webhooks
from orgshare.errors import ApiError
from orgshare.params.common import parse
from orgshare.params.events import EventList, EventRetry
from orgshare.params.webhooks import WebhookEndpointList
from orgshare.web.dashboard import guard, layout, replays
from orgshare.web.dashboard.developers_common import SECTION, base, names, who
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
PAGE = 25

layout.add_nav(NavItem("Events", "/dashboard/developers/events", "organization", section=SECTION, order=61))
layout.add_nav(NavItem("Events", "/dashboard/a/{account}/developers/events", "account", section=SECTION, order=61))
layout.add_notices({"event_resent": "Sent again: the new attempt is listed once the endpoint has answered (reload to see it)."})


def _row(event: dict[str, Any]) -> dict[str, Any]:
    return {"id": event["id"], "type": event["type"], "created": event["created"], "context": event.get("context"),
            "object": ((event.get("data") or {}).get("object") or {}).get("id")}  # fmt: skip


def _listing(account: str | None) -> Response[str]:
    visit = guard.visit(router)
    principal = who(visit, account)
    raw: dict[str, Any] = {"limit": PAGE}
    if visit.query.get("after", "").startswith("evt_"):
        raw["starting_after"] = visit.query["after"]
    listed = events.list_events(principal, parse(EventList, raw), "/v1/events")
    more = listed["data"][-1]["id"] if listed["has_more"] and listed["data"] else None
    return layout.render(visit, "developers/events.html", account=account, title="Events", events=[_row(e) for e in listed["data"]],
                         names=names(visit), base=base(account), more=more)  # fmt: skip


@router.get("/dashboard/developers/events")
def organization_events() -> Response[str]:
    return _listing(None)


@router.get("/dashboard/a/<account>/developers/events")
def account_events(account: str) -> Response[str]:
    return _listing(account)


def _show(account: str | None, event: str) -> Response[str]:
    visit = guard.visit(router)
    principal = who(visit, account)
    found = events.retrieve_event(principal, event)
    attempts = events.delivery_attempts(principal, event, f"/v1/events/{event}/delivery_attempts")["data"]
    endpoints = webhooks.list_endpoints(principal, parse(WebhookEndpointList, {"limit": 100}), "/v1/webhook_endpoints")["data"]
    urls = {e["id"]: e["url"] for e in endpoints}
    return layout.render(visit, "developers/event.html", account=account, title=f"Event {found['type']}", event=found, row=_row(found),
                         attempts=attempts, endpoints=endpoints, urls=urls, names=names(visit), base=base(account))  # fmt: skip


@router.get("/dashboard/developers/events/<event>")
def organization_event(event: str) -> Response[str]:
    return _show(None, event)


@router.get("/dashboard/a/<account>/developers/events/<event>")
def account_event(account: str, event: str) -> Response[str]:
    return _show(account, event)


def _resend(account: str | None, event: str) -> Response[str]:
    visit, form = guard.change(router)
    principal = who(visit, account)
    page = f"{base(account)}/events/{event}"
    try:
        params = parse(EventRetry, {"webhook_endpoint": form.get("webhook_endpoint", "")})
        replays.once(visit, principal, form, lambda: webhooks.retry(principal, event, params))  # a form sent twice resends once
    except ApiError as error:
        return layout.failed(visit, error, back=page, account=account)
    return layout.redirect(visit, page, notice="event_resent")


@router.post("/dashboard/developers/events/<event>/resend")
def resend_organization_event(event: str) -> Response[str]:
    return _resend(None, event)


@router.post("/dashboard/a/<account>/developers/events/<event>/resend")
def resend_account_event(account: str, event: str) -> Response[str]:
    return _resend(account, event)
