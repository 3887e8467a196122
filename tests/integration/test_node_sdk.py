"""The second most used SDK: the official stripe Node package (tests/node, installed by the Makefile
from its lock file) runs the seed's walk-throughs (checkout; the pool's customers, payments, search
and expand) against the local system."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest

from tests.conftest import ROOT, LocalSystem

pytestmark = pytest.mark.integration
NODE = ROOT / "tests" / "node"


@pytest.fixture(scope="module")
def node_env(local_system: LocalSystem) -> dict[str, str]:
    """What the Node tests read: the local system's URL, the demo keys and account ids."""
    assert shutil.which("node"), "node is missing: `make test` installs Debian's nodejs"
    assert (NODE / "node_modules" / "stripe").is_dir(), "the stripe npm package is missing: `make test` runs npm ci in tests/node"
    platform = local_system.client()

    def publishable(account: str) -> str:
        answer = platform.raw_request("post", f"/v1/accounts/{local_system.accounts[account].id}/api_keys", type="publishable")
        created: Any = platform.deserialize(answer, api_mode="V1")
        return str(created.publishable_key)

    accounts = local_system.accounts
    return {
        **os.environ, "ORGSHARE_URL": local_system.url, "PLATFORM_KEY": accounts["Rocket Platform"].key,
        "RIDES_KEY": accounts["Rocket Rides"].key, "RIDES_ACCOUNT": accounts["Rocket Rides"].id,
        "DELIVERIES_KEY": accounts["Rocket Deliveries"].key, "DELIVERIES_ACCOUNT": accounts["Rocket Deliveries"].id,
        "RENTALS_KEY": accounts["Rocket Rentals"].key,
        "RIDES_PUBLISHABLE_KEY": publishable("Rocket Rides"), "DELIVERIES_PUBLISHABLE_KEY": publishable("Rocket Deliveries"),
    }  # fmt: skip


def run_node(test_file: str, env: dict[str, str], tests: int) -> None:
    """Runs one node:test file; every one of its `tests` must have run and passed."""
    node = shutil.which("node")
    assert node
    run = subprocess.run([node, "--test", test_file], cwd=NODE, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"# pass {tests}" in run.stdout and "# fail 0" in run.stdout, run.stdout


def test_the_node_sdk_runs_the_checkout_walkthrough(node_env: dict[str, str]) -> None:
    run_node("checkout.test.mjs", node_env, tests=1)


def test_the_node_sdk_runs_the_pool_and_payments_walkthroughs(node_env: dict[str, str]) -> None:
    run_node("walkthroughs.test.mjs", node_env, tests=3)
