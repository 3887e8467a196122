"""Who may use the organization's API: the one place that decides it, so every organization route
asks the same question the same way.

Two keys speak for the organization: the platform account's own secret key, and an organization
key (`sk_...` full, `rk_...` read-only), each only while it does not act for an account (no
Stripe-Account / Stripe-Context header). Account keys, and any key acting for an account, never do.
"""

from __future__ import annotations

from orgshare.domain.principal import Principal
from orgshare.errors import PermissionDenied

ORGANIZATION_ONLY = (
    "Only the platform's own secret key or an organization API key can use the organization's API "
    "(without a Stripe-Account or Stripe-Context header)."
)


def can_view(principal: Principal) -> bool:
    """The organization's view: the platform's own secret key, or an organization key, not acting for an account."""
    if principal.key_type != "secret" or principal.on_behalf:
        return False
    return principal.is_platform_key or principal.key_scope == "organization"


def require_view(principal: Principal) -> None:
    """Reading the organization's view (its customers, payments, consents, keys)."""
    if not can_view(principal):
        raise PermissionDenied(ORGANIZATION_ONLY, code="platform_api_key_required")


def require_operate(principal: Principal) -> None:
    """Changing something through the organization's API (erasure, enablements): not with a read-only key."""
    require_view(principal)
    if principal.read_only:
        raise PermissionDenied("This organization API key is read-only: use a key with write access.", code="read_only_key")


def require_platform_key(principal: Principal) -> None:
    """Whatever mints secrets (the organization's API keys, a sandbox's keys): only the platform's
    own secret key, so that no organization key can mint, roll or revoke keys (itself included)
    and so outlive its own revocation."""
    if not principal.is_platform_key:
        raise PermissionDenied("Only the platform's own secret key can do this: it creates secret keys.", code="platform_api_key_required")


def organization_route(resource: str) -> bool:
    """The organization's own routes: /v1/organization and everything under it."""
    return resource == "/v1/organization" or resource.startswith("/v1/organization/")


def serves_organization(method: str, resource: str) -> bool:
    """Routes an organization key may call without naming an account: the organization's own, and
    reading the events (the organization's one-per-change copies, as for the platform key)."""
    if organization_route(resource):
        return True
    return method.upper() == "GET" and (resource == "/v1/events" or resource.startswith("/v1/events/"))
