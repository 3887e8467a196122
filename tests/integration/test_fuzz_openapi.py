"""Fuzzing from docs/openapi.json (schemathesis) against a local system of its own: valid and
invalid requests for every API operation; none may get a server error, every answer must match
the document (status, content type, schema), and every 4xx must be a Stripe error object.

Bounded for CI: FUZZ_MAX_EXAMPLES (default below) inputs per operation and generation mode.
Reproduce a failure with the seed schemathesis prints (FUZZ_SEED=...)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from qs_codec import EncodeOptions, ListFormat, encode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from localrun import openapi
from tests.conftest import FAST_WEBHOOKS, LocalSystem, launch, stop

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))
# Operations not fuzzed blindly, and why (by operationId).
UNSAFE: dict[str, str] = {
    "PostWebhookEndpoints": "delivers every later event to whatever URL the fuzzer makes up: requests beyond 127.0.0.1",
    "PostWebhookEndpointsEndpoint": "likewise: an endpoint's url changed to a made-up address",
    "PostBusinessProfilesProfileConnectors": "a stripe connector with made-up credentials calls Stripe's API for its payments",
    "PostBusinessProfilesProfileConnectorsConnector": "likewise",
    "PostOrganizationSharingEnablements": "starts the migration of accounts' customers into the shared pool (long, irreversible work)",
    "PostOrganizationSandboxes": "copies the organization's configuration into a new sandbox (long work; live keys only)",
    "PostOrganizationCustomersCustomerErase": "erases a customer's personal data organization-wide (irreversible)",
}
# Without a key: what answers 401, and what is public.
WITHOUT_KEY = ["GetCustomers", "PostCustomers", "GetPaymentIntentsIntent", "PostPaymentMethods", "DeleteCustomersCustomer",
               "GetOpenapiJson"]  # fmt: skip
STRIPE_ERROR_TYPES = {"invalid_request_error", "authentication_error", "permission_error", "idempotency_error", "card_error",
                      "rate_limit_error", "api_error"}  # fmt: skip
_FORM = EncodeOptions(list_format=ListFormat.INDICES)  # Stripe's brackets: expand[0]=x, metadata[a]=1


def stripe_form(ctx: schemathesis.SerializationContext, value: Any) -> bytes | None:
    """Bodies as the SDKs send them (the default nests nothing: address=city)."""
    del ctx
    if value is None:
        return None
    if isinstance(value, dict):
        return encode(value, _FORM).encode()
    return value if isinstance(value, bytes) else str(value if isinstance(value, str) else json.dumps(value)).encode()


schemathesis.serializer("application/x-www-form-urlencoded")(stripe_form)


@schemathesis.check
def stripe_shaped_error(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]) -> bool | None:
    """Every 4xx is Stripe's error object: {"error": {"type": one of Stripe's, "message": ...}}."""
    del ctx, case
    if response.status_code < 400 or response.status_code >= 500:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"a {response.status_code} that is not JSON: {response.content[:200]!r}") from None
    assert isinstance(body, dict) and set(body) == {"error"}, f"not Stripe's error object: {body}"
    error = body["error"]
    assert error.get("type") in STRIPE_ERROR_TYPES, f"error type {error.get('type')!r} is not Stripe's"
    assert isinstance(error.get("message"), str) and error["message"], f"error without a message: {error}"
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, stripe_shaped_error]


@pytest.fixture(scope="module")
def fuzzed_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """A local system of its own: what the fuzzer creates (customers, accounts, keys) never meets
    another test's data."""
    proc, system = launch(tmp_path_factory.mktemp("fuzz"), *FAST_WEBHOOKS)
    yield system
    stop(proc)


def _config(system: LocalSystem) -> schemathesis.Config:
    generation: dict[str, Any] = {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"}
    settings: dict[str, Any] = {
        "base-url": system.url,
        "generation": generation,
        # Fuzzing only: the coverage phase's boundary cases are unbounded in number, and the
        # stateful phase needs links the document does not declare.
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "request-timeout": 30,
    }
    if "FUZZ_SEED" in os.environ:
        settings["seed"] = int(os.environ["FUZZ_SEED"])
    return schemathesis.Config.from_dict(settings)


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(Path(openapi.DOC).read_text())
    return loaded


@pytest.fixture(scope="module")
def api_schema(fuzzed_system: LocalSystem) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(_document(), config=_config(fuzzed_system))


# The filters go on the lazy schemas: they replace the fixture's own when the tests are made.
# The API only (/v1/; the HTML pages are not Stripe's dialect), less what is unsafe to fuzz blindly.
with_key = schemathesis.pytest.from_fixture("api_schema").include(path_regex=r"^/v1/").exclude(operation_id=[*UNSAFE, "GetOpenapiJson"])
without_key = schemathesis.pytest.from_fixture("api_schema").include(operation_id=WITHOUT_KEY)


@with_key.parametrize()
def test_every_operation_answers_as_documented(case: schemathesis.Case[Any], fuzzed_system: LocalSystem) -> None:
    key = fuzzed_system.accounts["Rocket Platform"].key
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)


@without_key.parametrize()
def test_without_a_key_only_the_document_answers(case: schemathesis.Case[Any], fuzzed_system: LocalSystem) -> None:
    del fuzzed_system
    case.headers.pop("Authorization", None)
    response = case.call_and_validate(checks=CHECKS)
    if case.operation.path == "/v1/openapi.json":
        assert response.status_code == 200
        assert json.loads(response.content) == _document(), "the served document is not docs/openapi.json"
        assert response.headers["cache-control"][0].startswith("public, max-age=")
    else:
        assert response.status_code == 401, response.content
        assert json.loads(response.content)["error"]["type"] == "authentication_error"


def test_unsafe_operations_exist(api_schema: schemathesis.BaseSchema) -> None:
    # The exclusions name real operations: a renamed one would otherwise be fuzzed unnoticed.
    ids = {op["operationId"] for ops in _document()["paths"].values() for op in ops.values()}
    assert set(UNSAFE) <= ids
    del api_schema
