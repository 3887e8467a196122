"""Property: no request body or query, however malformed, gets a 5xx or a non-Stripe error shape."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

KEYS = st.sampled_from(["name", "email", "phone", "metadata[a]", "metadata", "address[city]", "address", "balance",
                        "preferred_locales[0]", "preferred_locales[]", "shipping[name]", "expand[]", "limit", "tax_exempt",
                        "invoice_settings[footer]", "starting_after", "a[b][c]", "[", "]", "%", "x" * 60])  # fmt: skip
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(["", "-1", "1e9", "true", "null", "[]", "{}", "%zz", "cus_x"]))
FORM = st.lists(st.tuples(KEYS, VALUES), max_size=8).map(urllib.parse.urlencode)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def send(system: LocalSystem, method: str, path: str, body: bytes | None, content_type: str) -> tuple[int, Any]:
    key = system.accounts["Rocket Repairs"].key
    return system.http(method, path, key=key, body=body, headers={"Content-Type": content_type})


def assert_stripe_shaped(status: int, body: Any) -> None:
    assert status < 500, body
    if status >= 400:
        assert set(body) == {"error"} and body["error"]["type"] and body["error"]["message"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=FORM, path=st.sampled_from(["/v1/customers", "/v1/customers/cus_0Vbk0000000000000000000A"]))
def test_form_bodies_never_cause_a_server_error(local_system: LocalSystem, body: str, path: str) -> None:
    assert_stripe_shaped(*send(local_system, "POST", path, body.encode(), "application/x-www-form-urlencoded"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSONISH)
def test_json_bodies_never_cause_a_server_error(local_system: LocalSystem, body: Any) -> None:
    assert_stripe_shaped(*send(local_system, "POST", "/v1/customers", json.dumps(body).encode(), "application/json"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=FORM)
def test_list_queries_never_cause_a_server_error(local_system: LocalSystem, query: str) -> None:
    assert_stripe_shaped(*send(local_system, "GET", f"/v1/customers?{query}", None, "application/x-www-form-urlencoded"))
