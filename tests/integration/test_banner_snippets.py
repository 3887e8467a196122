"""The curl and stripe-SDK snippets `make run` prints work as printed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration


def banner(system: LocalSystem) -> list[str]:
    return system.output[: system.banner_lines]


def test_printed_curl_creates_a_customer(local_system: LocalSystem) -> None:
    command = next(line.strip() for line in banner(local_system) if line.strip().startswith("curl "))
    out = subprocess.run(["bash", "-c", command], check=True, capture_output=True, text=True, timeout=30)
    customer = json.loads(out.stdout)
    assert customer["object"] == "customer" and customer["name"] == "Jenny Rosen" and customer["metadata"] == {"ride": "42"}


def test_printed_sdk_snippet_runs(local_system: LocalSystem) -> None:
    lines = banner(local_system)
    start = next(i for i, line in enumerate(lines) if line.strip() == "import stripe")
    code = "\n".join(line.strip() for line in lines[start : start + 3])
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=30)
    assert '"object": "customer"' in out.stdout and "Jenny Rosen" in out.stdout
