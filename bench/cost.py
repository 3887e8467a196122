"""make bench, cost: what the main operations cost in AWS per million, and what a month of a
request mix costs, from the bench's own counts.

Each operation's DynamoDB capacity units (bench/capacity.py, from the measured round trips and the
items they carried), its KMS calls, and its Lambda time at the function's configured memory; the
API Gateway request and its log lines; and, per change, the event path behind it (the publisher's
event items and PutEvents entries, then per delivery the queue's messages and the dispatcher's run).

Prices: us-east-1, on demand, arm64, list prices as published in 2026 (edit PRICES for another
region or a later price list). The free tiers are left out: this is the cost at scale.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bench.capacity import Units

PRICES = {
    "api_request": 3.50 / 1e6,  # API Gateway REST API, first 333M a month
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000133334,  # arm64
    "read_unit": 0.125 / 1e6,  # DynamoDB on demand, per read request unit
    "write_unit": 0.625 / 1e6,  # per write request unit
    "kms_request": 0.03 / 1e4,
    "event": 1.00 / 1e6,  # EventBridge custom event (64 KB chunk)
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "log_gb": 0.50,  # CloudWatch Logs ingestion
    "trace": 5.00 / 1e6,  # X-Ray, per trace recorded
}
SERVICES = ("API Gateway", "Lambda", "DynamoDB", "KMS", "EventBridge", "SQS", "CloudWatch Logs", "X-Ray")
LOG_BYTES_PER_REQUEST = 1500  # the access log line and powertools' structured lines of one request
BILLED_FLOOR_MS = 1.0

# One change's event path: per account it reaches, the publisher's event item (about 2 KB: 2 write
# units) and one PutEvents entry (its run, about 20 ms at 512 MB, takes a batch of 10 changes); the
# organization view's projector (a read and a transaction of about 3 items, as make bench counts it,
# about 30 ms); per delivery, the queue's send, receive and delete, the dispatcher's attempt record
# (1 write unit) and its run (200 ms at 256 MB: mostly waiting for the endpoint's answer). Streams
# read by Lambda are free.
EVENT_WRITE_UNITS = 2.0
EVENT_PUBLISHER_MS, EVENT_PUBLISHER_MB, EVENT_BATCH = 20.0, 512, 10
PROJECTOR_MS, PROJECTOR_MB, PROJECTOR_READ_UNITS, PROJECTOR_WRITE_UNITS = 30.0, 512, 1.0, 6.0
DELIVERY_SQS_REQUESTS = 3
DELIVERY_WRITE_UNITS = 1.0
DELIVERY_MS, DELIVERY_MB = 200.0, 256


@dataclass
class Operation:
    name: str
    units: Units
    kms: int
    milliseconds: float  # the request's time on the local system (see report)
    memory_mb: int
    change: bool  # whether it writes a change (and so runs the event path once)


def _lambda(milliseconds: float, memory_mb: int) -> float:
    return max(milliseconds, BILLED_FLOOR_MS) / 1000 * memory_mb / 1024 * PRICES["lambda_gb_second"] + PRICES["lambda_request"]


def request_cost(op: Operation) -> Counter[str]:
    """Dollars for one request, by service."""
    return Counter({
        "API Gateway": PRICES["api_request"],
        "Lambda": _lambda(op.milliseconds, op.memory_mb),
        "DynamoDB": op.units.read * PRICES["read_unit"] + op.units.write * PRICES["write_unit"],
        "KMS": op.kms * PRICES["kms_request"],
        "CloudWatch Logs": LOG_BYTES_PER_REQUEST / 1e9 * PRICES["log_gb"],
    })  # fmt: skip


def event_path_cost(accounts: int = 2, deliveries: int = 1) -> Counter[str]:
    """Dollars for one change reaching `accounts` accounts (by default the acting account's event
    and the organization's copy) and delivered `deliveries` times, by service."""
    lambdas = _lambda(EVENT_PUBLISHER_MS, EVENT_PUBLISHER_MB) / EVENT_BATCH + _lambda(PROJECTOR_MS, PROJECTOR_MB)
    writes = accounts * EVENT_WRITE_UNITS + PROJECTOR_WRITE_UNITS + deliveries * DELIVERY_WRITE_UNITS
    return Counter({
        "Lambda": lambdas + deliveries * _lambda(DELIVERY_MS, DELIVERY_MB),
        "DynamoDB": writes * PRICES["write_unit"] + PROJECTOR_READ_UNITS * PRICES["read_unit"],
        "EventBridge": accounts * PRICES["event"],
        "SQS": (1 + deliveries) * DELIVERY_SQS_REQUESTS * PRICES["sqs_request"],  # the projection queue's, and each delivery's
    })  # fmt: skip


def _million(cost: Counter[str]) -> float:
    return sum(cost.values()) * 1e6


def report(operations: list[Operation]) -> list[str]:
    lines = [
        "AWS cost per million requests (us-east-1, on demand, arm64; bench/cost.py's PRICES), from the counts above",
        f"  {'operation':<50}{'RRU':>6}{'WRU':>6}{'KMS':>4}{'ms':>6}{'API':>7}{'Lambda':>8}{'DynamoDB':>9}{'KMS':>6}{'logs':>6}"
        f"{'+events':>8}{'total':>8}",
    ]
    for op in operations:
        cost = {k: v * 1e6 for k, v in request_cost(op).items()}
        events = _million(event_path_cost()) if op.change else 0.0
        lines.append(
            f"  {op.name[:49]:<50}{op.units.read:>6.1f}{op.units.write:>6.1f}{op.kms:>4}{op.milliseconds:>6.0f}"
            f"{cost['API Gateway']:>7.2f}{cost['Lambda']:>8.2f}{cost['DynamoDB']:>9.2f}{cost['KMS']:>6.2f}{cost['CloudWatch Logs']:>6.2f}"
            f"{events:>8.2f}{sum(cost.values()) + events:>8.2f}"
        )
    further_account = _million(event_path_cost(3)) - _million(event_path_cost(2))
    further_delivery = _million(event_path_cost(2, 2)) - _million(event_path_cost(2, 1))
    lines += [
        "  (dollars per million; RRU/WRU: DynamoDB read/write request units; ms: the request's time on this machine's local",
        "   system, moto answering in-process, taken as the billed duration; +events: the change's event path, its account's",
        f"   event and the organization's copy, delivered once. A change shared across a pool adds ${further_account:.2f} per",
        f"   million per further account; each further delivery ${further_delivery:.2f})",
    ]
    return lines


# A month's requests as docs/deploy.md assumes them, per 1,000: reads, lists, customer writes, cards, payments.
MIX = {
    "GET /v1/customers/{id}": 400,
    "GET /v1/customers?limit=10": 200,
    "POST /v1/customers": 75,
    "POST /v1/customers/{id} (shared field)": 75,
    "POST /v1/payment_methods (card)": 100,
    "POST /v1/payment_intents (confirm=true)": 120,
    "POST /v1/refunds (partial)": 30,
}


def _fixed() -> Counter[str]:
    """What a month costs whatever the traffic, counted in template.yaml: its KMS keys (the default
    key mode: no StorageKey), alarms ($0.10 each) and dashboards ($3 each), Lambda's idle polling of
    each SQS event source (about 650,000 requests a month each), and the checkout expiry sweep
    (43,200 runs of about 50 ms at 128 MB)."""
    from localrun import template as tpl

    template = tpl.load()
    keys = [k for k, r in tpl.resources(template, "AWS::KMS::Key").items() if "Condition" not in r]
    alarms = tpl.resources(template, "AWS::CloudWatch::Alarm")
    dashboards = tpl.resources(template, "AWS::CloudWatch::Dashboard")
    polled = [e for f in tpl.resources(template, "AWS::Serverless::Function").values()
              for e in f["Properties"].get("Events", {}).values() if e["Type"] == "SQS"]  # fmt: skip
    return Counter({"KMS": 1.00 * len(keys), "CloudWatch alarms": 0.10 * len(alarms) + 3.00 * len(dashboards),
                    "SQS": len(polled) * 650_000 * PRICES["sqs_request"], "Lambda": 43_200 * _lambda(50.0, 128)})  # fmt: skip


AUTHORIZER_MS, AUTHORIZER_MB, AUTHORIZER_READ_UNITS = 20.0, 256, 2.0
COLD_START_MS, COLD_START_MB = 1000.0, 512
SCENARIOS = ((1_000, 1.0, 1_000), (100_000, 0.1, 100_000), (10_000_000, 1 / 500, 432_000))


def monthly(operations: list[Operation], requests: int, cold_share: float, authorizer_calls: int) -> Counter[str]:
    """Dollars a month, by service, for `requests` requests of MIX: the requests and their event
    path, the authorizer's calls (once per key per cache period), cold starts and the fixed part."""
    by_name = {op.name: op for op in operations}
    total: Counter[str] = Counter()
    for name, share in MIX.items():
        op = by_name[name]
        per_request = request_cost(op) + (event_path_cost() if op.change else Counter())
        total.update({k: v * requests * share / 1000 for k, v in per_request.items()})
    authorizer = Counter({"Lambda": _lambda(AUTHORIZER_MS, AUTHORIZER_MB), "DynamoDB": AUTHORIZER_READ_UNITS * PRICES["read_unit"]})
    total.update({k: v * authorizer_calls for k, v in authorizer.items()})
    total.update({"Lambda": requests * cold_share * (_lambda(COLD_START_MS, COLD_START_MB) - PRICES["lambda_request"])})
    traces = min(requests, 2_592_000) + 0.05 * max(requests - 2_592_000, 0)  # default sampling: 1 a second, then 5 %
    total.update({"X-Ray": traces * PRICES["trace"]})
    total.update(_fixed())
    return total


def monthly_report(operations: list[Operation]) -> list[str]:
    months = [monthly(operations, *scenario) for scenario in SCENARIOS]
    header = "".join(f"{f'{n:,} requests':>22}" for n, _, _ in SCENARIOS)
    lines = ["A month of docs/deploy.md's request mix (reads 60 %, customer writes 15 %, cards 10 %, payments 15 %)", f"  {'':<20}{header}"]
    for service in (*SERVICES, "CloudWatch alarms"):  # alarms and the dashboard
        lines.append(f"  {service:<20}" + "".join(f"{month[service]:>22,.2f}" for month in months))
    lines.append(f"  {'a month, dollars':<20}" + "".join(f"{sum(month.values()):>22,.2f}" for month in months))
    lines += [
        "  (cold starts: every request at 1k, 1 in 10 at 100k, 1 in 500 at 10M; the authorizer once per request, at 10M once",
        "   per key per minute for 10 busy keys; X-Ray at its default sampling; storage and data transfer are left out)",
    ]
    return lines
