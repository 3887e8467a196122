"""make bench, the dashboard: the time to render the customer page (GET /dashboard/customers/{id})
and the DynamoDB round trips of one render. `python -m bench.dashboard` runs this section alone.

In a process of its own over in-process moto (mock_aws): the demo organization, a customer of the
shared pool with a few payments at two accounts (one refunded in part) made through the domain
functions, and its organization view projected as the event path would (each change's
organization copy handed to projection.apply, as bench/org_view.py does). The page is rendered by
the dashboard function's own handler (functions/dashboard/app.py) with a signed-in session's
cookie: cold (the first render after importing the function, with empty caches: its keyed-hash
keys derived from KMS, the templates compiled, the account switcher read) and warm (median of
RENDERS). The import itself is timed in fresh interpreters.

Goal: a warm render costs the organization view of the customer (customer_view.retrieve) plus the
session check (sessions.load) in round trips, and nothing more.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = ROOT / "functions" / "dashboard"
RENDERS = 50
IMPORT_RUNS = 5
PAYMENTS = {"Rocket Rides": 4, "Rocket Deliveries": 2}
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
    "PUBLIC_BASE_URL": "http://127.0.0.1:8787",
}  # fmt: skip


def measure() -> dict[str, Any]:
    """The section's numbers, from a child process (its own moto, its own imports)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "layers" / "orgshare"), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "bench.dashboard", "child"], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench.dashboard failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    numbers: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    numbers["import_ms"] = _import_ms("import app")
    numbers["baseline_import_ms"] = _import_ms(BASELINE)
    return numbers


# The peer make bench's cold-import row uses: the smallest powertools REST handler with the same utilities, and boto3.
BASELINE = (
    "import boto3, pydantic; from aws_lambda_powertools import Logger, Metrics, Tracer; "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "Logger(); Tracer(); Metrics(); APIGatewayRestResolver()"
)


def _import_ms(statement: str) -> float:
    """Median wall time of `statement` in a fresh interpreter (bytecode compiled), the dashboard function's folder on the path."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {"PYTHONPATH": f"{FUNCTION}:{ROOT / 'layers' / 'orgshare'}", "PATH": "/usr/bin:/bin", **_ENV}
    subprocess.run([sys.executable, "-c", statement], check=True, env=env, capture_output=True)  # warm the bytecode caches
    runs = [float(subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True).stdout)
            for _ in range(IMPORT_RUNS)]  # fmt: skip
    return statistics.median(runs) * 1000


def _detail(calls: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items())) or "none"


def report(n: dict[str, Any]) -> list[str]:
    warm, view, session = n["warm_calls"], n["view_calls"], n["session_calls"]
    expected = Counter(view) + Counter(session)
    verdict = "met" if Counter(warm) == expected else f"NOT met (view + session check = {sum(expected.values())})"
    warm_label = f"warm: median of {n['renders']} renders (p90 {n['warm_p90_ms']:.1f} ms)"
    return [
        f"\nThe dashboard's customer page (GET /dashboard/customers/{{id}}: a customer with {n['payments']} payments at "
        f"{n['accounts']} accounts; in-process moto)",
        f"  {'':<52}{'ms':>9}{'dynamodb':>10}{'kms':>5}  by operation",
        f"  {'import of the dashboard function (fresh interpreter)':<52}{n['import_ms']:>9.1f}"
        f"  ({n['import_ms'] / n['baseline_import_ms']:.2f}x a bare powertools handler + boto3: {n['baseline_import_ms']:.1f} ms)",
        f"  {'cold: the first render after import':<52}{n['cold_ms']:>9.1f}{sum(n['cold_calls'].values()):>10}"
        f"{sum(n['cold_kms'].values()):>5}  {_detail(n['cold_calls'] | n['cold_kms'])}",
        f"  {warm_label:<52}{n['warm_ms']:>9.1f}{sum(warm.values()):>10}{0:>5}  {_detail(warm)}",
        f"  {'  of which the session check (sessions.load)':<52}{n['session_ms']:>9.1f}{sum(session.values()):>10}{'':>5}"
        f"  {_detail(session)}",
        f"  {'  of which the customer view (customer_view.retrieve)':<52}{n['view_ms']:>9.1f}{sum(view.values()):>10}{'':>5}"
        f"  {_detail(view)}",
        f"  {'  the page itself (routing, template, switcher)':<52}{n['warm_ms'] - n['view_ms'] - n['session_ms']:>9.1f}{0:>10}",
        f"  goal (a warm render = the view + the session check): {verdict}; the cold render also reads the account switcher's",
        "  accounts (kept 10 s per container) and derives the session and CSRF keyed-hash keys (KMS GenerateMac, once per container)",
    ]


def main() -> None:
    if sys.argv[1:] == ["child"]:
        print(json.dumps(_child()))
        return
    for line in report(measure()):
        print(line)


# ---------------------------------------------------------------------------------------------
# The child process.


def _timed(call: Callable[[], Any]) -> tuple[Any, float, Counter[str], Counter[str]]:
    from bench.counting import dynamodb_calls, kms_calls

    with dynamodb_calls() as calls, kms_calls() as kms:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    return result, elapsed * 1000, Counter(calls), Counter(kms)


def _seed() -> tuple[str, str]:
    """The demo organization, a customer with payments at two accounts and a partial refund, its
    view projected; the platform key and the customer's id."""
    from orgshare import admin
    from orgshare.domain import auth, customers, payments, refunds
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.common import parse
    from orgshare.params.customers import CustomerCreate
    from orgshare.params.payments import PaymentIntentCreate, RefundCreate

    demo = admin.seed_demo()
    keys = {a.name: a.key for a in demo.accounts}
    request = RequestInfo("req_bench")
    rides = auth.authenticate(keys["Rocket Rides"])
    customer = customers.create(rides, parse(CustomerCreate, {"name": "Bench Dana", "email": "dana@example.com"}), request)
    first = None
    for name, count in PAYMENTS.items():
        who = auth.authenticate(keys[name])
        for n in range(count):
            params = {"amount": 1000 + 100 * n, "currency": "eur", "customer": customer["id"], "payment_method": "pm_card_visa",
                      "confirm": True}  # fmt: skip
            paid = payments.create(who, parse(PaymentIntentCreate, params), request)
            first = first or paid["id"]
    assert first is not None
    refunds.create(rides, parse(RefundCreate, {"payment_intent": first, "amount": 300}), request)
    _project()
    return keys["Rocket Platform"], str(customer["id"])


def _project() -> None:
    """Every change so far, in order, handed to the projector as the bus would bring its organization copy."""
    from orgshare.domain.events import events_for_change
    from orgshare.domain.organization import projection
    from orgshare.settings import get_settings
    from orgshare.storage import dynamo
    from orgshare.storage.outbox import change_from_stream

    items: list[dict[str, Any]] = []
    # The bench's own look at the whole table (never on a request path).
    for page in dynamo.client().get_paginator("scan").paginate(TableName=get_settings().events_table):
        items += page["Items"]
    changes = sorted((c for c in map(change_from_stream, items) if c is not None), key=lambda c: str(c["id"]))
    for change in changes:
        for account, event in events_for_change(change):
            if account == change["account"]:
                projection.apply({"org": change["org"], "mode": change["mode"], "account": account, "org_copy": True, "event": event})


def _child() -> dict[str, Any]:
    import logging

    from moto import mock_aws

    os.environ.update(_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    logging.disable(logging.WARNING)
    with mock_aws():
        from localrun import aws as local_aws
        from localrun import template as tpl
        from localrun.gateway import LambdaContext, proxy_event
        from orgshare.domain import auth
        from orgshare.settings import get_settings
        from orgshare.vault import keyed_hash

        template = tpl.load()
        os.environ.update(tpl.function_environment(template, local_aws.create_resources(template)))
        os.environ.update({k: v for k, v in _ENV.items() if not k.startswith("AWS_")})
        get_settings.cache_clear()
        platform_key, customer = _seed()

        from orgshare.web.dashboard import sessions

        token, session = sessions.sign_in(platform_key)
        # As a new container: no derived keys, no cached accounts (the seeding warmed both).
        keyed_hash.forget_keys()
        auth._account_cache.clear()
        spec = importlib.util.spec_from_file_location("dashboard_app", FUNCTION / "app.py")
        assert spec is not None and spec.loader is not None
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        path = f"/dashboard/customers/{customer}"
        headers = {"Cookie": f"orgshare_dashboard={token}", "Host": "127.0.0.1:8787"}

        def render() -> dict[str, Any]:
            event = proxy_event("GET", "/dashboard/{proxy+}", path, {"proxy": path.removeprefix("/dashboard/")}, headers, {}, b"", {},
                                "Prod", "bench")  # fmt: skip
            reply: dict[str, Any] = app.lambda_handler(event, LambdaContext("DashboardFunction"))
            if reply["statusCode"] != 200 or "Bench Dana" not in reply["body"]:
                raise RuntimeError(f"the customer page did not render: {reply['statusCode']} {reply['body'][:500]}")
            return reply

        _, cold_ms, cold_calls, cold_kms = _timed(render)
        warm = [_timed(render) for _ in range(RENDERS)]
        from orgshare.domain.organization import customer_view

        _, view_ms, view_calls, _ = _timed(lambda: customer_view.retrieve(session.principal, customer))
        _, session_ms, session_calls, _ = _timed(lambda: sessions.load(token))
        times = sorted(ms for _, ms, _, _ in warm)
        return {
            "payments": sum(PAYMENTS.values()), "accounts": len(PAYMENTS), "renders": RENDERS,
            "cold_ms": cold_ms, "cold_calls": cold_calls, "cold_kms": cold_kms,
            "warm_ms": statistics.median(times), "warm_p90_ms": times[int(0.9 * (len(times) - 1))], "warm_calls": warm[-1][2],
            "view_ms": view_ms, "view_calls": view_calls, "session_ms": session_ms, "session_calls": session_calls,
        }  # fmt: skip


if __name__ == "__main__":
    main()
