"""What the Developers pages share: where a page lives (the organization's /dashboard/developers/...
or an account's /dashboard/a/<account>/developers/...), refusing organization pages to a session
that does not see the organization, and the page that shows a new secret once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from orgshare.domain.principal import Principal
from orgshare.errors import PermissionDenied
from orgshare.web.dashboard import guard, layout

SECTION = "Developers"
SCRIPT = "dashboard-developers.js"  # the Developers pages' progressive enhancements (web/static)


def base(account: str | None) -> str:
    """The Developers pages' path prefix for the organization (None) or an account."""
    return f"/dashboard/a/{account}/developers" if account else "/dashboard/developers"


def require_organization(visit: guard.Visit) -> None:
    """Organization pages: a session that does not see the organization gets the 404 page (as the
    domain would refuse it anyway), never a half-empty page."""
    if not visit.organization:
        raise PermissionDenied("This page is the organization's.")


def who(visit: guard.Visit, account: str | None) -> Principal:
    """The principal a page acts as: the session's own for the organization's pages, else the
    account of the URL (404 for an account the session may not act for)."""
    if account is None:
        require_organization(visit)
        return visit.principal
    return visit.acting(account)


def names(visit: guard.Visit) -> dict[str, str]:
    return {a["id"]: a["name"] or a["id"] for a in layout.accounts(visit)}


def secret_page(visit: guard.Visit, *, title: str, what: str, secret: str, back: str, account: str | None, **context: Any) -> Response[str]:
    """The answer to the POST that made a secret: shown here once (Cache-Control no-store, never in
    a URL or a redirect), and never again: the form sent twice answers without it. With script on,
    the page's URL is replaced by `back`'s, so a reload shows the list (a GET)."""
    # The same form sent again gets its first answer back with the secret redacted (replays.once):
    # say so, rather than show a redacted value as if it were the secret.
    replayed = "****" in secret
    return layout.render(visit, "developers/secret.html", account=account, title=title, what=what, secret=None if replayed else secret,
                         back=visit.url(back), script=SCRIPT, **context)  # fmt: skip
