"""Every request model's faults in Stripe's words: models are found by importing params/*.py (so a
new one is covered without a change here), each field gets bad values generated from its type, and
every error pydantic raises for them must come out as a Stripe error: no pydantic phrase, a code of
the fixed set, and the field's bracketed path as `param`."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import annotated_types
import pytest
import stripe
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

import orgshare.params
from localrun import template as tpl
from orgshare.errors import STRIPE_DOCUMENTED, ApiError, AuthenticationFailed, InvalidRequest
from orgshare.params.common import VALIDATION_CODES, Params, error_for, parse

PYDANTIC_PHRASES = ("Input should", "String should", "Field required", "Extra inputs", "value is not", "validation error", "pydantic",
                    "Value error", "List should", "Dictionary should", "Assertion failed", "Object has", "Unable to",
                    "should have")  # fmt: skip
BRACKETED = re.compile(r"^[a-z_]+(\[[^\[\]]+\])*$")


def request_models() -> list[type[Params]]:
    found: dict[str, type[Params]] = {}
    for module in pkgutil.iter_modules(orgshare.params.__path__):
        loaded = importlib.import_module(f"orgshare.params.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, Params) and value is not Params:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


def _limits(metadata: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in metadata:
        for name in ("min_length", "max_length", "ge", "le", "gt", "lt", "pattern"):
            if getattr(item, name, None) is not None:
                out[name] = getattr(item, name)
        if isinstance(item, annotated_types.MaxLen):
            out["max_length"] = item.max_length
    return out


def _arms(annotation: Any, metadata: list[Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The plain types a field may take (a union's arms), each with its constraints."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *extra = typing.get_args(annotation)
        yield from _arms(inner, [*metadata, *extra])
    elif origin in (Union, types.UnionType):
        for arm in typing.get_args(annotation):
            if arm is not type(None):
                yield from _arms(arm, metadata)
    else:
        yield annotation, _limits(metadata)


def bad_values(annotation: Any, metadata: list[Any], str_max: int | None) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path below the field, bad value) pairs for a field of this type."""
    for arm, limits in _arms(annotation, metadata):
        origin = typing.get_origin(arm)
        if arm is str:
            longest = limits.get("max_length", str_max)
            if longest is not None:
                yield (), "x" * (longest + 1)
            if limits.get("min_length", 0) > 1:
                yield (), "x" * (limits["min_length"] - 1)
            if "pattern" in limits:
                yield (), "!! not the pattern !!"
            yield (), {"a": "b"}
            yield (), ["a"]
        elif arm is int:
            yield (), "abc"
            yield (), "1.5"
            yield (), True
            for bound, step in (("le", 1), ("lt", 0), ("ge", -1), ("gt", 0)):
                if bound in limits:
                    yield (), limits[bound] + step
        elif arm is bool:
            yield (), "maybe"
            yield (), {"a": "b"}
        elif origin is Literal:
            yield (), "zz_not_a_choice"
            yield (), ["a"]
        elif origin is list:
            (item,) = typing.get_args(arm)
            yield (), "scalar"
            if limits.get("max_length") is not None:
                yield (), ["x"] * (limits["max_length"] + 1)
            for sub, value in bad_values(item, [], str_max):
                yield (0, *sub), [value]
        elif origin is dict:
            _key, item = typing.get_args(arm)
            yield (), "scalar"
            for sub, value in bad_values(item, [], str_max):
                yield ("k", *sub), {"k": value}
        elif isinstance(arm, type) and issubclass(arm, BaseModel):
            yield (), "scalar"
            yield ("zz_unknown",), {"zz_unknown": "1"}
            inner_max = arm.model_config.get("str_max_length")
            for name, info in arm.model_fields.items():
                for sub, value in field_values(info, inner_max):
                    yield (name, *sub), {name: value}


def field_values(info: FieldInfo, str_max: int | None) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield from bad_values(info.annotation, list(info.metadata), str_max)


def cases() -> Iterator[Any]:
    for model in request_models():
        yield pytest.param(model, (), {"zz_unknown": "1"}, id=f"{model.__name__}-unknown")
        yield pytest.param(model, (), {}, id=f"{model.__name__}-empty")
        for name, info in model.model_fields.items():
            for n, (sub, value) in enumerate(field_values(info, model.model_config.get("str_max_length"))):
                yield pytest.param(model, (name, *sub), {name: value}, id=f"{model.__name__}-{name}-{n}")
            if info.is_required() or name == "expand":
                yield pytest.param(model, (name,), {name: ""}, id=f"{model.__name__}-{name}-empty-string")


def bracketed(path: tuple[str | int, ...]) -> str:
    head, *rest = [str(p) for p in path]
    return head + "".join(f"[{p}]" for p in rest)


def check(error: ApiError) -> None:
    assert error.status == 400
    assert not any(p.lower() in error.message.lower() for p in PYDANTIC_PHRASES), error.message
    assert error.code in VALIDATION_CODES, (error.code, error.message)
    assert error.param is not None and BRACKETED.match(error.param), error.param


@pytest.mark.parametrize(("model", "path", "params"), list(cases()))
def test_every_fault_of_every_model_is_told_in_stripes_words(model: type[Params], path: tuple[str | int, ...], params: Any) -> None:
    try:
        model.model_validate(params)
    except ValidationError as exc:
        errors: list[ApiError] = [error_for(e, params) for e in exc.errors()]
    except ApiError as exc:  # a model's own check (one of two parameters, say) speaks Stripe already
        errors = [exc]
    else:
        return  # a value this field happens to accept (a plain str without a bound takes "x" * 5001 only under its model's limit)
    for error in errors:
        check(error)
    if path:
        mine = [e.param for e in errors if e.param == bracketed(path) or (e.param or "").startswith(bracketed(path) + "[")]
        prefixes = [bracketed(path[:n]) for n in range(1, len(path) + 1)]
        # The fault is named at its own path (or at the object holding it, for a check of the whole object).
        assert mine or any(e.param in prefixes for e in errors), ([e.param for e in errors], bracketed(path))
    with pytest.raises(ApiError) as first:
        parse(model, params)
    check(first.value)


def test_every_request_model_is_covered() -> None:
    names = {m.__name__ for m in request_models()}
    assert {"PaymentIntentCreate", "CustomerCreate", "CheckoutSessionCreate", "WebhookEndpointCreate", "RefundCreate"} <= names


# -- doc_url: only for the codes Stripe documents, in the form Stripe's API sends ---------------------

ROOT = Path(__file__).resolve().parents[2]


def stripe_documented_codes() -> set[str]:
    """The `code` enum of Stripe's OpenAPI spec (the codes its error-codes page documents), as the
    installed stripe SDK carries it on a payment intent's last_payment_error."""
    source = inspect.getsource(stripe.PaymentIntent.LastPaymentError)
    enum = source[re.search(r"\n\s+code: Optional\[", source).end() :]  # type: ignore[union-attr]
    return set(re.findall(r'"([a-z0-9_]+)"', enum[: enum.index("]")]))


def codes_in_the_code_base() -> set[str]:
    found: set[str] = set()
    for folder in ("layers/orgshare/orgshare", "functions", "localrun"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            found |= set(re.findall(r'\bcode\s*=\s*"([a-z_]+)"', text))
            found |= set(re.findall(r'^_BODY = "([a-z_]+)"', text, re.MULTILINE))  # wire/params.py's body-level code
    # The test connector's declines (a card number's outcome: status, code, decline_code, message).
    simulator = (ROOT / "layers/orgshare/orgshare/connectors/simulator.py").read_text()
    found |= set(re.findall(r'\("declined", "([a-z_]+)"', simulator))
    found |= set(re.findall(r'"code": "([a-z_]+)"', (ROOT / "template.yaml").read_text()))
    found |= {"api_key_invalid"}  # the authorizer's fallback for a refusal without its own code
    return found


def test_the_documented_codes_are_stripes() -> None:
    assert stripe_documented_codes() == STRIPE_DOCUMENTED


def test_every_code_raised_has_a_resolving_doc_url_or_none() -> None:
    codes = codes_in_the_code_base()
    assert {"parameter_missing", "resource_missing", "currency_invalid", "api_key_missing", "request_too_large"} <= codes
    for code in sorted(codes | VALIDATION_CODES):
        body = InvalidRequest("m", code=code).body()["error"]
        if code in STRIPE_DOCUMENTED:
            assert body["doc_url"] == f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}", code
        else:
            assert "doc_url" not in body, code
    # 401s never carry one: the gateway renders most of them, from the authorizer's answer, and cannot add it.
    assert "doc_url" not in AuthenticationFailed("m", code="api_key_expired").body()["error"]


def test_the_gateways_own_answers_are_stripe_errors_with_a_code() -> None:
    template = tpl.load()
    api = next(iter(tpl.resources(template, "AWS::Serverless::Api").values()))["Properties"]
    responses = api["GatewayResponses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "REQUEST_TOO_LARGE", "THROTTLED", "DEFAULT_4XX"} <= set(
        responses
    )
    context = {"httpMethod": "GET", "path": "/v1/nothing", "authorizer.code": "api_key_invalid", "authorizer.message": "Invalid API Key"}
    for kind, spec in responses.items():
        rendered = re.sub(r"\$context\.([\w.]+)", lambda m: context.get(m.group(1), ""), spec["ResponseTemplates"]["application/json"])
        error = json.loads(rendered)["error"]
        assert error["type"] and error["message"], kind
        if kind == "DEFAULT_5XX":
            continue
        assert error["code"], kind
        url = f"https://stripe.com/docs/error-codes/{error['code'].replace('_', '-')}"
        assert error.get("doc_url") == (url if error["code"] in STRIPE_DOCUMENTED else None), kind
