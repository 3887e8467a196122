"""Fixtures: moto-backed tables from template.yaml for unit tests, and the whole local system
(python -m localrun, in a subprocess on a free port) for integration tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import stripe
from moto import mock_aws

from localrun import aws as local_aws
from localrun import template as tpl
from localrun.localstripe import launch as launch_localstripe
from orgshare.settings import get_settings
from orgshare.storage import dynamo
from orgshare.vault import sealing

ROOT = Path(__file__).resolve().parent.parent


def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Re-checks `condition` until it holds, failing after `timeout`: for what the asynchronous
    event path makes visible only through the API."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition never held")
        pause.wait(0.05)


def _clear_caches() -> None:
    dynamo.client.cache_clear()
    sealing.kms.cache_clear()
    get_settings.cache_clear()
    from orgshare.vault import keyed_hash

    keyed_hash.forget_keys()  # derived from the KMS key of the test that made them
    from orgshare.domain import webhook_secrets

    webhook_secrets.forget()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Empty tables and the vault's KMS keys, created from template.yaml's own definitions, in moto.
    Yields the functions' environment."""
    template = tpl.load()
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        env = {
            **tpl.function_environment(template, local_aws.create_resources(template)),
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        _clear_caches()
        yield env
    _clear_caches()


@dataclass(frozen=True)
class Account:
    name: str
    kind: str
    id: str
    key: str


@dataclass(frozen=True)
class LocalSystem:
    url: str
    state_dir: Path
    accounts: dict[str, Account]
    output: list[str]  # everything the system printed
    banner_lines: int  # the first lines: the banner, which shows the demo keys on purpose

    @property
    def logs(self) -> list[str]:
        return self.output[self.banner_lines :]

    def client(self, who: str | None = None, *, key: str | None = None) -> stripe.StripeClient:
        secret = key if key is not None else self.accounts[who or "Rocket Platform"].key
        return stripe.StripeClient(secret, base_addresses={"api": self.url}, max_network_retries=0)

    def http(
        self, method: str, path: str, *, key: str | None, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """A raw request (for what the SDK would not send): the status and the JSON answer."""
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        if key is not None:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    @property
    def env(self) -> dict[str, str]:
        """The functions' environment of the running system (table names, moto's endpoint)."""
        env: dict[str, str] = json.loads((self.state_dir / "local.json").read_text())["env"]
        return env

    def dynamodb(self) -> Any:
        """A DynamoDB client on the running system's moto (to read, or plant, what the API would not)."""
        env = self.env
        return boto3.client(
            "dynamodb",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def table_items(self) -> dict[str, list[dict[str, Any]]]:
        """Every item of every table of the running system, raw (moto's own endpoint)."""
        env, dynamodb = self.env, self.dynamodb()
        tables = [env[k] for k in ("DIRECTORY_TABLE", "DATA_TABLE", "EVENTS_TABLE", "IDEMPOTENCY_TABLE")]
        return {t: [i for page in dynamodb.get_paginator("scan").paginate(TableName=t) for i in page["Items"]] for t in tables}

    def request_items(self, account: str) -> int:
        """How many items requests of `account` have written (those naming it), less what the
        asynchronous event path writes after a request has answered (events and their delivery
        attempts, the organization's projection and its markers), which earlier tests' changes
        may still be adding to while a test runs; scheduled jobs (the checkout expiry sweep) write
        only what names other accounts or none."""
        later = ("EVT#", "ATT#", "ORGV#")
        return sum(
            1
            for items in self.table_items().values()
            for i in items
            if not i.get("pk", {}).get("S", "").startswith(later) and account in json.dumps(i, default=repr)
        )

    def admin(self, *args: str) -> dict[str, object]:
        out = subprocess.run(
            [sys.executable, "-m", "orgshare.admin", *args, "--local", str(self.state_dir / "local.json")],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        result: dict[str, object] = json.loads(out.stdout)
        return result


_ROW = re.compile(r"^(Rocket [A-Za-z]+)\s+(platform|connected|standard)\s+(acct_\w+)\s+(sk_test_\w+)$")


# Webhook retries in seconds, not days, and a short endpoint timeout, so delivery tests run fast.
FAST_WEBHOOKS = ("--retry-schedule", "1,1,1", "--webhook-timeout", "2")


def launch(state_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], LocalSystem]:
    """Starts `python -m localrun` as a user does (what `make run` runs) on a free port and
    returns once its banner (printed when it serves) has been read; `env` adds variables."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "localrun", "--port", "0", "--state-dir", str(state_dir), "--verbose", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url, accounts, seen = None, {}, []
    for line in proc.stdout:
        seen.append(line)
        if match := re.search(r"running at (http://127\.0\.0\.1:\d+)", line):
            url = match.group(1)
        if match := _ROW.match(line.strip()):
            accounts[match.group(1)] = Account(*match.groups())
        if len(accounts) == 5 and url and "base_addresses" in line:
            break
    if url is None or len(accounts) != 5:
        proc.kill()
        pytest.fail("local system did not start:\n" + "".join(seen))
    # Keep reading so a full pipe never blocks the server; tests read the lines.
    threading.Thread(target=lambda: seen.extend(proc.stdout or ()), daemon=True).start()
    return proc, LocalSystem(url, state_dir, accounts, seen, len(seen) + 1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def kill(proc: subprocess.Popen[str]) -> None:
    """kill -9: a crash, nothing saved on the way out."""
    proc.kill()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """localstripe (a fake Stripe API, in memory, on 127.0.0.1): what the stripe connector calls in tests."""
    proc, url = launch_localstripe()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def local_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    proc, system = launch(tmp_path_factory.mktemp("localrun"), *FAST_WEBHOOKS)
    yield system
    stop(proc)
