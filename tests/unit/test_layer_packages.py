"""The shared layer (layers/orgshare/requirements.txt, built by layers/orgshare/Makefile) carries every
package a handler imports, except boto3 and its own dependencies, which the Lambda runtime provides.
Each handler is imported in Lambda's configuration (the real Tracer) by an interpreter that can import
only the standard library, the layer's packages and the runtime's, as in the function itself."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "layers" / "orgshare" / "requirements.txt"
RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six"}
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))

# Installed before anything else: a top-level module outside the allowed set cannot be imported.
PROBE = """
import importlib.abc, sys
allowed = set(sys.argv[1].split(",")) | set(sys.stdlib_module_names)
class Outside(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in allowed and not top.startswith("_sysconfigdata"):  # the interpreter's own build data
            raise ModuleNotFoundError(f"{name} is neither in the layer nor in the Lambda runtime", name=name)
        return None
sys.meta_path.insert(0, Outside())
import app
from orgshare import observability
print(type(observability.tracer).__name__)
"""


def _pins() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return {name.lower(): version for name, version in (re.fullmatch(r"([\w.-]+)==([\w.]+)", line).groups() for line in lines if line)}  # type: ignore[union-attr]


def _layer_modules() -> set[str]:
    by_distribution = importlib.metadata.packages_distributions()
    pins = {name.replace("_", "-") for name in _pins()}
    return {module for module, dists in by_distribution.items() if any(d.lower().replace("_", "-") in pins for d in dists)}


def test_every_layer_package_is_pinned_and_is_what_the_tests_run() -> None:
    pins = _pins()
    assert not RUNTIME & set(pins) and "boto3" not in pins, "the runtime's boto3 stack does not belong in the layer"
    installed = {name: importlib.metadata.version(name) for name in pins}
    assert installed == pins, "the virtualenv and the layer must hold the same versions (make install pins it with -c)"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_handler_imports_with_only_the_layer_and_the_runtime(function: str) -> None:
    allowed = ",".join(_layer_modules() | RUNTIME | {"orgshare", "app", "_distutils_hack"})
    path = f"{ROOT / 'functions' / function}:{ROOT / 'layers' / 'orgshare'}"
    env = {"PYTHONPATH": path, "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "LAMBDA_TASK_ROOT": "/var/task"}
    done = subprocess.run([sys.executable, "-c", PROBE, allowed], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "Tracer"
