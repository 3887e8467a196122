"""Every class of bad input answers with Stripe's error shape and a 4xx, and writes nothing."""

from __future__ import annotations

import base64
import json

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration


def count(system: LocalSystem, who: str) -> int:
    return len(system.client(who).v1.customers.list(params={"limit": 100}).data)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "param"),
    [
        (b"name=Ann&favourite_colour=blue", "application/x-www-form-urlencoded", 400, "parameter_unknown", "favourite_colour"),
        (b"balance=lots", "application/x-www-form-urlencoded", 400, "parameter_invalid_integer", "balance"),
        (b"address[planet]=Mars", "application/x-www-form-urlencoded", 400, "parameter_unknown", "address[planet]"),
        (b"name[first]=Ann", "application/x-www-form-urlencoded", 400, "parameter_invalid", "name"),
        (b"email=nope", "application/x-www-form-urlencoded", 400, "email_invalid", "email"),
        (b"metadata[" + b"k" * 41 + b"]=v", "application/x-www-form-urlencoded", 400, "parameter_invalid", "metadata"),
        (b'{"name": "Ann"', "application/json", 400, None, None),
        (b'["name"]', "application/json", 400, None, None),
        (b'{"name": 5}', "application/json", 400, "parameter_invalid", "name"),
        (b"name=" + b"x" * 300_000, "application/x-www-form-urlencoded", 413, "request_too_large", None),
        (b"\xff\xfe", "application/x-www-form-urlencoded", 400, None, None),
        (b"name=%FF%FEAnn", "application/x-www-form-urlencoded", 400, None, None),  # not UTF-8 once decoded
        (b'{"name": "\\ud800"}', "application/json", 400, None, None),  # a lone surrogate
        (b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "application/json", 400, None, None),
        (b'{"metadata": ' + b'{"a": ' * 20 + b'"x"' + b"}" * 21, "application/json", 400, None, None),
        (b'{"balance": true}', "application/json", 400, "parameter_invalid_integer", "balance"),
        (b'{"balance": 1000.0}', "application/json", 400, "parameter_invalid_integer", "balance"),
        (b"balance=1000.0", "application/x-www-form-urlencoded", 400, "parameter_invalid_integer", "balance"),
        (b"balance=1e3", "application/x-www-form-urlencoded", 400, "parameter_invalid_integer", "balance"),
    ],
)
def test_malformed_create_is_refused_and_writes_nothing(
    local_system: LocalSystem, body: bytes, content_type: str, status: int, code: str | None, param: str | None
) -> None:
    before = count(local_system, "Rocket Rentals")
    got, answer = local_system.http(
        "POST",
        "/v1/customers",
        key=local_system.accounts["Rocket Rentals"].key,
        body=body,
        headers={"Content-Type": content_type},
    )
    assert got == status
    error = answer["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    if code:
        assert error["code"] == code and error.get("param") == param
    assert count(local_system, "Rocket Rentals") == before


@pytest.mark.parametrize("amount", [True, 1000.0, "1000.0", "10e2", " 1000"])
def test_amounts_are_integers_as_stripe_takes_them(local_system: LocalSystem, amount: object) -> None:
    rides = local_system.accounts["Rocket Rides"].key
    before = local_system.client("Rocket Rides").v1.payment_intents.list(params={"limit": 100}).data
    got, answer = local_system.http(
        "POST", "/v1/payment_intents", key=rides, body=json.dumps({"amount": amount, "currency": "usd"}).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert got == 400 and answer["error"]["code"] == "parameter_invalid_integer" and answer["error"]["param"] == "amount"
    assert local_system.client("Rocket Rides").v1.payment_intents.list(params={"limit": 100}).data == before


def test_json_bodies_and_basic_auth_are_accepted(local_system: LocalSystem) -> None:
    basic = base64.b64encode(f"{local_system.accounts['Rocket Rides'].key}:".encode()).decode()
    got, answer = local_system.http(
        "POST",
        "/v1/customers",
        key=None,
        body=json.dumps({"name": "Jay", "metadata": {"a": "1"}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Basic {basic}"},
    )
    assert got == 200 and answer["name"] == "Jay" and answer["metadata"] == {"a": "1"}


@pytest.mark.parametrize("bad_id", ["cus_doesnotexist", "cus_0000000000000000000000AA", "acct_123", "%27%3B--"])
def test_unknown_or_malformed_ids_are_404(local_system: LocalSystem, bad_id: str) -> None:
    got, answer = local_system.http("GET", f"/v1/customers/{bad_id}", key=local_system.accounts["Rocket Rides"].key)
    assert got == 404 and answer["error"]["code"] == "resource_missing"


def test_unknown_route_is_404_unrecognized_url(local_system: LocalSystem) -> None:
    got, answer = local_system.http("GET", "/v1/widgets", key=local_system.accounts["Rocket Rides"].key)
    assert got == 404 and "Unrecognized request URL" in answer["error"]["message"]


def test_list_parameters_are_validated(local_system: LocalSystem) -> None:
    rides = local_system.client("Rocket Rides")
    for params, code in (
        ({"limit": 0}, "parameter_invalid"),
        ({"limit": 101}, "parameter_invalid"),
        ({"limit": "x"}, "parameter_invalid_integer"),
        ({"starting_after": "cus_a", "ending_before": "cus_b"}, "parameters_exclusive"),
        ({"expand": ["data.widget"]}, "parameter_invalid"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as err:
            rides.v1.customers.list(params=params)  # type: ignore[arg-type]
        assert err.value.http_status == 400 and err.value.code == code


def test_missing_invalid_and_wrong_mode_keys_are_401(local_system: LocalSystem) -> None:
    got, answer = local_system.http("GET", "/v1/customers", key=None)
    assert got == 401 and answer["error"]["type"] == "authentication_error"
    for key in ("sk_test_nope", "pk_test_123", "sk_live_" + "x" * 48, "", "Bearer"):
        got, answer = local_system.http("GET", "/v1/customers", key=None, headers={"Authorization": f"Bearer {key}"})
        assert got == 401 and answer["error"]["type"] == "authentication_error"
    with pytest.raises(stripe.AuthenticationError):
        local_system.client(key="sk_test_" + "0" * 48).v1.customers.list()


def test_stripe_account_header_only_works_for_the_platform_in_its_org(local_system: LocalSystem) -> None:
    deliveries = local_system.accounts["Rocket Deliveries"]
    with pytest.raises(stripe.PermissionError):
        local_system.client("Rocket Rides").v1.customers.list(options={"stripe_account": deliveries.id})
    with pytest.raises(stripe.PermissionError):
        local_system.client("Rocket Platform").v1.customers.list(options={"stripe_account": "acct_0000000000000000000000AA"})
    other = local_system.admin("create-org", "--name", "Elsewhere")
    other_platform = other["platform"]
    assert isinstance(other_platform, dict)
    with pytest.raises(stripe.PermissionError):  # an account of another organization
        local_system.client("Rocket Platform").v1.customers.list(options={"stripe_account": other_platform["id"]})
    got, answer = local_system.http(
        "GET", "/v1/customers", key=local_system.accounts["Rocket Platform"].key, headers={"Stripe-Account": "bogus"}
    )
    assert got == 400 and answer["error"]["code"] == "account_invalid"
    # Stripe-Context, which newer SDKs send, works like Stripe-Account.
    got, answer = local_system.http(
        "GET",
        "/v1/customers",
        key=local_system.accounts["Rocket Platform"].key,
        headers={"Stripe-Context": local_system.accounts["Rocket Rentals"].id},
    )
    assert got == 200


def test_errors_never_log_a_secret(local_system: LocalSystem) -> None:
    assert local_system.logs, "the system logs nothing: this test would prove nothing"
    leaked = [line for line in local_system.logs for a in local_system.accounts.values() if a.key in line]
    assert leaked == []
