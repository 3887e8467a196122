"""API keys: an account's (the platform's own key manages them, as /v1/accounts/{acct}/api_keys)
and the organization's (read with the organization's view, managed by the platform's own key, as
/v1/organization/api_keys). Listed redacted; a new or rolled key's secret is shown once, in the
answer to the POST; rolling and revoking go through a confirmation."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.domain import accounts, api_keys
from orgshare.errors import ApiError
from orgshare.params.accounts import ApiKeyCreate, ApiKeyList, ApiKeyRotate
from orgshare.params.common import parse
from orgshare.params.org_keys import OrgKeyCreate, OrgKeyList
from orgshare.web.dashboard import guard, layout, replays
from orgshare.web.dashboard.developers_common import SECTION, base, require_organization, secret_page
from orgshare.web.dashboard.layout import NavItem

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
# How long a rolled key keeps working, as Stripe's "roll key" offers (at most 7 days).
GRACE = {"now": 0, "1h": 3600, "24h": 86_400, "7d": 7 * 86_400}
GRACE_TEXT = {"now": "at once", "1h": "in 1 hour", "24h": "in 24 hours", "7d": "in 7 days"}

layout.add_nav(NavItem("API keys", "/dashboard/developers/api-keys", "organization", section=SECTION, order=62))
layout.add_nav(NavItem("API keys", "/dashboard/a/{account}/developers/api-keys", "account", section=SECTION, order=62))
layout.add_notices({"key_revoked": "API key revoked: it stops working at once, and its dashboard sessions end."})


def _keys_path(account: str | None) -> str:
    return f"{base(account)}/api-keys"


def _listed(visit: guard.Visit, account: str | None) -> list[dict[str, Any]]:
    if account is None:
        listed = api_keys.list_org_keys(visit.principal, parse(OrgKeyList, {"limit": 100}))
    else:
        listed = accounts.list_api_keys(visit.principal, account, parse(ApiKeyList, {"limit": 100}), f"/v1/accounts/{account}/api_keys")
    data: list[dict[str, Any]] = listed["data"]
    return data


def _page(visit: guard.Visit, account: str | None, error: ApiError | None = None) -> Response[str]:
    if account is None:
        require_organization(visit)
    else:
        visit.acting(account)  # 404 for an account the session cannot see
    title = "API keys" if account else "Organization API keys"
    # Only the platform's own key lists and manages accounts' keys, and manages the organization's.
    if account is not None and not visit.principal.is_platform_key:
        return layout.render(visit, "developers/api_keys.html", 403 if error else 200, account=account, title=title, keys=None,
                             manages=False, base=_keys_path(account), grace=GRACE_TEXT)  # fmt: skip
    return layout.render(visit, "developers/api_keys.html", 400 if error else 200, account=account, title=title,
                         keys=_listed(visit, account), manages=visit.principal.is_platform_key, base=_keys_path(account),
                         error=error.message if error else None, grace=GRACE_TEXT, own_key=visit.principal.key_id)  # fmt: skip


@router.get("/dashboard/developers/api-keys")
def organization_keys() -> Response[str]:
    return _page(guard.visit(router), None)


@router.get("/dashboard/a/<account>/developers/api-keys")
def account_keys(account: str) -> Response[str]:
    return _page(guard.visit(router), account)


def _create(account: str | None) -> Response[str]:
    visit, form = guard.change(router)
    raw: dict[str, Any] = {}
    if form.get("name", "").strip():
        raw["name"] = form["name"].strip()
    try:
        if account is None:
            require_organization(visit)
            org_params = parse(OrgKeyCreate, {**raw, "read_only": form.get("read_only") == "true"})
            made = replays.once(visit, visit.principal, form, lambda: api_keys.create_org_key(visit.principal, org_params))
        else:
            raw["type"] = "publishable" if form.get("type") == "publishable" else "secret"
            key_params = parse(ApiKeyCreate, raw)
            made = replays.once(visit, visit.principal, form, lambda: accounts.create_api_key(visit.principal, account, key_params))
    except ApiError as error:
        return _page(visit, account, error)
    # A publishable key is not a secret: listed in full whenever the keys are.
    shown = made.get("secret") or made.get("publishable_key") or ""
    return secret_page(visit, title="API key created", what="secret key" if made.get("secret") else "publishable key", secret=shown,
                       back=_keys_path(account), account=account, key=made)  # fmt: skip


@router.post("/dashboard/developers/api-keys")
def create_organization_key() -> Response[str]:
    return _create(None)


@router.post("/dashboard/a/<account>/developers/api-keys")
def create_account_key(account: str) -> Response[str]:
    return _create(account)


def _own(visit: guard.Visit, key: str) -> str:
    return " This is the key this session signed in with: the session ends too." if key == visit.principal.key_id else ""


def _roll(account: str | None, key: str) -> Response[str]:
    visit, form = guard.change(router)
    back = _keys_path(account)
    grace = form.get("grace", "now") if form.get("grace") in GRACE else "now"
    if not layout.confirmed(form):
        text = (f"Roll the key {form.get('label') or key}? A new secret is made (shown once) and the old one stops working "
                f"{GRACE_TEXT[grace]}.{_own(visit, key) if grace == 'now' else ''}")  # fmt: skip
        return layout.confirm(visit, title="Roll this API key?", text=text, action=f"{back}/{key}/roll", fields=form, button="Roll key",
                              back=back, account=account)  # fmt: skip
    params = parse(ApiKeyRotate, {"expires_at": int(time.time()) + GRACE[grace]} if GRACE[grace] else {})
    try:
        if account is None:
            require_organization(visit)
            made = replays.once(visit, visit.principal, form, lambda: api_keys.rotate_org_key(visit.principal, key, params))
        else:
            made = replays.once(visit, visit.principal, form, lambda: accounts.rotate_api_key(visit.principal, account, key, params))
    except ApiError as error:
        return layout.failed(visit, error, back=back, account=account)
    return secret_page(visit, title="API key rolled", what="new secret key", secret=made["secret"], back=back, account=account, key=made)


@router.post("/dashboard/developers/api-keys/<key>/roll")
def roll_organization_key(key: str) -> Response[str]:
    return _roll(None, key)


@router.post("/dashboard/a/<account>/developers/api-keys/<key>/roll")
def roll_account_key(account: str, key: str) -> Response[str]:
    return _roll(account, key)


def _revoke(account: str | None, key: str) -> Response[str]:
    visit, form = guard.change(router)
    back = _keys_path(account)
    if not layout.confirmed(form):
        text = f"Revoke the key {form.get('label') or key}? Every request made with it is refused from now on; this cannot be undone."
        return layout.confirm(visit, title="Revoke this API key?", text=text + _own(visit, key), action=f"{back}/{key}/revoke",
                              fields=form, button="Revoke key", back=back, account=account)  # fmt: skip
    try:
        if account is None:
            require_organization(visit)
            replays.once(visit, visit.principal, form, lambda: api_keys.revoke_org_key(visit.principal, key))
        else:
            replays.once(visit, visit.principal, form, lambda: accounts.revoke_api_key(visit.principal, account, key))
    except ApiError as error:
        return layout.failed(visit, error, back=back, account=account)
    return layout.redirect(visit, back, notice="key_revoked")


@router.post("/dashboard/developers/api-keys/<key>/revoke")
def revoke_organization_key(key: str) -> Response[str]:
    return _revoke(None, key)


@router.post("/dashboard/a/<account>/developers/api-keys/<key>/revoke")
def revoke_account_key(account: str, key: str) -> Response[str]:
    return _revoke(account, key)
