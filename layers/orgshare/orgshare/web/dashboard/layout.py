"""What every dashboard page shares: the sidebar (the account switcher and each page group's
links), rendering with the session's CSRF token and a notice, redirects after a change, and the
confirmation step before one that cannot be undone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response

from orgshare.caching import Cache
from orgshare.currencies import ZERO_DECIMAL
from orgshare.domain import auth
from orgshare.domain.organization import view
from orgshare.errors import ApiError
from orgshare.settings import get_settings
from orgshare.web.dashboard import replays
from orgshare.web.dashboard.csrf import FIELD
from orgshare.web.dashboard.guard import Visit
from orgshare.web.render import Page, page

Scope = Literal["organization", "account"]
GROUPS = (("platform", "Platform"), ("connected", "Connected accounts"), ("standard", "Standard accounts"))


@dataclass(frozen=True)
class NavItem:
    """A sidebar link. `path` starts with /dashboard; for the account scope it may hold
    `{account}` (the account being viewed). `section` groups links under a heading."""

    label: str
    path: str
    scope: Scope
    section: str = "Main"
    order: int = 50


NAV: list[NavItem] = []
NOTICES: dict[str, str] = {"signed_out": "You are signed out."}


def add_nav(item: NavItem) -> None:
    """Page modules register their sidebar links when imported."""
    if item not in NAV:
        NAV.append(item)


def add_notices(notices: dict[str, str]) -> None:
    """Page modules register the notices their redirects name (`redirect(..., notice=code)`):
    only known codes are shown, so a link cannot put words on a page."""
    NOTICES.update(notices)


def money(amount: int | None, currency: str | None) -> str:
    if amount is None or not currency:
        return ""
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"


def when(created: int | float | None) -> str:
    if created is None:
        return ""
    return datetime.fromtimestamp(float(created), UTC).strftime("%Y-%m-%d %H:%M UTC")


_accounts_cache: Cache[tuple[str, str], list[dict[str, Any]]] = Cache(
    size=1_000, seconds=10.0
)  # the switcher's list: accounts are added rarely


def accounts(visit: Visit) -> list[dict[str, Any]]:
    """The accounts this session may switch to ({id, name, type, shares}): the organization's
    (its view), or the session's own account alone."""
    who = visit.principal
    if not visit.organization:
        record = auth.cached_account(who.org, who.key_account, get_settings().account_cache_seconds) or {}
        name = (record.get("business_profile") or {}).get("name")
        return [{"id": who.key_account, "name": name, "type": record.get("kind", who.kind), "shares": None}]
    return _accounts_cache.get((who.org, who.mode), lambda: list(view.retrieve(who)["accounts"]))


def _sections(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Links under their section's heading, sections in the order their first link comes."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for item in links:
        sections.setdefault(item["section"], []).append(item)
    return [{"heading": heading, "links": items} for heading, items in sections.items()]


def _sidebar(visit: Visit, account: str | None, listed: list[dict[str, Any]]) -> dict[str, Any]:
    def link(item: NavItem) -> dict[str, Any]:
        path = item.path.replace("{account}", account or "")
        return {"label": item.label, "href": visit.url(path), "current": visit.path == path, "section": item.section}

    ordered = sorted(NAV, key=lambda n: (n.order, n.label))
    org_links = [link(i) for i in ordered if i.scope == "organization"] if visit.organization else []
    account_links = [link(i) for i in ordered if i.scope == "account"] if account else []
    groups = [
        {"label": label, "accounts": [a for a in listed if a["type"] == kind]}
        for kind, label in GROUPS
        if any(a["type"] == kind for a in listed)
    ]
    return {"groups": groups, "org_sections": _sections(org_links), "account_sections": _sections(account_links)}


def render(
    visit: Visit,
    template: str,
    status: int = 200,
    *,
    account: str | None = None,
    title: str,
    request_token: Callable[[], str] | None = replays.mint,
    **context: Any,
) -> Response[str]:
    """A dashboard page: `template` under templates/dashboard/ extends dashboard/layout.html.
    `account`: the account the page is about (the switcher marks it; its links show).
    `request_token`: what gives each form its one-time token (web/dashboard/replays.py): a new one
    per form, unless a page re-posts one (the confirm page); None: no token."""
    listed = accounts(visit)
    current = next((a for a in listed if a["id"] == account), None)
    body = page(
        f"dashboard/{template}",
        status,
        root=visit.root,
        visit=visit,
        csrf_field=FIELD,
        csrf=visit.csrf,
        request_token_field=replays.FIELD,
        request_token=request_token,
        title=title,
        account=current or ({"id": account, "name": None, "type": None} if account else None),
        sidebar=_sidebar(visit, account, listed),
        notice=NOTICES.get(visit.query.get("notice", "")),
        money=money,
        when=when,
        **context,
    )
    return reply(body)


def reply(result: Page) -> Response[str]:
    # same-origin, not the checkout's no-referrer: with no-referrer a browser sends `Origin: null`
    # on its own POSTs, and the Origin check needs the real one. Dashboard URLs carry no secret.
    return Response(status_code=result.status, body=result.body, headers={**result.headers, "Referrer-Policy": "same-origin"})


def redirect(visit: Visit, path: str, *, notice: str | None = None, query: dict[str, str] | None = None) -> Response[str]:
    """303 See Other to a dashboard path after a change (a reload does not repeat it)."""
    params = {**(query or {}), **({"notice": notice} if notice else {})}
    target = visit.url(path) + ("?" + urlencode(params) if params else "")
    return Response(status_code=303, body="", headers={"Location": target, "Cache-Control": "no-store"})


def confirmed(form: dict[str, str]) -> bool:
    """Whether a change's form says its confirmation step was passed (the confirm page's button,
    or the dialog dashboard.js opens instead)."""
    return form.get("confirmed") == "yes"


def confirm(
    visit: Visit,
    *,
    title: str,
    text: str,
    action: str,
    fields: dict[str, str],
    button: str,
    back: str,
    account: str | None = None,
    danger: bool = True,
) -> Response[str]:
    """The confirmation step without script: a page repeating the form's `fields` (hidden) with
    `confirmed=yes`, posting to `action`; `back` cancels. The form's request token goes on with
    it, so confirming twice (back + resubmit) is still one change."""
    token = fields.get(replays.FIELD)
    return render(visit, "confirm.html", account=account, title=title, text=text, action=visit.url(action),
                  fields={k: v for k, v in fields.items() if k not in (FIELD, "confirmed", replays.FIELD)},
                  button=button, back=visit.url(back), danger=danger, request_token=(lambda: token) if token else None)  # fmt: skip


def failed(visit: Visit, error: ApiError, *, back: str, account: str | None = None) -> Response[str]:
    """A change the domain refused (its Stripe-shaped message), nothing done."""
    status = error.status if 400 <= error.status < 500 else 400
    return render(visit, "message.html", status, account=account, title="That did not work", text=error.message, back=visit.url(back))
