"""python -m localrun: start orgshare on 127.0.0.1, seed the demo organization, print its keys."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

from localrun import aws
from localrun import template as tpl

_physical: tpl.Physical = {}


def configure(template: dict[str, Any], physical: tpl.Physical, verbose: bool, overrides: dict[str, str]) -> dict[str, str]:
    # Metrics are off locally (EMF lines would flood the terminal); powertools warns about that per function.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    env = tpl.function_environment(template, physical)
    env["AWS_READ_TIMEOUT_SECONDS"] = "60"  # moto copies whole tables in a transaction: give it time
    env["ALLOW_LOOPBACK_WEBHOOKS"] = "true"  # receivers on 127.0.0.1 are the point of a local run
    env.update(overrides)
    env.update(
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="INFO" if verbose else "WARNING",
    )
    os.environ.update(env)
    return env


def start(
    port: int = 0, verbose: bool = False, overrides: dict[str, str] | None = None, kms: dict[str, dict[str, str]] | None = None
) -> tuple[Any, Any, list[str], dict[str, str]]:
    """moto, the resources, the gateway and the event path's pollers; returns (moto, http server,
    table names, env). The pollers stop with the process (daemon threads)."""
    from localrun.gateway import Gateway, serve
    from localrun.pollers import start_pollers

    template = tpl.load()
    moto, endpoint = aws.start_moto()
    aws.point_sdk_at(endpoint)
    physical = aws.create_resources(template, kms)
    global _physical
    _physical = physical
    env = configure(template, physical, verbose, overrides or {})
    tables = aws.table_names(template)
    gateway = Gateway(template)
    server = serve(gateway, port)
    start_pollers(template, physical, gateway.functions, threading.Event())
    return moto, server, tables, env


def _print_banner(url: str, seeded: list[Any]) -> None:
    rides = next(s for s in seeded if s.name == "Rocket Rides")
    print(f"\norgshare is running at {url} (Ctrl-C stops it)\n")
    print(f"{'account':<20}{'kind':<11}{'id':<30}secret key")
    for s in seeded:
        print(f"{s.name:<20}{s.kind:<11}{s.id:<30}{s.key}")
    print("\ncurl:")
    print(f"  curl -s {url}/v1/customers -u {rides.key}: -d name='Jenny Rosen' -d email=jenny@example.com -d 'metadata[ride]=42'")
    print("\nstripe SDK (pip install stripe):")
    print("  import stripe")
    print(f"  client = stripe.StripeClient('{rides.key}', base_addresses={{'api': '{url}'}})")
    print("  print(client.v1.customers.create(params={'name': 'Jenny Rosen', 'email': 'jenny@example.com'}))\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8787")))
    parser.add_argument("--persist", action="store_true", help="keep data across restarts in STATE_DIR/state.json")
    parser.add_argument("--state-dir", type=Path, default=Path(".localdata"), help="where local state lives (default .localdata)")
    parser.add_argument("--verbose", action="store_true", help="handler logs at INFO")
    parser.add_argument("--retry-schedule", help="seconds before each webhook retry, e.g. 1,2,4 (default: the template's, over 3 days)")
    parser.add_argument("--webhook-timeout", help="seconds a webhook endpoint has to answer (default 5)")
    args = parser.parse_args()

    overrides = {}
    if args.retry_schedule:
        overrides["WEBHOOK_RETRY_SCHEDULE"] = args.retry_schedule
    if args.webhook_timeout:
        overrides["WEBHOOK_TIMEOUT_SECONDS"] = args.webhook_timeout
    state_dir: Path = args.state_dir
    state_file = state_dir / "state.json"
    seed_file = state_dir / "seed.json"
    restoring = args.persist and state_file.exists() and seed_file.exists()
    moto, server, tables, env = start(args.port, args.verbose, overrides, aws.saved_kms(state_file) if restoring else None)
    from orgshare import admin

    if restoring:
        aws.load_tables(state_file)
        demo = admin.mint_demo_keys(json.loads(seed_file.read_text()))
    else:
        demo = admin.seed_demo()
    state_dir.mkdir(parents=True, exist_ok=True)
    seed_file.write_text(json.dumps(demo.ids()))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    aws_env = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    # What `python -m orgshare.admin ... --local` needs to reach this system (moto's dummy credentials only).
    (state_dir / "local.json").write_text(json.dumps({"url": url, "env": {**env, **aws_env}}))
    _print_banner(url, demo.accounts)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    if args.persist:
        aws.dump_state(tables, aws.kms_snapshot(_physical, tpl.load()), state_file)
        print(f"data kept in {state_file}")
    server.shutdown()
    moto.stop()


if __name__ == "__main__":
    main()
