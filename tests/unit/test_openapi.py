"""docs/openapi.json: current with the code, a valid OpenAPI 3.1 document, covering every route of
template.yaml with its request model, and served without a key."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from localrun import openapi
from localrun import template as tpl
from localrun.openapi import document
from localrun.openapi.routes import routes


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(openapi.DOC.read_text())
    return loaded


def test_the_committed_document_is_current() -> None:
    fresh = openapi.generate()
    assert openapi.DOC.read_text() == fresh, "docs/openapi.json is stale: run 'make openapi'"
    assert openapi.SERVED.read_text() == fresh, "functions/openapi/openapi.json is stale: run 'make openapi'"


def test_it_is_a_valid_openapi_3_1_document(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # JSON Schema 2020-12, OpenAPI 3.1's dialect
    schemathesis.openapi.from_dict(doc).validate()  # the OpenAPI 3.1 meta-schema


def test_every_route_of_the_template_is_documented_once(doc: dict[str, Any]) -> None:
    found = routes()
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert documented == {(r.method, r.path.replace("+}", "}")) for r in found}
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_every_api_route_has_the_params_model_its_handler_reads() -> None:
    # A handler whose model the generator cannot read would be documented without parameters.
    unread = [r.key for r in routes() if r.path.startswith("/v1/") and r.path != "/v1/openapi.json" and r.model is None]
    assert unread == []


def test_auth_and_headers_follow_the_template(doc: dict[str, Any]) -> None:
    for route in routes():
        op = doc["paths"][route.path.replace("+}", "}")][route.method]
        refs = {p.get("$ref", "").rsplit("/", 1)[-1] for p in op.get("parameters", [])}
        if route.authorized:
            assert op["security"] == document.API_KEY, route.key
            assert {"StripeAccount", "StripeContext"} <= refs, route.key
        else:
            assert op["security"] == [], route.key
        assert ("IdempotencyKey" in refs) == route.writes, route.key


def test_parameters_are_the_models_fields(doc: dict[str, Any]) -> None:
    listing = doc["paths"]["/v1/customers"]["get"]
    names = {p["name"] for p in listing["parameters"] if "name" in p}
    assert names == {"expand", "limit", "starting_after", "ending_before", "email"}
    body = doc["paths"]["/v1/customers"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/x-www-form-urlencoded", "application/json"}
    assert body["application/x-www-form-urlencoded"]["encoding"]["metadata"] == {"style": "deepObject", "explode": True}
    create = doc["components"]["schemas"]["CustomerCreate"]
    assert create["additionalProperties"] is False  # unknown parameters are refused, as Stripe does
    assert {"$ref": "#/components/schemas/Unset"} in create["properties"]["email"]["anyOf"]  # email= unsets it
    limit = doc["components"]["schemas"]["PaymentIntentCreate"]["properties"]
    assert limit["amount"]["type"] == "integer"
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/customer.list"}
    assert listing["responses"]["4XX"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/error"}


def test_the_document_function_serves_it_without_a_key_or_a_grant() -> None:
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")["OpenApiFunction"]["Properties"]
    assert "Policies" not in res  # it reads its own file, nothing else
    (event,) = res["Events"].values()
    assert event["Properties"]["Path"] == "/v1/openapi.json" and event["Properties"]["Auth"] == {"Authorizer": "NONE"}
    spec = importlib.util.spec_from_file_location("openapi_app", tpl.ROOT / res["CodeUri"] / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reply = module.lambda_handler({"httpMethod": "GET", "path": "/v1/openapi.json", "requestContext": {"requestId": "a-b"}}, None)
    assert reply["statusCode"] == 200
    assert reply["headers"]["Content-Type"] == "application/json"
    assert reply["headers"]["Cache-Control"].startswith("public, max-age=")
    assert json.loads(reply["body"]) == json.loads(openapi.DOC.read_text())
