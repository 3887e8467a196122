"""Who is asking, for every dashboard request: the session its cookie names (else the sign-in
page), and for a change (every POST) the same origin, the session's CSRF token and a session that
may change things. Page handlers start with `visit(router)` or `change(router)`."""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qsl, quote, urlsplit

from orgshare.api.request import public_base_url, request_id
from orgshare.domain import auth
from orgshare.domain.organization import access
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.settings import get_settings
from orgshare.web.dashboard import csrf, sessions
from orgshare.web.render import origin

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
    from aws_lambda_powertools.utilities.typing import LambdaContext

COOKIE = "orgshare_dashboard"
MAX_FORM_BYTES = 16_384  # the dashboard's forms are small


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page (and back to `next` after)."""

    def __init__(self, next_path: str | None = None) -> None:
        super().__init__("sign in required")
        self.next_path = next_path


class Refused(Exception):
    """A request refused before anything was done: a 403 page saying why."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Visit:
    """One request of a signed-in session."""

    session: sessions.Session
    root: str  # the path prefix the site is served under ("" locally and behind a custom domain)
    base_url: str  # scheme://host[prefix], for absolute URLs (a checkout's success_url)
    request: RequestInfo  # for the events the request's changes emit
    path: str
    query: dict[str, str]
    # The function's context (its remaining time bounds how long a change's idempotency record stays in progress).
    lambda_context: LambdaContext | None = None

    @property
    def principal(self) -> Principal:
        return self.session.principal

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    @property
    def organization(self) -> bool:
        """Whether this session sees the organization (its customers, every account)."""
        return access.can_view(self.principal)

    def url(self, path: str) -> str:
        """A dashboard path (starting with /dashboard) as a link under the site's root."""
        return self.root + path

    def acting(self, account: str) -> Principal:
        """The principal for an account of the page's URL: the session's own account, or (the
        organization's sessions) another account of the organization, as the API's Stripe-Account
        header does. PermissionDenied otherwise."""
        return auth.act_as(self.principal, account, get_settings().account_cache_seconds)


def root(event: APIGatewayProxyEvent) -> str:
    return urlsplit(public_base_url(event)).path.rstrip("/")


def is_https(event: APIGatewayProxyEvent) -> bool:
    # The configured public URL, else how the client came (API Gateway says https; the local run http).
    return public_base_url(event).startswith("https://")


def cookie(event: APIGatewayProxyEvent, name: str) -> str | None:
    raw = event.headers.get("Cookie") or event.headers.get("cookie") or ""
    try:
        jar: SimpleCookie = SimpleCookie(raw)
    except CookieError:
        return None
    found = jar.get(name)
    return found.value if found else None


def set_cookie(event: APIGatewayProxyEvent, name: str, value: str, max_age: int) -> str:
    """A Set-Cookie value: script cannot read it, no other site's request carries it, only the
    dashboard's paths get it (under the site's root: API Gateway's stage, a base path), and over
    https only when the site is served over https."""
    secure = "; Secure" if is_https(event) else ""
    return f"{name}={value}; Path={root(event)}/dashboard; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def form(event: APIGatewayProxyEvent) -> dict[str, str]:
    body = event.decoded_body or ""
    if len(body) > MAX_FORM_BYTES:
        raise Refused("The form is too large.", 413)
    try:
        return dict(parse_qsl(body, keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("The form could not be read.", 400) from None


def _visit(event: APIGatewayProxyEvent, context: LambdaContext | None = None) -> Visit:
    session = sessions.load(cookie(event, COOKIE))
    if session is None:
        next_path = event.path if event.http_method == "GET" else None
        raise SignInRequired(next_path)
    query = {k: v for k, v in (event.query_string_parameters or {}).items() if v is not None}
    return Visit(session, root(event), public_base_url(event), RequestInfo(request_id(event)), event.path, query, context)


def event_of(router: BaseRouter) -> APIGatewayProxyEvent:
    """The request being served (the function's resolver is an APIGatewayRestResolver)."""
    return cast("APIGatewayProxyEvent", router.current_event)


def visit(router: BaseRouter) -> Visit:
    """The signed-in session of a page (GET): SignInRequired if there is none."""
    return _visit(event_of(router))


def check_origin(event: APIGatewayProxyEvent) -> None:
    if not csrf.same_origin(event.headers, origin(public_base_url(event))):
        raise Refused("This form was sent from another site, so nothing was done.")


def change(router: BaseRouter) -> tuple[Visit, dict[str, str]]:
    """A change (POST): the session, from this site, with its CSRF token, allowed to change
    things; then the form. Refused (403, nothing done) otherwise."""
    event = event_of(router)
    check_origin(event)
    current = _visit(event, router.lambda_context)
    fields = form(event)
    if not csrf.matches(fields, current.csrf):
        raise Refused("This form has expired or did not come from this dashboard, so nothing was done. Go back, reload and try again.")
    if current.read_only:
        raise Refused("This session is read-only: it cannot change anything.")
    return current, fields


def sign_in_link(root_path: str, next_path: str | None) -> str:
    target = f"{root_path}/dashboard/sign-in"
    if next_path and next_path.startswith("/dashboard") and not next_path.startswith("/dashboard/sign-"):
        target += "?next=" + quote(next_path, safe="/")
    return target
