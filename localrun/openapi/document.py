"""The OpenAPI 3.1 document: template.yaml's routes, each with its handler's params model as its
query parameters or body, its auth and Stripe's headers, and its answers."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from localrun import template as tpl
from localrun.openapi import objects, schemas
from localrun.openapi.routes import Route, routes

DESCRIPTION = (
    "orgshare speaks Stripe's wire dialect: the official `stripe` SDKs are its clients. Bodies are "
    "`application/x-www-form-urlencoded` with Stripe's bracket nesting (`metadata[a]=1`, `expand[0]=customer`) or JSON; "
    "an empty string unsets a field. Errors are Stripe's error object. Generated from template.yaml and the "
    "request models by `make openapi`; do not edit by hand."
)
JSON = "application/json"
HTML_ROUTES = ("PagesFunction", "DashboardFunction")
HEADERS: dict[str, dict[str, Any]] = {
    "StripeAccount": {
        "name": "Stripe-Account",
        "in": "header",
        "required": False,
        "description": "Act as this account of the organization (a platform or organization key).",
        "schema": {"type": "string", "pattern": "^acct_[A-Za-z0-9]+$", "maxLength": 255},
    },
    "StripeContext": {
        "name": "Stripe-Context",
        "in": "header",
        "required": False,
        "description": "The newer SDKs' name for Stripe-Account (both may be sent when they name the same account).",
        "schema": {"type": "string", "pattern": "^acct_[A-Za-z0-9]+$", "maxLength": 255},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "The same key with the same parameters within 24 hours replays the first answer.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
}
API_KEY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"basicAuth": []}]


def _version() -> str:
    with (tpl.ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def _path(route: Route) -> str:
    return route.path.replace("+}", "}")  # API Gateway's greedy `{proxy+}` is a plain parameter in OpenAPI


def operation_id(route: Route) -> str:
    """Stripe's own style: GetCustomersCustomer, PostPaymentIntentsIntentConfirm."""
    words = re.findall(r"[A-Za-z0-9]+", _path(route).removeprefix("/v1"))
    return route.method.capitalize() + "".join(w[:1].upper() + w[1:] for part in words for w in part.split("_"))


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in re.findall(r"\{(\w+)\+?\}", route.path)
    ]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": {"$ref": "#/components/schemas/error"}}}}


def _api_operation(route: Route, names: dict[Any, str], components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id(route), "tags": [route.function.removesuffix("Function")]}
    if route.handler:
        op["summary"] = route.handler.replace("_", " ").capitalize()
    parameters = _path_parameters(route)
    if route.authorized:
        op["security"] = API_KEY
        parameters += [{"$ref": "#/components/parameters/StripeAccount"}, {"$ref": "#/components/parameters/StripeContext"}]
    if route.writes:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    if route.model is not None:
        component = names[route.model]
        if route.method == "post":
            op["requestBody"] = schemas.request_body(component, components[component], components)
        else:
            parameters += schemas.query_parameters(components[component], components)
    op["parameters"] = parameters
    if route.publishable:
        op["x-publishable-key"] = True
        op["description"] = "A publishable key (pk_...) may make this call, as a checkout page does."
    responses: dict[str, Any] = {}
    success = objects.success_schema(route)
    if success is not None:
        responses["200"] = {"description": "OK", "content": {JSON: {"schema": success}}}
    responses["4XX"] = _error("A Stripe error: invalid_request_error (400, 404), authentication_error (401), permission_error "
                              "(403), card_error (402), idempotency_error (400, 409), rate_limit_error (429).")  # fmt: skip
    responses["5XX"] = _error("api_error: an unexpected error (a bug; the Request-Id header identifies it).")
    op["responses"] = responses
    return op


def _page_operation(route: Route) -> dict[str, Any]:
    """The checkout page, its static files and the dashboard: HTML for people, not part of the API."""
    return {
        "operationId": operation_id(route),
        "tags": [route.function.removesuffix("Function")],
        "summary": "HTML page (not part of the Stripe-compatible API)",
        "security": [],
        "parameters": _path_parameters(route),
        "responses": {"default": {"description": "An HTML page, a redirect, or a static file."}},
    }


def _document_operation() -> dict[str, Any]:
    return {
        "operationId": "GetOpenapiJson",
        "tags": ["OpenApi"],
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "The OpenAPI description of this API", "content": {JSON: {"schema": {"type": "object"}}}}},
    }


def build() -> dict[str, Any]:
    found = routes()
    models = [r.model for r in found if r.model is not None]
    names, request_components = schemas.components(models)
    answers = objects.components()
    clashes = set(request_components) & set(answers)
    assert not clashes, f"request and response components share names: {sorted(clashes)}"
    components = {**request_components, **answers}
    paths: dict[str, dict[str, Any]] = {}
    for route in found:
        if route.function in HTML_ROUTES:
            op = _page_operation(route)
        elif route.path == "/v1/openapi.json":
            op = _document_operation()
        else:
            op = _api_operation(route, names, components)
        paths.setdefault(_path(route), {})[route.method] = op
    document = {
        "openapi": "3.1.0",
        "info": {"title": "orgshare API", "version": _version(), "description": DESCRIPTION},
        "servers": [{"url": "http://127.0.0.1:8787", "description": "the local system (`make run`); deployed: the API's URL"}],
        "security": API_KEY,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer sk_test_..."},
                "basicAuth": {"type": "http", "scheme": "basic", "description": "The key as the user name, no password."},
            },
            "parameters": HEADERS,
            "schemas": dict(sorted(components.items())),
        },
    }
    return _without_unused(document)


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        own = {value["$ref"].rsplit("/", 1)[1]} if isinstance(value.get("$ref"), str) else set()
        return own.union(*(_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value))
    return set()


def _without_unused(document: dict[str, Any]) -> dict[str, Any]:
    """Only the schemas something refers to (a GET's model is spelled out as its parameters)."""
    schemas_ = document["components"]["schemas"]
    used, todo = set(), _refs(document["paths"])
    while todo:
        name = todo.pop()
        if name in schemas_ and name not in used:
            used.add(name)
            todo |= _refs(schemas_[name])
    document["components"]["schemas"] = {k: v for k, v in schemas_.items() if k in used}
    return document
