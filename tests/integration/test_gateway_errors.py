"""The error answers a client meets on the local system, from the gateway (no key, a refused key, an
unknown URL, a body too large) and from the functions, each in Stripe's shape with a code; and the
issue's examples through the stripe SDK: a refund by charge, any bad currency, a limit too high."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import stripe

from orgshare.errors import STRIPE_DOCUMENTED
from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

PYDANTIC_PHRASES = ("Input should", "String should", "Field required", "Extra inputs", "value is not", "validation error", "pydantic")


def check_shape(body: Any, status: int, kind: str, code: str) -> dict[str, Any]:
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert (error["type"], error.get("code")) == (kind, code), (status, error)
    assert error["message"] and not any(p in error["message"] for p in PYDANTIC_PHRASES)
    expected_doc = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}" if code in STRIPE_DOCUMENTED else None
    assert error.get("doc_url") == (expected_doc if kind != "authentication_error" else None), error
    return error


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "api_key_missing"),
        ({"Authorization": "Bearer "}, "api_key_missing"),
        ({"Authorization": "Bearer sk_test_notakeyofours1234"}, "api_key_invalid"),
        ({"Authorization": 'Bearer sk_test_quoted_end\\"xyz'}, "api_key_invalid"),  # echoed (redacted) in valid JSON
        ({"Authorization": "Bearer pk_live_whatever_it_is_1234"}, "api_key_invalid"),
        ({"Authorization": "Basic !!!"}, "api_key_invalid"),
        ({"Authorization": "Basic " + base64.b64encode(b":nothing").decode()}, "api_key_missing"),
        ({"Authorization": "Token sk_test_1234"}, "api_key_missing"),
    ],
)
def test_a_missing_or_refused_key_is_a_401_with_a_code(local_system: LocalSystem, headers: dict[str, str], code: str) -> None:
    status, body = local_system.http("GET", "/v1/customers", key=None, headers=headers)
    assert status == 401
    error = check_shape(body, status, "authentication_error", code)
    assert "sk_test_notakeyofours1234" not in error["message"]  # a refused key is shown redacted, never whole


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nothing"), ("DELETE", "/v1/payment_intents"), ("GET", "/")])
def test_an_unknown_url_is_a_404_resource_missing(local_system: LocalSystem, method: str, path: str) -> None:
    status, body = local_system.http(method, path, key=local_system.accounts["Rocket Rides"].key)
    assert status == 404
    error = check_shape(body, status, "invalid_request_error", "resource_missing")
    assert error["message"] == f"Unrecognized request URL ({method}: {path})."


def test_a_body_too_large_is_a_413_with_a_code_from_the_gateway_and_from_a_function(local_system: LocalSystem) -> None:
    key = local_system.accounts["Rocket Rides"].key
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    gateway_limit = 10 * 1024 * 1024
    status, body = local_system.http("POST", "/v1/customers", key=key, body=b"name=" + b"x" * gateway_limit, headers=form)
    assert status == 413
    check_shape(body, status, "invalid_request_error", "request_too_large")
    status, body = local_system.http("POST", "/v1/customers", key=key, body=b"name=" + b"x" * 300_000, headers=form)
    assert status == 413
    check_shape(body, status, "invalid_request_error", "request_too_large")


def test_a_body_that_cannot_be_read_has_a_code(local_system: LocalSystem) -> None:
    key = local_system.accounts["Rocket Rides"].key
    for body, content_type in ((b'{"name": ', "application/json"), (b"[1]", "application/json"), (b"\xff\xfe", "text/plain")):
        status, answer = local_system.http("POST", "/v1/customers", key=key, body=body, headers={"Content-Type": content_type})
        assert status == 400
        check_shape(answer, status, "invalid_request_error", "request_body_invalid")


# -- the examples, through the SDK ---------------------------------------------------------


@pytest.fixture(scope="module")
def rides(local_system: LocalSystem) -> stripe.StripeClient:
    return local_system.client("Rocket Rides")


def refused(call: Any) -> stripe.StripeError:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        call()
    return raised.value


def test_a_refund_by_charge(rides: stripe.StripeClient) -> None:
    paid = rides.v1.payment_intents.create(params={"amount": 1500, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True})
    assert isinstance(paid.latest_charge, str)
    refund = rides.v1.refunds.create(params={"charge": paid.latest_charge, "amount": 500})
    assert (refund.status, refund.amount, refund.charge, refund.payment_intent) == ("succeeded", 500, paid.latest_charge, paid.id)
    neither = refused(lambda: rides.v1.refunds.create(params={"amount": 100}))
    assert neither.code == "parameter_missing" and "charge" in str(neither.user_message)


@pytest.mark.parametrize("currency", ["usdd", "xyz", "us", "u"])
def test_every_bad_currency_is_currency_invalid(rides: stripe.StripeClient, currency: str) -> None:
    error = refused(lambda: rides.v1.payment_intents.create(params={"amount": 100, "currency": currency}))
    assert (error.http_status, error.code, error.error and error.error.param) == (400, "currency_invalid", "currency")
    assert str(error.user_message).startswith(f"Invalid currency: {currency}.") and " eur, " in str(error.user_message)
    assert error.error is not None and error.error.doc_url is None  # not a code Stripe documents: no page to point at


def test_a_limit_too_high_says_so_in_stripes_words(rides: stripe.StripeClient) -> None:
    error = refused(lambda: rides.v1.payment_intents.list(params={"limit": 1000}))
    assert (error.code, error.error and error.error.param) == ("parameter_invalid", "limit")
    assert error.user_message == "This value must be less than or equal to 100."
    low = refused(lambda: rides.v1.customers.list(params={"limit": 0}))
    assert low.user_message == "This value must be greater than or equal to 1."


def test_other_faults_in_stripes_words(rides: stripe.StripeClient) -> None:
    later: Any = {"amount": 100, "currency": "eur", "capture_method": "later"}
    enum = refused(lambda: rides.v1.payment_intents.create(params=later))
    assert enum.user_message == "Invalid capture_method: must be one of automatic, automatic_async, or manual"
    empty = refused(lambda: rides.v1.payment_intents.create(params={"amount": 100, "currency": "eur", "customer": ""}))
    assert empty.code == "parameter_invalid_empty" and "You passed an empty string for 'customer'" in str(empty.user_message)
    missing = refused(lambda: rides.v1.payment_intents.create(params={"currency": "eur"}))  # type: ignore[typeddict-item]
    assert (missing.code, missing.user_message) == ("parameter_missing", "Missing required param: amount.")
    assert missing.error is not None and missing.error.doc_url == "https://stripe.com/docs/error-codes/parameter-missing"
    typo: Any = {"nmae": "Typo"}
    unknown = refused(lambda: rides.v1.customers.create(params=typo))
    assert (unknown.code, unknown.user_message) == ("parameter_unknown", "Received unknown parameter: nmae")
    long_name = refused(lambda: rides.v1.customers.create(params={"name": "x" * 300}))
    assert long_name.user_message == "Invalid name: must be at most 256 characters."
