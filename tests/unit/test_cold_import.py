"""A handler's cold import loads only what its requests need: no X-Ray SDK where tracing is off
(the local system, tests, `make bench`), powertools' own Tracer where it is on (in Lambda)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import sys, app; from orgshare import observability; print(type(observability.tracer).__name__, 'aws_xray_sdk.core' in sys.modules)"
)


def _import_handler(function: str, env: dict[str, str]) -> str:
    path = f"{ROOT / 'functions' / function}:{ROOT / 'layers' / 'orgshare'}"
    base = {"PYTHONPATH": path, "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize("function", ["customers", "payments", "authorizer"])
def test_no_xray_sdk_where_tracing_is_off(function: str) -> None:
    assert _import_handler(function, {}) == "_Untraced False"  # outside Lambda: powertools would disable it
    assert _import_handler(function, {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}) == "_Untraced False"


def test_lambdas_tracer_is_powertools_own() -> None:
    assert _import_handler("customers", {"LAMBDA_TASK_ROOT": "/var/task"}) == "Tracer True"
