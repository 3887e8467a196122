"""make bench, migration: a sharing enablement moving a standard account's customers (one card
each) into the shared pool. Wall time, DynamoDB round trips per customer, the memory of a batch
worker's step, and the latency of the migrating account's reads before, during and after the run.

`python -m bench.migration` runs this section alone. BENCH_MIGRATION_CUSTOMERS: the customers the
numbers are for (10,000, the issue's figure); BENCH_MIGRATION_MEASURED: how many are migrated to
measure them (2,000 by default: 10,000 take a quarter of an hour of in-process moto here), the rest
extrapolated linearly and marked so (one full run here took 763 s where 2,000 said ~650 to ~1,000
s, by the machine's load). Everything runs in child processes: the run over in-process
moto (mock_aws), and the memory of a step in a worker process of its own against a moto server in
another process, so that a step's allocations are the worker's alone.

In the run's process, in-process moto is made fit for tens of thousands of items, as the local system's is.
None of it changes what a client sends or receives, so the round trips count as on DynamoDB:
transactions back up the items they name instead of deep-copying the whole table (localrun's own
moto_transactions, as the local server does), DynamoDB requests take turns (as in the local
server), and a Query looks only at the partition (or the index key) it names, where moto sorts and
walks the whole table for each one.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CUSTOMERS = 10_000  # the figure
DEFAULT_MEASURED = 2_000  # migrated to measure it
DOMAIN_SEEDED = 20  # customers seeded through the domain functions with their own writes (timed)
POOL_DUPLICATES = 100  # customers already in the shared pool with the email of a migrating one
READS = 300  # reads timed before and after the run
READ_PAUSE = 0.05  # seconds between the concurrent reader's reads during the run
MEMORY_CUSTOMERS = 120  # the memory process, for each of its two accounts: a full step and a partial one
_READ_OPS = ("GetItem", "BatchGetItem", "Query", "Scan")
_MOTO_ACCOUNT = "123456789012"  # moto's default account
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
    # The switch at once (no cached answer to wait out), and no waiting before a retried step.
    "AUTHORIZER_CACHE_SECONDS": "0", "ACCOUNT_CACHE_SECONDS": "0", "SHARING_SWITCH_MARGIN_SECONDS": "0", "MIGRATION_RETRY_SECONDS": "0",
}  # fmt: skip


@dataclass
class Latency:
    samples: int
    p50_ms: float
    p99_ms: float
    calls_per_read: float  # DynamoDB round trips
    moved_by_read: int = 0  # reads that moved their customer first (the handover)
    unqueued_p50_ms: float | None = None  # p50 less the time each read waited for moto's turn

    @classmethod
    def of(cls, seconds: list[float], calls: int, moved: int = 0, waits: list[float] | None = None) -> Latency:
        ordered = sorted(seconds) or [0.0]  # a run too short for the reader to finish a read
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        unqueued = statistics.median(s - w for s, w in zip(seconds, waits, strict=True)) * 1000 if waits else None
        return cls(len(seconds), statistics.median(ordered) * 1000, p99 * 1000, calls / max(len(seconds), 1), moved, unqueued)


@dataclass
class Memory:
    customers: int  # of each account
    steps: int  # worker.handle calls traced
    peak_bytes: int  # tracemalloc: the largest peak of traced allocations during one worker.handle, above its start
    peak_step: str  # the phase of that step
    retained_bytes: int  # still allocated after that step
    maxrss_kib: int  # peak RSS of the worker process (VmHWM) after the untraced account's steps
    baseline_maxrss_kib: int  # the same before its first step


@dataclass
class Numbers:
    target: int  # the customers the numbers are for
    customers: int  # the customers measured
    batch_size: int
    items_moved: int  # items of the source pool before the run: customers, overlays, card copies, cards
    domain_seed_ms: float  # a customer through customers.create + payment_methods.create + attach, with their writes
    seed_seconds: float  # all customers: the writes of the same domain calls captured, then batch-written
    wall_seconds: float
    moto_seconds: float  # of the wall time, moto serving the worker's DynamoDB requests (one at a time)
    phases: dict[str, int]  # steps by phase
    calls: dict[str, int]  # the worker's DynamoDB calls by operation
    queries: dict[str, int]  # its Query calls by what they read
    transact_items: dict[str, int]  # the items of its committed TransactWriteItems by table
    data_writes: dict[str, int]  # those in the data table by kind (a Put at a new key: an item the worker moved)
    canceled_transactions: int  # its transactions a race cancelled
    canceled_items: int  # the items of those
    sqs_sends: int
    reader_calls: dict[str, int]  # the concurrent reader's DynamoDB calls by operation
    before: Latency
    during: Latency
    after: Latency
    status: str
    progress: dict[str, int]
    left_in_source: int  # live customers still in the source pool
    announced: int  # customers named by sharing_enablement.progress events
    announced_twice: int  # of those, named by more than one
    duplicates: int  # duplicate emails the enablement reports
    pool_duplicates: int  # customers of the pool seeded with a migrating customer's email
    memory: Memory | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Numbers:
        for name in ("before", "during", "after"):
            data[name] = Latency(**data[name])
        data["memory"] = Memory(**data["memory"]) if data.get("memory") else None
        return cls(**data)


def measure() -> Numbers:
    """The section's numbers: the run and the memory of a step, each in a child process."""
    target = int(os.environ.get("BENCH_MIGRATION_CUSTOMERS", DEFAULT_CUSTOMERS))
    count = min(target, int(os.environ.get("BENCH_MIGRATION_MEASURED", DEFAULT_MEASURED)))
    numbers = Numbers.from_json({**_child("run", str(count)), "target": target})
    numbers.memory = Memory(**_child("memory", str(MEMORY_CUSTOMERS)))
    return numbers


def _child(*args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "bench.migration", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.migration {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def heading(n: Numbers) -> str:
    return (
        f"\nMigration of {n.target:,} customers with one card each into the shared pool (goal: <= 1 batched write per item, "
        "no per-customer read beyond the batch's query)"
    )


def report(n: Numbers) -> list[str]:
    """The section's lines under its heading, as the other sections print theirs."""
    per, steps, scale = n.customers, sum(n.phases.values()), n.target / n.customers
    reads = sum(v for k, v in n.calls.items() if k in _READ_OPS)
    writes = sum(n.calls.values()) - reads

    def scaled(value: float, unit: str = "") -> str:
        return f" (~{value * scale:,.0f}{unit} at {n.target:,})" if scale != 1 else ""

    lines = []
    if scale != 1:
        lines.append(
            f"  measured at {per:,} customers (BENCH_MIGRATION_MEASURED={n.target} measures all {n.target:,}); "
            f"'~' marks a figure extrapolated linearly to {n.target:,}"
        )
    phases = ", ".join(f"{k} {v}" for k, v in n.phases.items())
    lines += [
        f"  wall time                      : {n.wall_seconds:8.1f} s{scaled(n.wall_seconds, ' s')}, "
        f"{per / n.wall_seconds:,.1f} customers/s, {steps} steps of up to {n.batch_size} ({phases})",
        f"{'':35}moto serving the worker's DynamoDB requests {n.moto_seconds / n.wall_seconds:.0%} of it (in-process moto's CPU, "
        "one request at a time; not DynamoDB's latency)",
    ]
    by_op = ", ".join(f"{op} {count:,}" for op, count in sorted(n.calls.items()))
    lines.append(f"  DynamoDB calls of the worker   : {sum(n.calls.values()):8,}{scaled(sum(n.calls.values()))}  {by_op}")
    kinds = ", ".join(f"{k} {v / per:.2f}" for k, v in sorted(n.queries.items(), key=lambda kv: -kv[1]))
    others = ", ".join(f"{op} {n.calls[op] / per:.2f}" for op in _READ_OPS if op != "Query" and n.calls.get(op))
    per_customer = reads - n.queries.get("month index", 0) - 2 * steps  # beyond the batch's query and the checkpoint
    reads_met = per_customer <= 0
    lines.append(
        f"  reads per customer             : {reads / per:8.2f}  Query: {kinds}; {others}; goal: the batch's query, "
        f"{1 / n.batch_size:.2f}{'' if reads_met else '  NOT MET'}"
    )
    lines.append(
        f"  write round trips per customer : {writes / per:8.2f}  "
        + ", ".join(f"{op} {n.calls[op]:,}" for op in sorted(n.calls) if op not in _READ_OPS)
        + f"; {writes / n.items_moved:.3f} an item moved, goal as round trips (<= 1 an item): "
        + ("met" if writes <= n.items_moved else "NOT MET")
    )
    moved = max(n.data_writes.get("Put at a new key", 0), 1)  # the items the worker moved (a read's handover: the rest)
    per_item = n.transact_items.get("data", 0) / moved
    kinds = ", ".join(f"{k} {v / moved:.2f}" for k, v in sorted(n.data_writes.items(), key=lambda kv: -kv[1]))
    lines.append(
        f"  item writes per item moved     : {per_item:8.2f}  {kinds}{'  NOT MET' if per_item > 1 else ''}",
    )
    elsewhere = (sum(n.transact_items.values()) - n.transact_items.get("data", 0)) / moved
    lines.append(
        f"{'':35}(committed; +{elsewhere:.2f} in other tables: counters, checkpoints, events; +{n.canceled_items / moved:.2f} in the "
        f"{_plural(n.canceled_transactions, 'transaction')} a race with a read cancelled; {moved:,} of the {n.items_moved:,} items "
        "moved by the worker)"
    )
    if n.memory is not None:
        m = n.memory
        lines += [
            f"  peak memory of one step        : {m.peak_bytes / 2**20:8.1f} MiB  tracemalloc: the largest peak above a step's start over "
            f"{m.steps} worker.handle calls (a {m.peak_step} step); the worker in a process of its own, moto in another",
            f"  worker process peak RSS        : {m.maxrss_kib / 1024:8.1f} MiB  VmHWM after {m.customers} customers' steps, untraced; "
            f"{m.baseline_maxrss_kib / 1024:.1f} MiB before the first (MigrationFunction has 1024 MB)",
        ]
    lines.append("  customers.retrieve of the migrating account's customers, in process: p50 / p99, DynamoDB calls a read")
    for name, lat in (("before the run", n.before), ("during, from a thread", n.during), ("after the run", n.after)):
        first = f", {lat.moved_by_read} moved their customer first" if lat.moved_by_read else ""
        lines.append(
            f"    {name:<28}: {lat.p50_ms:7.1f} / {lat.p99_ms:7.1f} ms  {lat.calls_per_read:4.2f} calls  ({lat.samples} reads{first})"
        )
    slower = n.during.p50_ms > 1.5 * n.before.p50_ms
    lines.append(
        f"    during / before             : {n.during.p50_ms / n.before.p50_ms:7.1f}x / {n.during.p99_ms / n.before.p99_ms:5.1f}x"
        + ("  (goal: as before) NOT MET" if slower else "")
    )
    complete = n.progress.get("customers_moved") == per and n.left_in_source == 0 and n.status == "succeeded"
    lines += [
        f"  outcome: {n.status}; {n.progress.get('customers_moved', 0):,} customers and {n.progress.get('cards_moved', 0):,} cards moved, "
        f"{n.left_in_source} left behind; {n.duplicates} of {n.pool_duplicates} duplicate emails reported; progress events named "
        f"{n.announced:,} customers ({n.announced_twice} twice or more)" + ("" if complete else "  <- INCOMPLETE"),
        f"  seeding (not timed above): {n.seed_seconds:.0f} s for {per:,} customers, the domain functions' writes captured and "
        f"batch-written; with their own writes {n.domain_seed_ms:.0f} ms a customer (~{n.domain_seed_ms * per / 1000:.0f} s)",
    ]
    return lines + [f"  {line}" for line in _why(n, reads_met, per_item)]


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _why(n: Numbers, reads_met: bool, per_item: float) -> list[str]:
    """Why a goal is not met, from what was counted."""
    per, why = n.customers, []
    if not reads_met:
        named = {"customer partition": "its partition", "card partition": "each card's partition", "email index": "the email index"}
        each = [f"{named.get(k, k)} {v / per:.2f}" for k, v in n.queries.items() if k in named and v / per >= 0.1]
        gets = (n.calls.get("GetItem", 0) + n.calls.get("BatchGetItem", 0)) / max(sum(n.phases.values()), 1)
        why += [
            "reads, why: beyond the one Query of the month index that lists a batch (index projection ALL: it returns the",
            "  customers' shared items), each customer is read again by Queries of its own, a customer: " + ", ".join(each) + ";",
            "  the partitions to learn what to move, the email index for the duplicates check (one Query an email). A step also",
            f"  reads its enablement and which customers joined ({gets:.1f} GetItem/BatchGetItem a step); and the customers of the",
            f"  {_plural(n.canceled_transactions, 'transaction')} a race cancelled were read again, one by one.",
        ]
    if per_item > 1:
        carried = n.transact_items.get("data", 0) / max(n.calls.get("TransactWriteItems", 1) - n.canceled_transactions, 1)
        why += [
            f"writes, why: the round trips are few (~{carried:.0f} item writes a TransactWriteItems), but each item moved is two item",
            "  writes: a conditional Put at its new key and a conditional Delete at the old one (a marker Put for a customer's",
            f"  shared item), transactional, billed at 2 write units each: ~{2 * per_item:.0f} units an item, a batched Put 1.",
        ]
    if n.during.p50_ms > 1.5 * n.before.p50_ms:
        reader = ", ".join(f"{op} {v / max(n.during.samples, 1):.2f}" for op, v in sorted(n.reader_calls.items()))
        unqueued = n.during.unqueued_p50_ms
        why += [
            f"reads during the run, why: {n.during.calls_per_read:.2f} DynamoDB calls a read against {n.before.calls_per_read:.2f} "
            f"({reader}): a read of the",
            "  migrating account looks for the customer in the old pool first (and moves it if it is still there), then reads it",
            "  in the new one. In process a read also waits its turn behind the worker's requests (moto serves one at a time)"
            + (f": {unqueued:.1f} ms p50 without those waits." if unqueued is not None else "."),
        ]
    moved = n.progress.get("customers_moved", 0)
    if n.announced < moved or n.duplicates < n.pool_duplicates or n.announced_twice:
        why += [
            f"gaps: progress events named {n.announced:,} of the {moved:,} customers moved ({n.announced_twice} more than once), and "
            f"{n.duplicates} of the {n.pool_duplicates} duplicate emails were reported ({n.during.moved_by_read} customers moved by reads)."
        ]
    return why


def main() -> None:
    """python -m bench.migration: this section alone, as make bench prints it."""
    numbers = measure()
    print(heading(numbers))
    for line in report(numbers):
        print(line)


# ---------------------------------------------------------------------------------------------
# The child processes.

_MOTO_SECONDS: defaultdict[str, float] = defaultdict(float)  # moto serving DynamoDB requests, by whose they were
_READER_WAIT = [0.0]  # the reader's requests waiting for moto's turn


def _by_reader() -> bool:
    """Whether this thread is the concurrent reader's (or one of its pools')."""
    return threading.current_thread().name.startswith("bench-reader")


def _environment() -> None:
    os.environ.update(_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import logging

    logging.disable(logging.WARNING)


def _accelerate_moto() -> None:
    """moto's DynamoDB in this process fit for tens of thousands of items (see the module's doc)."""
    from moto.core.botocore_stubber import BotocoreStubber

    from localrun import moto_queries, moto_transactions

    moto_transactions.install()
    turn = threading.RLock()
    process = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        if not (target.decode() if isinstance(target, bytes) else str(target)).startswith("DynamoDB_"):
            return process(self, request)
        asked = time.perf_counter()
        with turn:
            started = time.perf_counter()
            if _by_reader():
                _READER_WAIT[0] += started - asked
            try:
                return process(self, request)
            finally:
                _MOTO_SECONDS["reader" if _by_reader() else "worker"] += time.perf_counter() - started

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]

    moto_queries.install()  # a Query walks only what it names, as in the local system


def _moto_items(table: str) -> Any:
    """moto's own items of a table (this process's mock), by partition key, then sort key."""
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[_MOTO_ACCOUNT][os.environ["AWS_DEFAULT_REGION"]].tables[table].items


def _items_of(table: str, prefix: str) -> int:
    """How many items of `table` have a partition key starting with `prefix`."""
    return sum(len(items) for pk, items in _moto_items(table).items() if str(pk.value).startswith(prefix))


def _live_customers(table: str, prefix: str) -> list[str]:
    """The ids of the live customers (shared items still listed by the month index) under `prefix`."""
    live = []
    for pk, items in _moto_items(table).items():
        if str(pk.value).startswith(prefix):
            live += [i.attrs["id"].value for i in items.values() if "gsi1pk" in i.attrs and i.attrs["sk"].value == "CUSTOMER"]
    return sorted(live)


def _named_pools() -> None:
    """Thread pools named after the thread that opens them, so each call counts for whoever made
    it (the worker or the concurrent reader): the migration code's pools, nothing else changed."""
    from orgshare.domain.migration import worker
    from orgshare.storage import migration as migration_store

    class Named(ThreadPoolExecutor):
        def __init__(self, max_workers: int | None = None) -> None:
            super().__init__(max_workers, thread_name_prefix=f"{threading.current_thread().name}/pool")

    for module in (migration_store, worker):
        if hasattr(module, "ThreadPoolExecutor"):
            setattr(module, "ThreadPoolExecutor", Named)  # noqa: B010 - the module's own name for it


@dataclass
class _Counts:
    worker: Counter[str] = field(default_factory=Counter)
    reader: Counter[str] = field(default_factory=Counter)
    queries: Counter[str] = field(default_factory=Counter)
    transact_items: Counter[str] = field(default_factory=Counter)
    data_writes: Counter[str] = field(default_factory=Counter)
    canceled: int = 0
    canceled_items: int = 0
    sends: int = 0
    on: bool = False


def _what(params: dict[str, Any]) -> str:
    """What a Query reads."""
    if params.get("IndexName"):
        return {"by_created": "month index", "by_field": "email index"}.get(params["IndexName"], str(params["IndexName"]))
    pk = str(params.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", ""))
    return "card partition" if "#PM#" in pk else "customer partition" if "#CUS#" in pk else "other"


def _write_kind(kind: str, op: dict[str, Any]) -> str:
    if kind == "Put":
        return "Put at a new key" if op.get("ConditionExpression") == "attribute_not_exists(pk)" else "Put over an item"
    return kind


@contextmanager
def _counting(tables: dict[str, str]) -> Iterator[_Counts]:
    """The worker's DynamoDB calls by operation (the concurrent reader's apart), what its queries
    read, the items of its transactions, its cancelled transactions and its SQS sends."""
    from orgshare import messaging
    from orgshare.storage import dynamo

    counts = _Counts()
    names = {physical: logical for logical, physical in tables.items()}

    def call(model: Any, **_: Any) -> None:
        if counts.on:
            (counts.reader if _by_reader() else counts.worker)[model.name] += 1

    def query(params: dict[str, Any], **_: Any) -> None:
        if counts.on and not _by_reader():
            counts.queries[_what(params)] += 1

    def transaction(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if counts.on and not _by_reader():
            tables, kinds = Counter[str](), Counter[str]()
            for entry in params["TransactItems"]:
                (kind, op), = entry.items()  # fmt: skip
                tables[names.get(op["TableName"], "other")] += 1
                if names.get(op["TableName"]) == "data":
                    kinds[_write_kind(kind, op)] += 1
            context["bench_transaction"] = (tables, kinds)

    def answered(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if counts.on and not _by_reader() and "bench_transaction" in context:
            tables, kinds = context["bench_transaction"]
            if parsed.get("Error", {}).get("Code") == "TransactionCanceledException":
                counts.canceled += 1
                counts.canceled_items += sum(tables.values())
            else:
                counts.transact_items.update(tables)
                counts.data_writes.update(kinds)

    def send(**_: Any) -> None:
        if counts.on:
            counts.sends += 1

    events = dynamo.client().meta.events
    hooks: list[tuple[Any, str, Callable[..., None]]] = [
        (events, "before-call.dynamodb", call),
        (events, "provide-client-params.dynamodb.Query", query),
        (events, "provide-client-params.dynamodb.TransactWriteItems", transaction),
        (events, "after-call.dynamodb.TransactWriteItems", answered),
        (messaging.sqs().meta.events, "before-call.sqs.SendMessage", send),
    ]
    for emitter, name, hook in hooks:
        emitter.register(name, hook)
    try:
        yield counts
    finally:
        for emitter, name, hook in hooks:
            emitter.unregister(name, hook)


def _resources() -> dict[str, str]:
    """The template's tables, queues and keys in moto, and the functions' environment set (with
    this bench's settings over it); the tables' names."""
    from localrun import aws as local_aws
    from localrun import template as tpl
    from orgshare.settings import get_settings

    template = tpl.load()
    env = tpl.function_environment(template, local_aws.create_resources(template))
    os.environ.update({**env, **{k: v for k, v in _ENV.items() if not k.startswith("AWS_")}})
    get_settings.cache_clear()
    return {"data": env["DATA_TABLE"], "directory": env["DIRECTORY_TABLE"], "events": env["EVENTS_TABLE"]}


def _new_customer(who: Any, n: int, cards: bool) -> None:
    """Customer n of `who` (email c<n>@example.com, a name, metadata), with a card: the domain calls."""
    from orgshare.domain import customers, payment_methods
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.customers import CustomerCreate
    from orgshare.params.payment_methods import CardInput, PaymentMethodAttach, PaymentMethodCreate

    request = RequestInfo("req_bench_seed")
    params = CustomerCreate.model_validate({"email": f"c{n}@example.com", "name": f"Customer {n}", "metadata": {"n": str(n)}})
    created = customers.create(who, params, request)
    if cards:
        pm = payment_methods.create(who, PaymentMethodCreate(type="card", card=CardInput(token="tok_visa")), request)  # noqa: S106
        payment_methods.attach(who, pm["id"], PaymentMethodAttach(customer=created["id"]), request)


def _seed_by_domain(who: Any, first: int, count: int) -> float:
    """`count` customers through the domain functions with their own writes: ms a customer."""
    started = time.perf_counter()
    for n in range(first, first + count):
        _new_customer(who, n, cards=True)
    return (time.perf_counter() - started) / max(count, 1) * 1000


def _seed(who: Any, first: int, count: int, *, cards: bool = True) -> float:
    """`count` customers of `who` as customers.create, payment_methods.create and attach make them:
    those calls run as they are, their writes captured and, once they add up, batch-written
    (BatchWriteItem, 25 items a call); the change records they would queue for events are left out.
    Seconds taken."""
    import orgshare.storage.payment_methods as method_store
    from orgshare.settings import get_settings
    from orgshare.storage import dynamo, receipts
    from orgshare.vault import sealing

    started = time.perf_counter()
    data = get_settings().data_table
    pending: dict[tuple[str, str], dict[str, Any]] = {}  # the data table's items as the writes leave them
    methods: dict[str, dict[str, Any]] = {}

    def apply(writes: list[dict[str, Any]]) -> None:
        for write in writes:
            (kind, op), = write.items()  # fmt: skip
            if op["TableName"] != data or kind == "ConditionCheck":
                continue
            where = op.get("Item") or op["Key"]
            at = (where["pk"]["S"], where["sk"]["S"])
            if kind == "Put":
                pending[at] = op["Item"]
            elif kind == "Delete":
                pending.pop(at, None)
            else:
                raise ValueError(f"seeding does not replay {kind}")

    def recorded(writes: list[dict[str, Any]], answer: dict[str, Any]) -> None:  # the request's transaction (no receipt here)
        del answer
        apply(writes)
        for write in writes:  # a new payment method's own item: the attach that follows reads it
            item = dynamo.from_item(write["Put"]["Item"]) if "Put" in write else {}
            if str(item.get("id", "")).startswith("pm_"):
                methods.setdefault(item["id"], item)

    def get(scope: Any, pm: str, account: str, customer: str | None = None) -> tuple[Any, Any]:
        return methods[pm], {"id": customer, "sk": "CUSTOMER", "version": 1}  # the method just made, its customer just made

    fingerprints: dict[tuple[str, str, str], str] = {}
    fingerprint = sealing.fingerprint

    def same_fingerprint(org: str, kind: str, value: str) -> str:  # a keyed hash: the same for the same card
        if (org, kind, value) not in fingerprints:
            fingerprints[org, kind, value] = fingerprint(org, kind, value)
        return fingerprints[org, kind, value]

    patches = {(receipts, "transact"): recorded, (method_store, "get"): get, (sealing, "fingerprint"): same_fingerprint}
    saved = {(module, name): getattr(module, name) for module, name in patches}
    for (module, name), value in patches.items():
        setattr(module, name, value)
    try:
        for n in range(first, first + count):
            _new_customer(who, n, cards)
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)
    items = list(pending.values())
    for start in range(0, len(items), 25):
        batch: dict[str, Any] = {data: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while batch:
            batch = dynamo.client().batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    return time.perf_counter() - started


def _drain(step: Callable[[dict[str, Any]], None]) -> int:
    """Runs `step` (the worker, measured) on each message of the migration queue until none is
    left, as the queue's event source does (one message a call); how many there were."""
    from orgshare import messaging
    from orgshare.settings import get_settings

    sqs, url = messaging.sqs(), get_settings().migration_queue_url
    handled = 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=30).get("Messages", [])
        if not got:
            return handled
        step(json.loads(got[0]["Body"]))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
        handled += 1


def _phase(message: dict[str, Any]) -> str:
    """The phase of the step a message asks for, as the enablement's checkpoint has it."""
    from orgshare.storage import enablements as enablement_store

    found = enablement_store.get(message["org"], message["mode"], message["enablement"]) or {}
    if int(message.get("seq", -1)) != found.get("seq"):
        return "stale"
    return str((found.get("cursor") or {}).get("phase", found.get("status", "?")))


def _timed_reads(who: Any, ids: list[str], count: int) -> Latency:
    from orgshare.domain import customers
    from orgshare.params.customers import CustomerRetrieve
    from orgshare.storage import dynamo

    calls: list[int] = []
    hook: Callable[..., None] = lambda **_: calls.append(1)  # noqa: E731
    dynamo.client().meta.events.register("before-call.dynamodb", hook)
    seconds = []
    try:
        for cus in random.sample(ids, min(count, len(ids))):
            started = time.perf_counter()
            customers.retrieve(who, cus, CustomerRetrieve())
            seconds.append(time.perf_counter() - started)
    finally:
        dynamo.client().meta.events.unregister("before-call.dynamodb", hook)
    return Latency.of(seconds, len(calls))


class _Reader(threading.Thread):
    """customers.retrieve of random customers of the migrating account, one after the other with
    a short pause between, until stopped."""

    def __init__(self, who: Any, ids: list[str], counts: _Counts) -> None:
        super().__init__(name="bench-reader", daemon=True)
        self.who, self.ids, self.counts = who, ids, counts
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.waits: list[float] = []
        self.moved = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        from orgshare.domain import customers
        from orgshare.params.customers import CustomerRetrieve

        try:
            while not self.stop.is_set():
                cus = random.choice(self.ids)  # noqa: S311
                transactions = self.counts.reader["TransactWriteItems"]
                waited, started = _READER_WAIT[0], time.perf_counter()
                customers.retrieve(self.who, cus, CustomerRetrieve())
                self.seconds.append(time.perf_counter() - started)
                self.waits.append(_READER_WAIT[0] - waited)
                self.moved += self.counts.reader["TransactWriteItems"] > transactions
                self.stop.wait(READ_PAUSE)
        except BaseException as exc:  # reported by the run, which must not hang on it
            self.failure = exc


def _org() -> tuple[Any, Any, dict[str, str]]:
    """The demo organization (a platform; Rocket Rides, connected, in the shared pool; Rocket Rentals
    and Rocket Repairs, standard): the platform and Rocket Rides as principals, and every key."""
    from orgshare import admin
    from orgshare.domain import auth

    keys = {a.name: a.key for a in admin.seed_demo().accounts}
    return auth.authenticate(keys["Rocket Platform"]), auth.authenticate(keys["Rocket Rides"]), keys


def _enable(platform: Any, account: str) -> dict[str, Any]:
    from orgshare.domain.organization import enablements
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.organization import SharingEnablementCreate

    return enablements.create(platform, SharingEnablementCreate(accounts=[account], consent_collected=True), RequestInfo("req_bench"))


def _duplicates(platform: Any, enablement: str) -> int:
    from orgshare.domain.organization import enablements
    from orgshare.params.organization import SharingDuplicateList

    found, after = 0, None
    while True:
        page = enablements.duplicates(platform, enablement, SharingDuplicateList(limit=100, starting_after=after), "")
        found += len(page["data"])
        if not page["has_more"]:
            return found
        after = page["data"][-1]["id"]


def run(count: int) -> Numbers:
    """The run, in this process under mock_aws: seed, time reads, enable sharing for Rocket
    Rentals, drain the migration queue with a reader beside it, time reads again."""
    from moto import mock_aws

    with mock_aws():
        _accelerate_moto()
        return _run(count, _resources())


def _run(count: int, tables: dict[str, str]) -> Numbers:
    from orgshare.domain import auth
    from orgshare.domain.migration import worker
    from orgshare.domain.organization import enablements
    from orgshare.settings import get_settings
    from orgshare.storage import dynamo

    _named_pools()
    platform, rides, keys = _org()
    rentals = auth.authenticate(keys["Rocket Rentals"])
    domain_ms = _seed_by_domain(rentals, 0, min(DOMAIN_SEEDED, count))
    seed_seconds = _seed(rentals, DOMAIN_SEEDED, max(count - DOMAIN_SEEDED, 0))
    _seed(rides, 0, POOL_DUPLICATES, cards=False)  # in the shared pool already, with the emails of migrating customers
    source = rentals.scope.prefix + "#"
    ids = _live_customers(tables["data"], source)
    assert len(ids) == count, f"seeded {len(ids)} customers, wanted {count}"
    items_moved = _items_of(tables["data"], source)
    before = _timed_reads(rentals, ids, READS)

    enablement = _enable(platform, rentals.account)
    # From here on a warm container's account cache, as deployed (the switch time is set already).
    os.environ["ACCOUNT_CACHE_SECONDS"] = "60"
    get_settings.cache_clear()
    auth._account_cache.clear()
    migrating = auth.authenticate(keys["Rocket Rentals"])  # as the authorizer answers for the run
    assert migrating.migrating and migrating.source_pool == rentals.pool, migrating
    with _counting(tables) as counts:
        reader = _Reader(migrating, ids, counts)
        phases: list[str] = []

        def step(message: dict[str, Any]) -> None:
            counts.on = False  # the bench's own look at the checkpoint
            phases.append(_phase(message))
            counts.on = True
            worker.handle(message)

        busy, started = _MOTO_SECONDS["worker"], time.perf_counter()
        reader.start()
        try:
            _drain(step)
        finally:
            reader.stop.set()
            reader.join()
        wall, busy = time.perf_counter() - started, _MOTO_SECONDS["worker"] - busy
        counts.on = False
    if reader.failure is not None:
        raise RuntimeError("the concurrent reader failed") from reader.failure
    during = Latency.of(reader.seconds, sum(counts.reader.values()), reader.moved, reader.waits)
    auth._account_cache.clear()
    after = _timed_reads(auth.authenticate(keys["Rocket Rentals"]), ids, READS)

    state = enablements.retrieve(platform, enablement["id"])
    scan = dynamo.client().get_paginator("scan").paginate(
        TableName=tables["events"], FilterExpression="#t = :t", ExpressionAttributeNames={"#t": "type"},
        ExpressionAttributeValues={":t": {"S": "sharing_enablement.progress"}},
    )  # fmt: skip
    progress = [dynamo.from_item(i)["object"] for page in scan for i in page["Items"]]
    named = Counter(c for p in progress for c in (p.get("latest_batch") or {}).get("customers", []))
    return Numbers(
        target=count, customers=count, batch_size=get_settings().migration_batch_size, items_moved=items_moved,
        domain_seed_ms=domain_ms, seed_seconds=seed_seconds, wall_seconds=wall, moto_seconds=busy, phases=dict(Counter(phases)),
        calls=dict(counts.worker), queries=dict(counts.queries), transact_items=dict(counts.transact_items),
        data_writes=dict(counts.data_writes), canceled_transactions=counts.canceled, canceled_items=counts.canceled_items,
        sqs_sends=counts.sends, reader_calls=dict(counts.reader), before=before, during=during, after=after,
        status=state["status"], progress=state["progress"], left_in_source=len(_live_customers(tables["data"], source)),
        announced=len(named), announced_twice=sum(1 for v in named.values() if v > 1),
        duplicates=_duplicates(platform, enablement["id"]), pool_duplicates=min(POOL_DUPLICATES, count),
    )  # fmt: skip


def memory(count: int) -> Memory:
    """This process as a worker of its own against a moto server in another process: Rocket
    Rentals' and Rocket Repairs' `count` customers each, the one's steps untraced (peak RSS),
    the other's under tracemalloc (each step's peak)."""
    from localrun import aws as local_aws

    server = subprocess.Popen(
        [sys.executable, "-c", "import logging, sys; from localrun.moto_server import MotoServer; logging.disable(logging.WARNING); "
         "s = MotoServer(); print(s.endpoint, flush=True); sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        os.environ.update(local_aws.tool_environment(server.stdout.readline().strip()))
        _resources()
        return _memory(count)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


def _peak_rss_kib() -> int:
    """This process's peak resident set (KiB): VmHWM, which starts afresh with the process's own
    image (ru_maxrss keeps the parent's across fork and exec), else ru_maxrss."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def _memory(count: int) -> Memory:
    from orgshare.domain import auth
    from orgshare.domain.migration import worker

    platform, _rides, keys = _org()
    rentals, repairs = auth.authenticate(keys["Rocket Rentals"]), auth.authenticate(keys["Rocket Repairs"])
    _seed(rentals, 0, count)
    _seed(repairs, count, count)
    baseline = _peak_rss_kib()
    _enable(platform, rentals.account)
    _drain(worker.handle)
    maxrss = _peak_rss_kib()
    peaks: list[tuple[int, int, str]] = []

    def traced(message: dict[str, Any]) -> None:
        phase = _phase(message)
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        worker.handle(message)
        current, peak = tracemalloc.get_traced_memory()
        peaks.append((peak - start, current - start, phase))

    _enable(platform, repairs.account)
    tracemalloc.start()
    try:
        _drain(traced)
    finally:
        tracemalloc.stop()
    peak, retained, phase = max(peaks)
    return Memory(count, len(peaks), peak, phase, retained, maxrss, baseline)


def _child_main(part: str, count: int) -> None:
    _environment()
    print(json.dumps(asdict(run(count) if part == "run" else memory(count))))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("run", "memory"):
        _child_main(sys.argv[1], int(sys.argv[2]))
    else:
        main()
