"""make bench, cost: what the main operations cost in AWS per million, from the bench's own counts.

Each operation's DynamoDB capacity units (bench/capacity.py, from the measured round trips and the
items they carried), its KMS calls, and its Lambda time at the function's configured memory; the
API Gateway request; and, per change, the event path behind it (the outbox record's stream, the
publisher's event item and PutEvents entry, the queue's messages, the dispatcher's delivery).

Prices: us-east-1, on demand, arm64, list prices as published in 2026 (edit PRICES for another
region or a later price list). The free tiers are left out: this is the cost at scale.
"""

from __future__ import annotations

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
}
LOG_BYTES_PER_REQUEST = 1500  # the access log line and powertools' structured lines of one request
BILLED_FLOOR_MS = 1.0


@dataclass
class Operation:
    name: str
    units: Units
    kms: int
    milliseconds: float  # the handler's time measured on the local system (see report)
    memory_mb: int
    change: bool  # whether it writes a change (and so runs the event path once)


# One change's event path, per account it reaches and per endpoint it is delivered to: the outbox
# record's stream read by the publisher (no charge for DynamoDB streams read by Lambda), the event
# item it writes (about 2 KB: 2 write units), one PutEvents entry, then per endpoint: the queue's
# send, receive and delete, and the dispatcher's attempt record (1 write unit) and run (~50 ms at 256 MB).
EVENT_WRITE_UNITS = 2.0
EVENT_PUBLISHER_MS, EVENT_PUBLISHER_MB = 20.0, 512
DELIVERY_SQS_REQUESTS = 3
DELIVERY_WRITE_UNITS = 1.0
DELIVERY_MS, DELIVERY_MB = 50.0, 256


def _lambda(milliseconds: float, memory_mb: int) -> float:
    return max(milliseconds, BILLED_FLOOR_MS) / 1000 * memory_mb / 1024 * PRICES["lambda_gb_second"] + PRICES["lambda_request"]


def request_cost(op: Operation) -> dict[str, float]:
    """Dollars per one request, by what it is spent on."""
    return {
        "api": PRICES["api_request"],
        "lambda": _lambda(op.milliseconds, op.memory_mb),
        "dynamodb": op.units.read * PRICES["read_unit"] + op.units.write * PRICES["write_unit"],
        "kms": op.kms * PRICES["kms_request"],
        "logs": LOG_BYTES_PER_REQUEST / 1e9 * PRICES["log_gb"],
    }


def event_path_cost(accounts: int = 2, endpoints: int = 1) -> float:
    """Dollars per change reaching `accounts` accounts (by default the acting account's event and the
    organization's copy), delivered to `endpoints` endpoints in all."""
    per_account = EVENT_WRITE_UNITS * PRICES["write_unit"] + PRICES["event"]
    per_delivery = (
        DELIVERY_SQS_REQUESTS * PRICES["sqs_request"] + DELIVERY_WRITE_UNITS * PRICES["write_unit"] + _lambda(DELIVERY_MS, DELIVERY_MB)
    )
    return _lambda(EVENT_PUBLISHER_MS, EVENT_PUBLISHER_MB) / 10 + accounts * per_account + endpoints * per_delivery  # a batch of 10 per run


def report(operations: list[Operation]) -> list[str]:
    lines = [
        "AWS cost per million requests (us-east-1, on demand, arm64; bench/cost.py's PRICES), from the counts above",
        f"  {'operation':<50}{'RRU':>6}{'WRU':>6}{'KMS':>4}{'ms':>6}{'API':>7}{'Lambda':>8}{'DynamoDB':>9}{'KMS':>6}{'logs':>6}"
        f"{'+events':>8}{'total':>8}",
    ]
    for op in operations:
        cost = {k: v * 1e6 for k, v in request_cost(op).items()}
        events = event_path_cost() * 1e6 if op.change else 0.0
        total = sum(cost.values()) + events
        lines.append(
            f"  {op.name[:49]:<50}{op.units.read:>6.1f}{op.units.write:>6.1f}{op.kms:>4}{op.milliseconds:>6.0f}"
            f"{cost['api']:>7.2f}{cost['lambda']:>8.2f}{cost['dynamodb']:>9.2f}{cost['kms']:>6.2f}{cost['logs']:>6.2f}{events:>8.2f}{total:>8.2f}"
        )
    lines += [
        "  (dollars per million; ms: the request's time on this machine's local system, moto answering in-process, taken as",
        "   the billed duration; +events: the change's event path, its account's event and the organization's copy, one",
        f"   endpoint. A change shared across a pool adds ${(event_path_cost(3) - event_path_cost(2)) * 1e6:.2f} per million"
        f" per further account, and ${(event_path_cost(2, 2) - event_path_cost(2, 1)) * 1e6:.2f} per further endpoint)",
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
# What a month costs whatever the traffic: 3 KMS keys, 12 alarms, Lambda's idle polling of 3 queues
# (about 650,000 requests each), the checkout expiry sweep (43,200 runs).
FIXED = 3.00 + 1.20 + 3 * 650_000 * PRICES["sqs_request"] + 43_200 * (_lambda(50.0, 128))
AUTHORIZER_MS, AUTHORIZER_MB, AUTHORIZER_READ_UNITS = 20.0, 256, 2.0
COLD_START_MS = 1000.0


def monthly(operations: list[Operation], requests: int, cold_share: float, authorizer_calls: int) -> float:
    """Dollars a month for `requests` requests of MIX: the requests and their event path, the
    authorizer's calls (once per key per cache period), cold starts and the fixed part."""
    by_name = {op.name: op for op in operations}
    per_request = sum(
        share / 1000 * (sum(request_cost(by_name[name]).values()) + (event_path_cost() if by_name[name].change else 0.0))
        for name, share in MIX.items()
    )
    authorizer = _lambda(AUTHORIZER_MS, AUTHORIZER_MB) + AUTHORIZER_READ_UNITS * PRICES["read_unit"]
    cold = _lambda(COLD_START_MS, 512) - PRICES["lambda_request"]
    return requests * (per_request + cold_share * cold) + authorizer_calls * authorizer + FIXED


def monthly_report(operations: list[Operation]) -> list[str]:
    scenarios = [(1_000, 1.0, 1_000), (100_000, 0.1, 100_000), (10_000_000, 1 / 500, 432_000)]
    costs = [monthly(operations, *scenario) for scenario in scenarios]
    return [
        "A month of docs/deploy.md's request mix (reads 60 %, customer writes 15 %, cards 10 %, payments 15 %), fixed part included:",
        "  " + ", ".join(f"{n:,} requests ${c:,.2f}" for (n, _, _), c in zip(scenarios, costs, strict=True)),
        "  (cold starts: every request at 1k, 1 in 10 at 100k, 1 in 500 at 10M; the authorizer once per request, at 10M once",
        "   per key per minute for 10 busy keys; X-Ray, storage and data transfer are left out: docs/deploy.md prices them)",
    ]
