"""The organization's home (its accounts counted by kind, its recent events: one per change, each
with its `context`) and an account's home (that account's recent events)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.domain import events
from orgshare.params.common import parse
from orgshare.params.events import EventList
from orgshare.web.dashboard import guard, layout
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
RECENT = 10

layout.add_nav(NavItem("Overview", "/dashboard", "organization", order=0))
layout.add_nav(NavItem("Overview", "/dashboard/a/{account}", "account", order=0))


def _events(listed: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": e["id"], "type": e["type"], "created": e["created"], "context": e.get("context"),
         "object": (e.get("data") or {}).get("object", {}).get("id")}
        for e in listed["data"]
    ]  # fmt: skip


@router.get("/dashboard")
def organization() -> Response[str]:
    visit = guard.visit(router)
    if not visit.organization:  # an account's own key: its account is its home
        return layout.redirect(visit, f"/dashboard/a/{visit.principal.key_account}")
    accounts = layout.accounts(visit)
    counts = {kind: sum(1 for a in accounts if a["type"] == kind) for kind, _ in layout.GROUPS}
    sharing = sum(1 for a in accounts if a.get("shares"))
    recent = _events(events.list_events(visit.principal, parse(EventList, {"limit": RECENT}), "/v1/events"))
    names = {a["id"]: a["name"] or a["id"] for a in accounts}
    return layout.render(visit, "home.html", title="Organization overview", counts=counts, total=len(accounts), sharing=sharing,
                         events=recent, names=names)  # fmt: skip


@router.get("/dashboard/a/<account>")
def account_home(account: str) -> Response[str]:
    visit = guard.visit(router)
    who = visit.acting(account)
    recent = _events(events.list_events(who, parse(EventList, {"limit": RECENT}), "/v1/events"))
    names = {a["id"]: a["name"] or a["id"] for a in layout.accounts(visit)}
    return layout.render(visit, "account_home.html", account=account, title=names.get(account, account), events=recent, names=names)
