"""python -m localrun: start orgshare on 127.0.0.1, seed the demo organization, print its keys."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localrun import aws, persistence
from localrun import template as tpl
from localrun.pollers import PAUSE_STREAM

if TYPE_CHECKING:
    from localrun.gateway import GatewayServer
    from localrun.moto_server import MotoServer


def configure(template: dict[str, Any], physical: tpl.Physical, verbose: bool, overrides: dict[str, str]) -> dict[str, str]:
    # Metrics are off locally (EMF lines would flood the terminal); powertools warns about that per function.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    env = tpl.function_environment(template, physical)
    env["AWS_READ_TIMEOUT_SECONDS"] = "60"  # moto copies whole tables in a transaction: give it time
    env["ALLOW_LOOPBACK_WEBHOOKS"] = "true"  # receivers on 127.0.0.1 are the point of a local run
    # A sharing enablement's switch waits for cached answers to expire, plus a margin for requests
    # under way: local requests are short, a few seconds are plenty.
    env["SHARING_SWITCH_MARGIN_SECONDS"] = "3"
    env.update(overrides)
    env.update(
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="INFO" if verbose else "WARNING",
    )
    os.environ.update(env)
    return env


@dataclass
class System:
    """What a local run is made of."""

    moto: MotoServer
    server: GatewayServer
    tables: list[str]
    env: dict[str, str]
    template: dict[str, Any]
    physical: tpl.Physical
    pollers: list[threading.Thread]
    stopping: threading.Event  # set: the pollers finish the batch in hand and end

    def wait_quiet(self, timeout: float = 60.0) -> None:
        """Returns once the event path has handed on every change made so far (for measurements
        that must not share the process with a backlog); raises TimeoutError after `timeout`."""
        from localrun.pollers import QueuePoller, StreamPoller

        polling = [p for p in self.pollers if isinstance(p, QueuePoller | StreamPoller) and p.is_alive()]
        if not self.moto.changes.wait_quiet(len(polling), timeout):
            raise TimeoutError(f"the event path was still busy after {timeout} s")

    def stop(self, snapshots: persistence.Snapshots | None = None) -> None:
        """A clean stop: no new requests, the event path's batches under way finished, then the last snapshot."""
        self.server.shutdown()
        self.stopping.set()
        for poller in self.pollers:
            poller.join(timeout=30)
        if snapshots is not None:
            snapshots.close()
        self.moto.stop()


def _warm_layer_clients() -> None:
    # The shared layer's boto3 clients, made once before requests run concurrently: boto3's default
    # session is not safe to make clients from on several threads at once.
    from orgshare import messaging
    from orgshare.storage import dynamo
    from orgshare.vault import sealing

    for make in (dynamo.client, sealing.kms, messaging.eventbridge, messaging.sqs):
        make()


def run_system(
    port: int = 0,
    verbose: bool = False,
    overrides: dict[str, str] | None = None,
    saved: persistence.Saved | None = None,
    pause_stream: bool = False,
    log_requests: bool = False,
) -> System:
    """moto, the resources (`saved` put back into them before anything reads them), the gateway and
    the event path's pollers (held back with `pause_stream`: LOCALRUN_PAUSE_STREAM=1); `log_requests`
    prints a line per request. Daemon threads all: they end with the process; System.stop stops them cleanly."""
    from localrun.gateway import Gateway, serve
    from localrun.pollers import start_pollers
    from orgshare.settings import get_settings

    template = tpl.load()
    moto = aws.start_moto()
    aws.point_sdk_at_moto()
    physical = aws.create_resources(template, saved.kms if saved else None)
    env = configure(template, physical, verbose, overrides or {})
    if saved:
        persistence.restore(saved, moto.turn)  # before anything reads the tables or their stream
    _warm_layer_clients()
    gateway = Gateway(template)
    if "AUTHORIZER_CACHE_SECONDS" in (overrides or {}):
        gateway.cache_seconds = int((overrides or {})["AUTHORIZER_CACHE_SECONDS"])
    server = serve(gateway, port, log_requests=log_requests)
    if "PUBLIC_BASE_URL" not in (overrides or {}):  # the URLs the API hands out (a checkout page's) lead here
        env["PUBLIC_BASE_URL"] = os.environ["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
        get_settings.cache_clear()  # read before the port was known
    stopping = threading.Event()
    pollers = start_pollers(template, physical, gateway.functions, stopping, moto.changes, gateway.in_flight, pause_stream)
    return System(moto, server, aws.table_names(template), env, template, physical, pollers, stopping)


def start(
    port: int = 0, verbose: bool = False, overrides: dict[str, str] | None = None, kms: dict[str, dict[str, str]] | None = None
) -> tuple[Any, Any, list[str], dict[str, str]]:
    """run_system without persistence; returns (moto, http server, table names, env)."""
    system = run_system(port, verbose, overrides, persistence.Saved({}, kms) if kms else None)
    return system.moto, system.server, system.tables, system.env


def keep(system: System, state_file: Path) -> persistence.Snapshots:
    """Snapshots of `system` to `state_file` from now on, each soon after a change."""
    from localrun.pollers import StreamPoller

    streams = [p for p in system.pollers if isinstance(p, StreamPoller)]
    capture = persistence.Capture(
        turn=system.moto.turn,
        tables=system.tables,
        queues=[res["QueueName"] for res in system.physical.values() if "QueueName" in res],
        checkpoints=lambda: {p.table: p.checkpoint for p in streams},
        kms=aws.kms_snapshot(system.physical, system.template),
    )
    snapshots = persistence.Snapshots(state_file, capture)
    system.moto.on_change = snapshots.touch
    for poller in streams:
        poller.progressed = snapshots.touch
    return snapshots.start()


def env_name(account_name: str) -> str:
    """RIDES for "Rocket Rides": the prefix of an account's variables in the demo's env file."""
    return account_name.split()[-1].upper()


def write_demo_env(path: Path, url: str, seeded: list[Any]) -> None:
    """The demo's URL, keys and account ids as NAME=value lines (a shell can `set -a; . path`; so can
    `docker --env-file`), for the README's examples. Local test keys of moto's tables, but keys all
    the same: readable by the user alone."""
    lines = ["# written by `make run` (python -m localrun) at each start: a start mints new keys", f"ORGSHARE_URL={url}"]
    for s in seeded:
        lines += [f"{env_name(s.name)}_KEY={s.key}", f"{env_name(s.name)}_ACCOUNT={s.id}"]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)  # an older file keeps its mode through O_TRUNC


def _print_banner(url: str, seeded: list[Any], checkout: str, env_file: Path) -> None:
    rides = next(s for s in seeded if s.name == "Rocket Rides")
    print(f"\norgshare is running at {url} (Ctrl-C stops it)\n")
    print(f"{'account':<20}{'kind':<11}{'id':<30}secret key")
    for s in seeded:
        print(f"{s.name:<20}{s.kind:<11}{s.id:<30}{s.key}")
    print("\na checkout for Rocket Rides, ready to pay in a browser (test card 4242 4242 4242 4242, any future expiry):")
    print(f"  {checkout}")
    platform = next(s for s in seeded if s.kind == "platform")
    print("\nthe dashboard, in a browser (the platform's key opens the organization; an account's key that account alone):")
    print(f"  {url}/dashboard")
    print(f"  sign in with {platform.name}'s secret key: {platform.key}")
    print("\nthe URL, keys and account ids (ORGSHARE_URL, RIDES_KEY, RIDES_ACCOUNT, ...) for the README's examples, in a shell:")
    print(f"  set -a; . {shlex.quote(str(env_file.resolve()))}; set +a")
    print("\ncurl:")
    print(f"  curl -s {url}/v1/customers -u {rides.key}: -d name='Jenny Rosen' -d email=jenny@example.com -d 'metadata[ride]=42'")
    print("\nstripe SDK (pip install stripe):")
    print("  import stripe")
    print(f"  client = stripe.StripeClient('{rides.key}', base_addresses={{'api': '{url}'}})")
    print("  print(client.v1.customers.create(params={'name': 'Jenny Rosen', 'email': 'jenny@example.com'}))\n")
    sys.stdout.flush()


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8787")))
    parser.add_argument("--persist", action="store_true", help="keep data across restarts (and crashes) in STATE_DIR/state.json")
    parser.add_argument("--state-dir", type=Path, default=Path(".localdata"), help="where local state lives (default .localdata)")
    parser.add_argument("--verbose", action="store_true", help="handler logs at INFO")
    parser.add_argument("--quiet", action="store_true", help="no line per request (method, path, status, ms, account)")
    parser.add_argument("--retry-schedule", help="seconds before each webhook retry, e.g. 1,2,4 (default: the template's, over 3 days)")
    parser.add_argument("--webhook-timeout", help="seconds a webhook endpoint has to answer (default 5)")
    parser.add_argument(
        "--cache-seconds", type=int,
        help="how long the authorizer's answers and account records are cached (default: the template's 60); "
        "a sharing enablement switches its accounts after this",
    )  # fmt: skip
    args = parser.parse_args()
    # Ctrl-C and SIGTERM wait for the sigwait below, blocked in every thread (each inherits this
    # mask): a signal taken by some other thread would never wake the main one.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)

    overrides = {}
    if args.retry_schedule:
        overrides["WEBHOOK_RETRY_SCHEDULE"] = args.retry_schedule
    if args.webhook_timeout:
        overrides["WEBHOOK_TIMEOUT_SECONDS"] = args.webhook_timeout
    if args.cache_seconds is not None:
        overrides["AUTHORIZER_CACHE_SECONDS"] = overrides["ACCOUNT_CACHE_SECONDS"] = str(args.cache_seconds)
    state_dir: Path = args.state_dir
    state_file = state_dir / "state.json"
    seed_file = state_dir / "seed.json"
    restoring = args.persist and state_file.exists() and seed_file.exists()
    system = run_system(
        args.port,
        args.verbose,
        overrides,
        persistence.Saved.read(state_file) if restoring else None,
        os.environ.get(PAUSE_STREAM) == "1",
        log_requests=not args.quiet,
    )
    snapshots = keep(system, state_file) if args.persist else None
    from orgshare import admin

    demo = admin.mint_demo_keys(json.loads(seed_file.read_text())) if restoring else admin.seed_demo()
    state_dir.mkdir(parents=True, exist_ok=True)
    seed_file.write_text(json.dumps(demo.ids()))
    url = f"http://127.0.0.1:{system.server.server_address[1]}"
    aws_env = aws.tool_environment(system.moto.endpoint)
    # What `python -m orgshare.admin ... --local` needs to reach this system (moto's dummy credentials only).
    (state_dir / "local.json").write_text(json.dumps({"url": url, "env": {**system.env, **aws_env}}))
    env_file = state_dir / "demo.env"
    write_demo_env(env_file, url, demo.accounts)
    _print_banner(url, demo.accounts, admin.demo_checkout(demo, url), env_file)

    signal.sigwait(_STOP_SIGNALS)
    system.stop(snapshots)
    if snapshots is not None:
        print(f"data kept in {state_file}")


if __name__ == "__main__":
    main()
