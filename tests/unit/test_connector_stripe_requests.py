"""The stripe connector's requests, checked against the parameters Stripe's API declares.

The StripeConnector runs against a tiny recording fake of Stripe's API on 127.0.0.1, and every
form body it sent is decoded and validated, recursively, against the TypedDicts of the official
`stripe` package (stripe/params): an unknown parameter name, or a value its Literal does not
allow, fails the test. localstripe cannot catch these: it ignores what it does not model.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin  # the SDK's own
from urllib.parse import parse_qsl

import pytest
from stripe._request_options import RequestOptions
from stripe._stripe_context import StripeContext
from stripe._stripe_object import StripeObject
from stripe.params import (
    PaymentIntentCancelParams,
    PaymentIntentCaptureParams,
    PaymentIntentCreateParams,
    PaymentMethodCreateParams,
    RefundCreateParams,
)
from typing_extensions import get_type_hints, is_typeddict

from orgshare.connectors import Card
from orgshare.connectors.stripe_adapter import StripeConnector

# What the connector may call, and the parameters the SDK declares for each.
ENDPOINTS: tuple[tuple[str, re.Pattern[str], type], ...] = (
    ("POST", re.compile(r"/v1/payment_methods"), PaymentMethodCreateParams),
    ("POST", re.compile(r"/v1/payment_intents"), PaymentIntentCreateParams),
    ("POST", re.compile(r"/v1/payment_intents/pi_\w+/capture"), PaymentIntentCaptureParams),
    ("POST", re.compile(r"/v1/payment_intents/pi_\w+/cancel"), PaymentIntentCancelParams),
    ("POST", re.compile(r"/v1/refunds"), RefundCreateParams),
)
# Request options (api_key, idempotency_key, ...) travel as headers, never as form parameters.
OPTIONS = frozenset(RequestOptions.__annotations__)
NEEDS_AUTHENTICATION = ("4000002500003155", "4000002760003184")


# -- decoding Stripe's bracket-nested form bodies ---------------------------------------------


def decode_form(body: str) -> dict[str, Any]:
    """`a[b][0]=x&a[c]=y&l[]=z` as {"a": {"b": ["x"], "c": "y"}, "l": ["z"]} (all values strings)."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body)):
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", name)
        assert match, f"malformed form parameter name {name!r}"
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":  # `l[]=z`: appended in order
                part = str(len(node))
            if last:
                assert part not in node, f"{name!r} sent twice"
                node[part] = value
            else:
                node = node.setdefault(part, {})
                assert isinstance(node, dict), f"{name!r} is both a value and a hash"
    decoded: dict[str, Any] = _lists(root)
    return decoded


def _lists(node: Any) -> Any:
    """Hashes whose keys are 0, 1, 2 ... are lists (`l[0]=a&l[1]=b`)."""
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items) and sorted(map(int, items)) == list(range(len(items))):
        return [items[str(i)] for i in range(len(items))]
    return items


# -- validating against the SDK's TypedDicts --------------------------------------------------


def _hints(typed_dict: type) -> dict[str, Any]:
    # The inherited RequestOptions annotations are evaluated here too: its module's names, and
    # StripeContext, which it imports only under TYPE_CHECKING.
    names = {**vars(sys.modules[RequestOptions.__module__]), **vars(sys.modules[typed_dict.__module__])}
    return get_type_hints(typed_dict, globalns=names, localns={"StripeContext": StripeContext})


def _flat(lists: Iterable[list[str]]) -> list[str]:
    return [item for found in lists for item in found]


def violations(value: Any, expected: Any, where: str) -> list[str]:
    """What in `value` (decoded form: strings, hashes, lists) the type `expected` does not allow."""
    origin, args = get_origin(expected), get_args(expected)
    if origin in (NotRequired, Required):
        return violations(value, args[0], where)
    if origin in (Union, types.UnionType):
        # The SDK adds `|str` to every enum so new API values do not break old SDKs; a request we
        # build must use a value this SDK knows, so a Literal's `str` escape hatch is not accepted.
        alternatives = [a for a in args if not (a is str and any(get_origin(b) is Literal for b in args))]
        found = [violations(value, a, where) for a in alternatives]
        return [] if any(not f for f in found) else [f"{where}: {value!r} fits none of {expected}: " + "; ".join(_flat(found))]
    if origin is Literal:
        allowed = ["true" if a is True else "false" if a is False else str(a) for a in args]
        return [] if value in allowed else [f"{where}: {value!r} is not one of {allowed}"]
    if expected is Any:
        return []
    if expected is str:
        return [] if isinstance(value, str) else [f"{where}: a string expected, got {value!r}"]
    if expected is bool:
        return [] if value in ("true", "false") else [f"{where}: a boolean expected, got {value!r}"]
    if expected is int:
        return [] if isinstance(value, str) and re.fullmatch(r"-?\d+", value) else [f"{where}: an integer expected, got {value!r}"]
    if expected is float:
        return [] if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value) else [f"{where}: a number expected, got {value!r}"]
    if is_typeddict(expected):
        return typed_dict_violations(value, expected, where)
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's annotations use typing.List
        if not isinstance(value, list):
            return [f"{where}: a list expected, got {value!r}"]
        return _flat(violations(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(origin, type) and issubclass(origin, (Mapping, StripeObject)):  # Dict[str, str], UntypedStripeObject[str]
        if not isinstance(value, dict):
            return [f"{where}: a hash expected, got {value!r}"]
        return _flat(violations(v, args[-1] if args else Any, f"{where}[{k}]") for k, v in value.items())
    raise AssertionError(f"{where}: the validator does not know the type {expected!r}; teach it")


def typed_dict_violations(value: Any, typed_dict: type, where: str = "") -> list[str]:
    if not isinstance(value, dict):
        return [f"{where or 'body'}: a hash expected, got {value!r}"]
    hints = {k: v for k, v in _hints(typed_dict).items() if not (where == "" and k in OPTIONS)}
    required: frozenset[str] = getattr(typed_dict, "__required_keys__", frozenset())
    found = [f"{where}[{k}]" if where else k for k in value if k not in hints]
    problems = [f"unknown parameter {name} (not in {typed_dict.__name__})" for name in found]
    problems += [f"missing required parameter {where}[{k}]" if where else f"missing required parameter {k}" for k in required - set(value)]
    for k, v in value.items():
        if k in hints:
            problems += violations(v, hints[k], f"{where}[{k}]" if where else k)
    return problems


def request_violations(method: str, path: str, params: dict[str, Any]) -> list[str]:
    for verb, pattern, typed_dict in ENDPOINTS:
        if verb == method and pattern.fullmatch(path):
            return typed_dict_violations(params, typed_dict)
    return [f"{method} {path} is not an endpoint the connector is expected to call"]


def test_the_validator_catches_what_stripe_would_refuse() -> None:
    ok = {"amount": "100", "currency": "eur", "confirm": "true", "off_session": "true", "expand": ["latest_charge"],
          "automatic_payment_methods": {"enabled": "true", "allow_redirects": "never"}, "metadata": {"k": "v"}}  # fmt: skip
    assert typed_dict_violations(ok, PaymentIntentCreateParams) == []
    assert typed_dict_violations({**ok, "off_session": "recurring"}, PaymentIntentCreateParams) == []
    for bad in (
        {"offsession": "true"},  # an unknown name
        {"capture_method": "later"},  # a value the Literal does not allow (the SDK's `|str` notwithstanding)
        {"off_session": "maybe"},
        {"amount": "ten"},
        {"automatic_payment_methods": {"allow_redirects": "never"}},  # `enabled` is required
        {"automatic_payment_methods": {"enabled": "true", "redirects": "never"}},  # an unknown nested name
        {"expand": "latest_charge"},  # a list expected
        {"payment_method_types": ["card"]},  # gone from this SDK's API version (allowed_payment_method_types now)
        {"idempotency_key": "k"},  # an option, a header: never a form parameter
    ):
        assert typed_dict_violations({**ok, **bad}, PaymentIntentCreateParams), bad
    assert typed_dict_violations({"amount": "100"}, PaymentIntentCreateParams) == ["missing required parameter currency"]
    number = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2034"}
    assert typed_dict_violations({"type": "card", "card": number}, PaymentMethodCreateParams) == []
    assert typed_dict_violations({"type": "card", "card": {**number, "numbr": "4242"}}, PaymentMethodCreateParams)
    assert typed_dict_violations({"type": "cart", "card": number}, PaymentMethodCreateParams)
    assert decode_form("a[b][0]=x&a[b][1]=y&a[c]=&l[]=z") == {"a": {"b": ["x", "y"], "c": ""}, "l": ["z"]}


# -- a recording fake of Stripe's API ---------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]


class FakeStripe(ThreadingHTTPServer):
    """Answers like Stripe for the few endpoints the connector calls, and records every request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorded: list[Recorded] = []
        self.cards: dict[str, str] = {}  # payment method id -> number
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            serial = len(self.recorded)
        if path == "/v1/payment_methods":
            self.cards[f"pm_fake{serial}"] = params["card"]["number"]
            return 200, {"id": f"pm_fake{serial}", "object": "payment_method", "type": "card"}
        if path == "/v1/payment_intents":
            intent = {"id": f"pi_fake{serial}", "object": "payment_intent", "amount": int(params["amount"]), "currency": params["currency"]}
            if self.cards.get(params.get("payment_method", "")) in NEEDS_AUTHENTICATION:
                if params.get("off_session") in ("true", "one_off", "recurring"):  # Stripe's off-session answer: a decline
                    intent["status"] = "requires_payment_method"
                    message = "Your card was declined. This transaction requires authentication."
                    error = {"type": "card_error", "code": "authentication_required", "decline_code": "authentication_required"}
                    return 402, {"error": {**error, "message": message, "payment_intent": intent}}
                return 200, {**intent, "status": "requires_action", "next_action": {"type": "use_stripe_sdk"}}
            return 200, {**intent, "status": "requires_capture" if params.get("capture_method") == "manual" else "succeeded"}
        if match := re.fullmatch(r"/v1/payment_intents/(pi_\w+)/(capture|cancel)", path):
            status = "succeeded" if match.group(2) == "capture" else "canceled"
            return 200, {"id": match.group(1), "object": "payment_intent", "status": status}
        if path == "/v1/refunds":
            return 200, {"id": f"re_fake{serial}", "object": "refund", "status": "succeeded", "payment_intent": params["payment_intent"]}
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})."}}


class _Handler(BaseHTTPRequestHandler):
    server: FakeStripe

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = decode_form(body)
        status, answer = self.server.answer("POST", self.path, params)
        with self.server.lock:
            self.server.recorded.append(Recorded("POST", self.path, dict(self.headers), params))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_DELETE = do_POST  # recorded, and refused as unknown endpoints

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    server = FakeStripe()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def card(number: str = "4242424242424242") -> Card:
    return Card(number, 12, 2034)


def test_every_request_the_stripe_connector_sends_is_one_stripe_declares(fake_stripe: FakeStripe) -> None:
    connector = StripeConnector({"secret_key": "sk_test_fake_0001"}, {"api_base": fake_stripe.url}, livemode=False)

    on_session = connector.authorize(card(), 1000, "eur", capture=True, off_session=False, idempotency_key="pi_a-1")
    off_session = connector.authorize(card(), 2000, "eur", capture=False, off_session=True, idempotency_key="pi_b-1")
    assert (on_session.status, off_session.status) == ("succeeded", "requires_capture")
    assert off_session.reference is not None and on_session.reference is not None
    assert connector.capture(off_session.reference, 1500, idempotency_key="pi_b-capture-2").status == "succeeded"
    held = connector.authorize(card(), 3000, "eur", capture=False, off_session=False, idempotency_key="pi_c-1")
    assert held.reference is not None
    connector.void(held.reference, idempotency_key="pi_c-cancel-2")
    assert connector.refund(on_session.reference, 400, idempotency_key="re_1").status == "succeeded"

    # What a customer who is not there to authenticate gets: Stripe's decline, not a dead end.
    for number in NEEDS_AUTHENTICATION:
        declined = connector.authorize(card(number), 500, "eur", capture=True, off_session=True, idempotency_key=f"pi_{number}-1")
        assert (declined.status, declined.code, declined.decline_code) == ("declined", "authentication_required", "authentication_required")
        assert declined.message
        present = connector.authorize(card(number), 500, "eur", capture=True, off_session=False, idempotency_key=f"pi_{number}-2")
        assert present.status == "requires_action" and present.reference

    problems = [f"{r.method} {r.path}: {p}" for r in fake_stripe.recorded for p in request_violations(r.method, r.path, r.params)]
    assert problems == []
    assert all(r.headers.get("Idempotency-Key") for r in fake_stripe.recorded)  # a retried confirm must not charge twice

    intents = [r.params for r in fake_stripe.recorded if r.path == "/v1/payment_intents"]
    assert len(intents) == 7
    for params in intents:
        # Confirmed without a return_url: current API versions need the redirect-based methods ruled out.
        assert params["automatic_payment_methods"] == {"enabled": "true", "allow_redirects": "never"}
        assert params["confirm"] == "true"
    # off_session=true exactly when the customer is not there (the fourth to seventh: the two cards, off and on).
    assert [p.get("off_session") for p in intents] == [None, "true", None, "true", None, "true", None]
    assert [p["capture_method"] for p in intents[:3]] == ["automatic", "manual", "manual"]
    capture = next(r for r in fake_stripe.recorded if r.path.endswith("/capture"))
    assert capture.params == {"amount_to_capture": "1500"}
