"""The second most used SDK: the official stripe Node package (tests/node, installed by the Makefile
from its lock file) runs the seed's checkout walk-through against the local system."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest

from tests.conftest import ROOT, LocalSystem

pytestmark = pytest.mark.integration
NODE = ROOT / "tests" / "node"


def test_the_node_sdk_runs_the_checkout_walkthrough(local_system: LocalSystem) -> None:
    node = shutil.which("node")
    assert node, "node is missing: `make test` installs Debian's nodejs"
    assert (NODE / "node_modules" / "stripe").is_dir(), "the stripe npm package is missing: `make test` runs npm ci in tests/node"
    platform = local_system.client()

    def publishable(account: str) -> str:
        answer = platform.raw_request("post", f"/v1/accounts/{local_system.accounts[account].id}/api_keys", type="publishable")
        created: Any = platform.deserialize(answer, api_mode="V1")
        return str(created.publishable_key)

    accounts = local_system.accounts
    env = {
        **os.environ, "ORGSHARE_URL": local_system.url,
        "RIDES_KEY": accounts["Rocket Rides"].key, "RIDES_ACCOUNT": accounts["Rocket Rides"].id,
        "DELIVERIES_KEY": accounts["Rocket Deliveries"].key, "DELIVERIES_ACCOUNT": accounts["Rocket Deliveries"].id,
        "RIDES_PUBLISHABLE_KEY": publishable("Rocket Rides"), "DELIVERIES_PUBLISHABLE_KEY": publishable("Rocket Deliveries"),
    }  # fmt: skip
    run = subprocess.run([node, "--test", "checkout.test.mjs"], cwd=NODE, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# pass 1" in run.stdout and "# fail 0" in run.stdout
