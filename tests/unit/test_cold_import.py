"""A handler's cold import loads only what its requests need: no X-Ray SDK where tracing is off
(the local system, tests, `make bench`), powertools' own Tracer where it is on (in Lambda); no
pydantic model and no parameter module (each route's model and domain modules load with its first
request: functions/*/app.py, orgshare.params), and not powertools' OpenAPI validation, which no
route uses. Settings are read without pydantic, by pydantic's rules all the same; the authorizer
reads its event and writes its policy without powertools' event classes, as they would."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from pydantic import ValidationError

from orgshare import settings
from tests.unit.test_layer_packages import PROBE as LAYER_PROBE
from tests.unit.test_layer_packages import RUNTIME, _layer_modules

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import sys, app; from orgshare import observability; print(type(observability.tracer).__name__, 'aws_xray_sdk.core' in sys.modules)"
)
API_FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py") if "api = Api()" in p.read_text())
# What a cold import must leave for a request to load, if one needs it.
LOADED_ON_USE = (
    "pydantic.main",  # pydantic's model machinery (`import pydantic` alone loads none of it)
    "orgshare.params.",  # every module of parameter models
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "aws_lambda_powertools.event_handler.openapi.models",
)
AUTHORIZER_LEAVES = ("pydantic.main", "aws_lambda_powertools.utilities.data_classes")  # every powertools event class
LOADED = "import sys, app; print(sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[1].split(',')))))"


def _import_handler(function: str, env: dict[str, str], probe: str = PROBE, *args: str) -> str:
    path = f"{ROOT / 'functions' / function}:{ROOT / 'layers' / 'orgshare'}"
    base = {"PYTHONPATH": path, "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, "-c", probe, *args], env={**base, **env}, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.mark.parametrize("function", ["customers", "payments", "authorizer"])
def test_no_xray_sdk_where_tracing_is_off(function: str) -> None:
    assert _import_handler(function, {}) == "_Untraced False"  # outside Lambda: powertools would disable it
    assert _import_handler(function, {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}) == "_Untraced False"


def test_lambdas_tracer_is_powertools_own() -> None:
    assert _import_handler("customers", {"LAMBDA_TASK_ROOT": "/var/task"}) == "Tracer True"


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_a_cold_import_builds_no_model(function: str) -> None:
    assert "customers" in API_FUNCTIONS and "payments" in API_FUNCTIONS
    assert _import_handler(function, {}, LOADED, ",".join(LOADED_ON_USE)) == "[]"


def test_the_authorizers_cold_import_loads_no_model_and_no_event_class() -> None:
    assert _import_handler("authorizer", {}, LOADED, ",".join(AUTHORIZER_LEAVES)) == "[]"


def _authorizer() -> Any:
    spec = importlib.util.spec_from_file_location("authorizer_app", ROOT / "functions" / "authorizer" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ARNS = ["arn:aws:execute-api:us-east-1:123456789012:local/dev/GET/v1/customers",
        "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/POST/v1/customers/cus_1/payment_methods",
        "arn:aws:execute-api:us-east-1:123456789012:local/dev/DELETE/"]  # fmt: skip
HEADERS = [{"Authorization": "Bearer sk_test_1"}, {"authorization": "Bearer sk_test_2"}, {"AUTHORIZATION": "a", "authorization": "b"},
           {"Host": "example.com"}, {}, None]  # fmt: skip


@pytest.mark.parametrize("arn", ARNS)
@pytest.mark.parametrize("headers", HEADERS)
def test_the_authorizer_answers_as_powertools_classes_would(arn: str, headers: dict[str, str] | None) -> None:
    authorizer = _authorizer()
    event = {"type": "REQUEST", "methodArn": arn, "resource": "/v1/customers", "path": "/v1/customers", "httpMethod": "GET",
             "headers": headers}  # fmt: skip
    theirs = APIGatewayAuthorizerRequestEvent(event)
    assert authorizer.header(event, "Authorization") == theirs.headers.get("Authorization")
    parsed = theirs.parsed_arn
    for principal, effect, context in [("acct_1", "Allow", {"org": "org_1", "read_only": "true"}), ("anonymous", "Deny", {"code": "x"}),
                                       ("acct_2", "Allow", {})]:  # fmt: skip
        expected = APIGatewayAuthorizerResponse(principal_id=principal, region=parsed.region, aws_account_id=parsed.aws_account_id,
                                                api_id=parsed.api_id, stage=parsed.stage)  # fmt: skip
        expected.context = context
        if effect == "Allow":
            expected.allow_all_routes()
        else:
            expected.deny_all_routes()
        assert authorizer.policy(event, principal, effect, context) == expected.asdict()


def _loaded_by_routes(function: str) -> list[str]:
    """What a handler's routes import on first use: their own imports, and the modules of models
    they name through `models` (orgshare.params)."""
    tree = ast.parse((ROOT / "functions" / function / "app.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.col_offset > 0:  # inside a function
            found.update(f"from {node.module} import {a.name}" for a in node.names)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "models":
            found.add(f"from orgshare.params import {node.attr}")
    return sorted(found)


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_what_routes_load_on_use_is_in_the_layer(function: str) -> None:
    # tests/unit/test_layer_packages.py's check, for what a cold import no longer loads.
    imports = _loaded_by_routes(function)
    assert any(".domain" in i for i in imports) and any(".params" in i for i in imports)
    probe = LAYER_PROBE + "for statement in sys.argv[2].split(';'):\n    exec(statement)\n"
    allowed = ",".join(_layer_modules() | RUNTIME | {"orgshare", "app", "_distutils_hack"})
    assert _import_handler(function, {"LAMBDA_TASK_ROOT": "/var/task"}, probe, allowed, ";".join(imports)) == "Tracer"


TABLES = {"DIRECTORY_TABLE": "d", "DATA_TABLE": "x", "EVENTS_TABLE": "e", "IDEMPOTENCY_TABLE": "i"}
# Values of each kind, in the plain forms settings.py reads itself and in forms only pydantic decides.
VALUES = ["0", "1", "5", "120", "120.0", "121", "512", "513", "1.5", "007", "-1", " 5", "5 ", "1_000", "1e3", "+3", "inf", "nan",
          "", "abc", "true", "false", "True", "yes", "off", "99999999999999999999"]  # fmt: skip
SETTINGS = ["MAX_BODY_BYTES", "ACCOUNT_CACHE_SECONDS", "AWS_READ_TIMEOUT_SECONDS", "WEBHOOK_TIMEOUT_SECONDS", "WEBHOOK_CONCURRENCY",
            "ALLOW_LOOPBACK_WEBHOOKS", "SHARING_SWITCH_MARGIN_SECONDS", "MIGRATION_RETRY_SECONDS", "PUBLIC_BASE_URL"]  # fmt: skip
ENVIRONMENTS = [{}, TABLES, {k: v for k, v in TABLES.items() if k != "DATA_TABLE"}, {**TABLES, "data_table": "by name"},
                {k.lower(): v for k, v in TABLES.items()}, *({**TABLES, name: value} for name in SETTINGS for value in VALUES),
                *({**TABLES, name.lower(): value} for name in SETTINGS[:3] for value in VALUES[:12])]  # fmt: skip


MODEL = settings._model()  # the pydantic model settings.py's fields make, as it builds it for what it does not read itself


def _read(environ: dict[str, str], read: Any) -> tuple[str, Any]:
    try:
        return "ok", read(environ)
    except ValidationError as exc:
        return "error", (exc.title, exc.errors(include_url=True))


def test_settings_are_read_as_pydantic_reads_them() -> None:
    for environ in ENVIRONMENTS:
        ours = _read(environ, lambda env: dataclasses.asdict(settings.parse(env)))
        theirs = _read(environ, lambda env: MODEL.model_validate(dict(env)).model_dump())
        assert ours == theirs, environ
        if ours[0] == "ok":  # the same types too: 5.0, not 5, for a float
            assert [type(v) for v in ours[1].values()] == [type(v) for v in theirs[1].values()], environ


def test_settings_are_what_the_model_declared() -> None:
    # The model settings.py used to be, in the terms of pydantic's own errors.
    with pytest.raises(ValidationError) as missing:
        settings.parse({})
    assert missing.value.title == "Settings"
    assert [(e["type"], e["loc"]) for e in missing.value.errors()] == [("missing", (name,)) for name in TABLES]
    with pytest.raises(ValidationError) as bounded:
        settings.parse({**TABLES, "MAX_BODY_BYTES": "0", "AWS_READ_TIMEOUT_SECONDS": "121"})
    assert [(e["type"], e["loc"]) for e in bounded.value.errors()] == [
        ("greater_than", ("MAX_BODY_BYTES",)), ("less_than_equal", ("AWS_READ_TIMEOUT_SECONDS",))]  # fmt: skip
    read = settings.parse({**TABLES, "ALLOW_LOOPBACK_WEBHOOKS": "yes", "ACCOUNT_CACHE_SECONDS": "007", "data_table": "ignored"})
    assert read.allow_loopback_webhooks is True and read.account_cache_seconds == 7 and read.data_table == "x"
    assert settings.parse(TABLES) == settings.Settings(directory_table="d", data_table="x", events_table="e", idempotency_table="i")
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.data_table = "y"  # type: ignore[misc]
