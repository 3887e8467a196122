"""Response schemas: Stripe's error object, list objects, and the objects the API answers with.

Written by hand from the domain's render functions (customers.render, payment_methods.render,
payments.render, ...): each names the fields those always set, with their types, and leaves the
rest open (additionalProperties), so a field added to a render function never makes the document
lie, while a field removed or retyped is caught by the fuzzing's response checks."""

from __future__ import annotations

import re
from typing import Any

from localrun.openapi.routes import Route
from orgshare.params.common import ListParams

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
OBJ = {"type": "object"}
METADATA = {"type": "object", "additionalProperties": {"type": "string"}}


def _maybe(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


NSTR, NINT, NOBJ = _maybe(STR), _maybe(INT), _maybe(OBJ)

# object name (also its component's name, as in Stripe's own document: never a request model's
# CamelCase name) -> the fields its render function always sets
OBJECTS: dict[str, dict[str, Any]] = {
    "customer": {
        "created": INT,
        "livemode": BOOL,
        "email": NSTR,
        "name": NSTR,
        "phone": NSTR,
        "description": NSTR,
        "address": NOBJ,
        "shipping": NOBJ,
        "metadata": METADATA,
        "balance": INT,
        "preferred_locales": {"type": "array", "items": STR},
        "tax_exempt": {"enum": ["none", "exempt", "reverse"]},
        "invoice_prefix": NSTR,
        "delinquent": BOOL,
    },
    "payment_method": {
        "created": INT,
        "livemode": BOOL,
        "type": STR,
        "customer": NSTR,
        "metadata": METADATA,
        "billing_details": OBJ,
        "allow_redisplay": {"enum": ["always", "limited", "unspecified"]},
    },
    "payment_intent": {
        "amount": INT,
        "currency": STR,
        "status": STR,
        "livemode": BOOL,
        "customer": NSTR,
        "payment_method": NSTR,
        "latest_charge": {"anyOf": [STR, OBJ, {"type": "null"}]},
        "metadata": METADATA,
        "description": NSTR,
    },
    "refund": {"amount": INT, "currency": STR, "status": STR},
    "charge": {
        "amount": INT,
        "amount_captured": INT,
        "amount_refunded": INT,
        "captured": BOOL,
        "created": INT,
        "currency": STR,
        "livemode": BOOL,
        "paid": BOOL,
        "refunded": BOOL,
        "status": STR,
        "metadata": METADATA,
        "refunds": {"$ref": "#/components/schemas/list"},
    },
    "checkout.session": {
        "mode": {"enum": ["payment", "setup"]},
        "status": STR,
        "livemode": BOOL,
        "url": NSTR,
        "client_secret": NSTR,
        "payment_method_types": {"type": "array", "items": STR},
    },
    "item": {"amount_total": INT, "quantity": INT, "price": OBJ},
    "setup_intent": {"status": STR, "livemode": BOOL, "customer": NSTR, "payment_method": NSTR},
    "webhook_endpoint": {
        "url": STR,
        "enabled_events": {"type": "array", "items": STR},
        "status": STR,
        "livemode": BOOL,
        "created": INT,
        "metadata": METADATA,
        "scope": {"enum": ["account", "organization"]},
        "api_version": NSTR,
        "description": NSTR,
    },
    "event": {
        "type": STR,
        "created": INT,
        "livemode": BOOL,
        "api_version": STR,
        "context": STR,
        "data": {"type": "object", "required": ["object"]},
        "request": OBJ,
    },
    "webhook_delivery_attempt": {},
    "account": {
        "type": {"enum": ["platform", "connected", "standard"]},
        "email": NSTR,
        "country": NSTR,
        "metadata": METADATA,
        "created": INT,
        "pool": STR,
        "shared_pool": BOOL,
        "business_profile": OBJ,
    },
    "api_key": {
        "scope": {"enum": ["account", "organization"]},
        "livemode": BOOL,
        "type": STR,
        "read_only": BOOL,
        "redacted": STR,
        "created": INT,
        "expires_at": NINT,
        "revoked": BOOL,
    },
    "business_profile": {},
    "connector": {},
    "payment_method_usage": {},
    "organization": {"livemode": BOOL, "accounts": {"type": "array", "items": OBJ}, "sharing": OBJ},
    "sharing_enablement": {},
    "sharing_duplicate": {"email": STR, "customers": {"type": "array", "items": STR}},
    "organization_sandbox": {},
    "organization.customer": {},
    "customer_erasure": {"customer": STR, "status": STR},
    "customer_consent": {"customer": NSTR, "source": STR},
}
NO_ID = {"customer_consent_export"}  # a document, not a stored object

# Which object a path answers with: the first pattern that matches (more specific ones first).
_RESOURCES: list[tuple[str, str]] = [
    (r"^/v1/customers/[^/]+/payment_methods", "payment_method"),
    (r"^/v1/customers", "customer"),
    (r"^/v1/payment_methods/[^/]+/usage", "payment_method_usage"),
    (r"^/v1/payment_methods", "payment_method"),
    (r"^/v1/business_profiles/[^/]+/connectors", "connector"),
    (r"^/v1/business_profiles", "business_profile"),
    (r"^/v1/payment_intents", "payment_intent"),
    (r"^/v1/(charges/[^/]+/)?refunds", "refund"),
    (r"^/v1/charges", "charge"),
    (r"^/v1/events/[^/]+/delivery_attempts", "webhook_delivery_attempt"),
    (r"^/v1/events", "event"),
    (r"^/v1/webhook_endpoints", "webhook_endpoint"),
    (r"^/v1/accounts/[^/]+/api_keys", "api_key"),
    (r"^/v1/accounts", "account"),
    (r"^/v1/organization$", "organization"),
    (r"^/v1/organization/sharing_enablements/[^/]+/duplicates", "sharing_duplicate"),
    (r"^/v1/organization/sharing_enablements", "sharing_enablement"),
    (r"^/v1/organization/sandboxes", "organization_sandbox"),
    (r"^/v1/organization/api_keys", "api_key"),
    (r"^/v1/organization/customers/[^/]+/erase", "customer_erasure"),
    (r"^/v1/organization/customer_erasures", "customer_erasure"),
    (r"^/v1/organization/customers/[^/]+/consents/export", "customer_consent_export"),
    (r"^/v1/organization/customers/[^/]+/consents", "customer_consent"),
    (r"^/v1/organization/customers", "organization.customer"),
    (r"^/v1/organization/payment_intents", "payment_intent"),
    (r"^/v1/organization/refunds", "refund"),
    (r"^/v1/checkout/sessions/[^/]+/line_items", "item"),
    (r"^/v1/checkout/sessions", "checkout.session"),
    (r"^/v1/setup_intents", "setup_intent"),
]
# Lists whose params are not a ListParams (no cursor: every attempt is shown).
_LISTS_WITHOUT_CURSOR = {("get", "/v1/events/{event}/delivery_attempts")}
# DELETE routes that never succeed (sharing cannot be disabled): only their errors are documented.
_ALWAYS_REFUSED = {("delete", "/v1/organization/sharing_enablements/{enablement}")}
# Who answers a DELETE with `{"id", "object", "deleted": true}`.
_DELETES = {"customer", "webhook_endpoint", "connector", "api_key"}

ERROR_TYPES = ["invalid_request_error", "authentication_error", "permission_error", "idempotency_error", "card_error",
               "rate_limit_error", "api_error"]  # fmt: skip
ERROR = {
    "type": "object",
    "description": "Stripe's error object.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"enum": ERROR_TYPES},
                "code": STR,
                "decline_code": NSTR,
                "message": {"type": "string", "minLength": 1},
                "param": NSTR,
                "doc_url": STR,
                "charge": NSTR,
                "payment_intent": OBJ,
                "request_log_url": STR,
            },
        }
    },
}


def _object(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    required = ["object"] if name in NO_ID else ["id", "object"]
    identity = {} if name in NO_ID else {"id": STR}
    return {"type": "object", "required": required, "properties": {**identity, "object": {"const": name}, **fields}}


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["object", "data", "has_more", "url"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": item}, "has_more": BOOL, "url": STR},
    }


def _search_result(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["object", "data", "has_more", "url"],
        "properties": {"object": {"const": "search_result"}, "data": {"type": "array", "items": item}, "has_more": BOOL, "url": STR,
                       "next_page": NSTR},
    }  # fmt: skip


def ref(component: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component}"}


def components() -> dict[str, Any]:
    out: dict[str, Any] = {"error": ERROR, "list": _list(OBJ)}
    for name, fields in OBJECTS.items():
        out[name] = _object(name, fields)
        out[f"{name}.list"] = _list(ref(name))
        if name in _DELETES:
            out[f"deleted_{name}"] = {
                "type": "object",
                "required": ["id", "object", "deleted"],
                "properties": {"id": STR, "object": {"const": name}, "deleted": {"const": True}},
            }
    out["customer_consent_export"] = _object("customer_consent_export", {"customer": STR, "generated_at": INT, "livemode": BOOL})
    return out


def resource(path: str) -> str | None:
    return next((name for pattern, name in _RESOURCES if re.search(pattern, path)), None)


def success_schema(route: Route) -> dict[str, Any] | None:
    """The 200 answer's schema, or None when the route never succeeds."""
    if route.key in _ALWAYS_REFUSED:
        return None
    name = resource(route.path)
    if name is None:
        return OBJ
    if name in NO_ID:
        return ref(name)
    if route.path.endswith("/search"):  # Stripe's search: a search_result of the resource's objects
        return _search_result(ref(name))
    if route.key in _LISTS_WITHOUT_CURSOR or (route.model is not None and issubclass(route.model, ListParams)):
        return ref(f"{name}.list")
    if route.method == "delete" and name in _DELETES:
        return ref(f"deleted_{name}")
    return ref(name)
