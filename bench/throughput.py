"""Requests per second and latency through the stripe SDK, orgshare's local system against
localstripe, each server in a process of its own and every client in another, so neither side
slows the other (only the machine's cores are shared, alike for both, runs interleaved).

The mix per round: create a customer, retrieve it, update it, list a page.

    python -m bench.throughput          (prints the table; make bench runs it too)
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 60  # per client; each round is four requests
CLIENT_COUNTS = (1, 8)


def client_main(url: str, key: str, rounds: int) -> None:
    """One client (its own process): the mix `rounds` times; prints each request's seconds as JSON."""
    import stripe

    client = stripe.StripeClient(key, base_addresses={"api": url}, max_network_retries=0)
    seconds: list[float] = []

    def timed(call: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = call(*args, **kwargs)
        seconds.append(time.perf_counter() - started)
        return result

    client.v1.customers.list(params={"limit": 1})  # a warm connection and warm server caches, as in steady use
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal: every client begins together
    for i in range(rounds):
        cus = timed(client.v1.customers.create, params={"name": f"Mix {i}", "email": f"mix{i}@example.com"})
        timed(client.v1.customers.retrieve, cus.id)
        timed(client.v1.customers.update, cus.id, params={"metadata": {"round": str(i)}})
        timed(client.v1.customers.list, params={"limit": 10})
    print(json.dumps({"seconds": seconds, "finished": time.monotonic()}))


@dataclass
class Run:
    clients: int
    requests: int
    wall: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.wall

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def drive(url: str, key: str, clients: int, rounds: int = ROUNDS) -> Run:
    """`clients` client processes at once, each the mix `rounds` times."""
    command = [sys.executable, "-m", "bench.throughput", "client", url, key, str(rounds)]
    procs = [subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(clients)]
    for proc in procs:  # each has imported stripe and made a first request: not the server's time
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
    outputs = [proc.communicate("go\n")[0] for proc in procs]
    if any(proc.returncode for proc in procs):
        raise RuntimeError("a bench client failed")
    answers = [json.loads(out) for out in outputs]
    wall = max(a["finished"] for a in answers) - started
    return Run(clients, sum(len(a["seconds"]) for a in answers), wall, [s for a in answers for s in a["seconds"]])


def start_orgshare(state_dir: Path) -> tuple[subprocess.Popen[str], str, str]:
    """`python -m localrun` as `make run` starts it (the event path running); its URL and Rocket Rides' key."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "localrun", "--port", "0", "--quiet", "--state-dir", str(state_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url = key = None
    for line in proc.stdout:
        if match := re.search(r"running at (http://127\.0\.0\.1:\d+)", line):
            url = match.group(1)
        if match := re.match(r"^Rocket Rides\s+connected\s+acct_\w+\s+(sk_test_\w+)$", line.strip()):
            key = match.group(1)
        if url and key:
            break
    if not (url and key):
        proc.kill()
        raise RuntimeError("the local system did not start")
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, url, key


def measure() -> dict[str, list[Run]]:
    from localrun.localstripe import launch as launch_localstripe

    with tempfile.TemporaryDirectory() as state:
        ours, our_url, our_key = start_orgshare(Path(state))
        theirs, their_url = launch_localstripe()
        try:
            runs: dict[str, list[Run]] = {"orgshare": [], "localstripe": []}
            for clients in CLIENT_COUNTS:  # interleaved: both sides see the machine as it is at that moment
                runs["orgshare"].append(drive(our_url, our_key, clients))
                runs["localstripe"].append(drive(their_url, "sk_test_bench", clients))
            return runs
        finally:
            for proc in (ours, theirs):
                proc.terminate()
                proc.wait(timeout=30)


def report(runs: dict[str, list[Run]]) -> list[str]:
    lines = [
        f"Requests per second, stripe SDK, {ROUNDS} rounds of (create, retrieve, update, list) per client;",
        "servers and clients each in processes of their own (goal: ratio >= 1, orgshare's p99 at 8 clients <= 100 ms)",
        f"  {'clients':>7}  {'orgshare req/s':>14} {'p50 ms':>7} {'p99 ms':>7}"
        f"  {'localstripe req/s':>17} {'p50 ms':>7} {'p99 ms':>7}  {'ratio':>6}",
    ]
    for ours, theirs in zip(runs["orgshare"], runs["localstripe"], strict=True):
        lines.append(
            f"  {ours.clients:>7}  {ours.per_second:>14.1f} {ours.percentile(50) * 1000:>7.1f} {ours.percentile(99) * 1000:>7.1f}"
            f"  {theirs.per_second:>17.1f} {theirs.percentile(50) * 1000:>7.1f} {theirs.percentile(99) * 1000:>7.1f}"
            f"  {ours.per_second / theirs.per_second:>5.2f}x"
        )
    lines.append(f"  (median request: orgshare {statistics.median(runs['orgshare'][0].latencies) * 1000:.1f} ms with one client)")
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["client"]:
        client_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print("\n".join(report(measure())))
