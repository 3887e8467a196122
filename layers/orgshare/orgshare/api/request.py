"""Reading a request: who calls, with which parameters, under which request id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from orgshare.domain import auth
from orgshare.domain.organization import access
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import AuthenticationFailed, InvalidRequest, PermissionDenied
from orgshare.ids import redact_key
from orgshare.settings import get_settings
from orgshare.wire.params import decode_body, decode_query

if TYPE_CHECKING:
    from orgshare.params.common import Params

P = TypeVar("P", bound="Params")  # params.common (pydantic) imported on the first parse, not with the handler


def request_id(event: APIGatewayProxyEvent) -> str:
    return "req_" + event.request_context.request_id.replace("-", "")


PUBLISHABLE_REFUSED = "This API call cannot be made with a publishable API key. Please use a secret API key."


def principal(event: APIGatewayProxyEvent, *, publishable: bool = False) -> Principal:
    """The authorizer's principal, switched to another account by `Stripe-Account` (or the newer
    `Stripe-Context`) when a platform or organization key asks for it. A publishable key only where
    the route says it may be used (`publishable`): what a checkout page needs, nothing else. An
    organization key must name an account, except on the organization's own routes."""
    context = event.request_context.authorizer.raw_event if event.request_context.authorizer else {}
    try:
        who = Principal.from_context(context)
    except (KeyError, ValueError):
        # Only reachable when a route is deployed without the authorizer: fail closed.
        raise AuthenticationFailed(auth.NO_KEY, code="api_key_missing") from None
    if who.key_type == "publishable" and not publishable:
        raise PermissionDenied(PUBLISHABLE_REFUSED, code="secret_key_required")
    auth.refuse_expired(who, _secret(event))
    target = named_account(event)
    if target is not None:
        who = auth.act_as(who, target, get_settings().account_cache_seconds)
    elif who.key_scope == "organization" and not access.serves_organization(event.http_method, event.resource or event.path):
        raise InvalidRequest(auth.ACCOUNT_NEEDED, code="stripe_context_required")
    return who


def named_account(event: APIGatewayProxyEvent) -> str | None:
    """The account a `Stripe-Account` or `Stripe-Context` header names (both: the same one)."""
    named = {h: v.strip() for h in ("Stripe-Account", "Stripe-Context") if (v := event.headers.get(h)) is not None}
    if not named:
        return None
    if len(set(named.values())) > 1:
        raise InvalidRequest("The Stripe-Account and Stripe-Context headers name different accounts; send one.", code="account_invalid")
    header, target = next(iter(named.items()))
    if not target.startswith("acct_") or "/" in target:
        raise InvalidRequest(f"The {header} header must name an account id (acct_...).", code="account_invalid")
    return target


def _secret(event: APIGatewayProxyEvent) -> str | None:
    try:
        return auth.secret_from_authorization(event.headers.get("Authorization"))
    except AuthenticationFailed:
        return None


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def guard(event: APIGatewayProxyEvent) -> None:
    """What every route of every API function checks before its handler runs (so no route can
    forget it, nor answer a 400 or a 404 first): a read-only key only reads, and only the
    organization's keys (access.require_view) reach the organization's routes."""
    refuse_read_only(event)
    if access.organization_route(event.resource or event.path):
        access.require_view(principal(event))


def refuse_read_only(event: APIGatewayProxyEvent) -> None:
    """A read-only (restricted, rk_...) key may only read. The authorizer's context carries the
    flag only when set; any value of it counts (fail closed)."""
    context = event.request_context.authorizer.raw_event if event.request_context.authorizer else {}
    if "read_only" not in context or event.http_method.upper() in READ_ONLY_METHODS:
        return
    key = redact_key(_secret(event) or "")
    raise PermissionDenied(
        f"The provided key '{key}' does not have the required permissions for this endpoint on account "
        f"'{context.get('account', '')}'. It is a read-only (restricted) key: use a secret key with write access.",
        code="read_only_key",
    )


def raw_params(event: APIGatewayProxyEvent) -> dict[str, Any]:
    """Query parameters (GET, DELETE) or the body (POST), decoded but not yet validated."""
    if event.http_method == "POST":
        return decode_body(
            event.body,
            is_base64=bool(event.is_base64_encoded),
            content_type=event.headers.get("Content-Type") or "",
            max_bytes=get_settings().max_body_bytes,
        )
    pairs = [(k, v) for k, values in (event.multi_value_query_string_parameters or {}).items() for v in values]
    return decode_query(urlencode(pairs))


def params(event: APIGatewayProxyEvent, model: type[P]) -> P:
    """The request's parameters, validated into `model`."""
    from orgshare.params.common import parse

    return parse(model, raw_params(event))


def public_base_url(event: APIGatewayProxyEvent) -> str:
    """Where this API is reached from outside (for the URLs it hands out, a checkout page's): the
    PUBLIC_BASE_URL setting (a custom domain, the local system), else what the request came to."""
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    proto = event.headers.get("X-Forwarded-Proto") or "https"
    host = event.headers.get("Host") or event.request_context.domain_name or "localhost"
    full, own = event.request_context.path or "", event.path or ""
    prefix = full[: -len(own)] if own and full.endswith(own) else ""  # the stage, on the execute-api domain
    return f"{proto}://{host}{prefix}"


def request_info(event: APIGatewayProxyEvent) -> RequestInfo:
    return RequestInfo(id=request_id(event), idempotency_key=event.headers.get("Idempotency-Key"))
