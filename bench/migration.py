"""make bench, migration: a sharing enablement moving a standard account's customers (one card
each) into the shared pool. Wall time, DynamoDB round trips per customer, the memory of a batch
worker's step, and the latency of the migrating account's reads before, during and after the run.

`python -m bench.migration` runs this section alone; BENCH_MIGRATION_CUSTOMERS shrinks it (10,000
by default). Everything runs in child processes: the run itself over in-process moto (mock_aws),
and the memory of a step in a worker process of its own, against a moto server in another process,
so that the step's allocations are the worker's alone.

In-process moto is made fit for 10,000 customers in the run's process, and only there (none of
this changes what a client sends or receives, so round trips count as they would on DynamoDB):
transactions back up the items they name instead of deep-copying the table (localrun's own
moto_transactions, as the local server does), DynamoDB requests take turns (as in the local
server), and a Query looks at the partition (or the index key) it names: moto sorts and walks the
whole table for each one, which at 40,000 items costs more than the rest of the request.
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
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CUSTOMERS = 10_000
DOMAIN_SEEDED = 20  # customers seeded through the domain functions with their real writes (timed)
POOL_DUPLICATES = 100  # customers already in the shared pool with the email of a migrating one
READS = 300  # reads timed before and after the run
READ_PAUSE = 0.02  # seconds between the concurrent reader's reads during the run
MEMORY_CUSTOMERS = 250  # the memory process: two full steps and a partial one at the default batch size
_READ_OPS = ("GetItem", "BatchGetItem", "Query", "Scan")
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

    @classmethod
    def of(cls, seconds: list[float], calls: int, moved: int = 0) -> Latency:
        ordered = sorted(seconds)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return cls(len(ordered), statistics.median(ordered) * 1000, p99 * 1000, calls / max(len(ordered), 1), moved)


@dataclass
class Memory:
    customers: int
    steps: int
    peak_bytes: int  # tracemalloc: the largest peak of traced allocations in one worker.handle, above its start
    peak_step: str  # which step that was
    retained_bytes: int  # still allocated after that step (caches, the step's leftovers)
    maxrss_kib: int  # ru_maxrss of the worker process after an untraced run (interpreter, imports, steps)
    baseline_maxrss_kib: int  # ru_maxrss of the same process before its first step


@dataclass
class Numbers:
    customers: int
    batch_size: int
    items_moved: int  # items in the source pool before the run: customers, overlays, card copies, cards
    domain_seed_ms: float  # per customer, through customers.create + payment_methods.create + attach, real writes
    seed_seconds: float  # all customers, the writes captured from the same domain calls then batch-written
    wall_seconds: float
    steps: int
    calls: dict[str, int]  # the worker's DynamoDB calls by operation
    transact_items: dict[str, int]  # items of its TransactWriteItems, by table
    canceled_transactions: int  # transactions a race cancelled (the worker falls back to one customer a transaction)
    sqs_sends: int
    before: Latency
    during: Latency
    after: Latency
    status: str
    progress: dict[str, int]
    left_in_source: int
    announced: int  # customers named by sharing_enablement.progress events
    duplicates: int
    memory: Memory | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Numbers:
        for name in ("before", "during", "after"):
            data[name] = Latency(**data[name])
        data["memory"] = Memory(**data["memory"]) if data.get("memory") else None
        return cls(**data)


def measure(customers: int | None = None) -> Numbers:
    """The section's numbers: the run and the memory of a step, each in a child process."""
    count = customers if customers is not None else int(os.environ.get("BENCH_MIGRATION_CUSTOMERS", DEFAULT_CUSTOMERS))
    numbers = Numbers.from_json(_child("run", str(count)))
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


def report(n: Numbers) -> list[str]:
    """The section's lines, as the other sections print theirs (the heading is the caller's)."""
    worker_calls = sum(n.calls.values())
    reads = sum(v for k, v in n.calls.items() if k in _READ_OPS)
    writes = worker_calls - reads
    data_items = n.transact_items.get("data", 0)
    all_items = sum(n.transact_items.values())
    per_item = data_items / max(n.items_moved, 1)
    rate = n.customers / n.wall_seconds
    by_op = ", ".join(f"{op} {count:,}" for op, count in sorted(n.calls.items()))
    lines = [
        f"  wall time                      : {n.wall_seconds:8.1f} s   {rate:,.0f} customers/s, {n.steps} steps of up to {n.batch_size} "
        "(in-process moto: its per-request CPU, not DynamoDB's latency)",
        f"  DynamoDB calls of the worker   : {worker_calls:8,}     {by_op}",
        f"  reads per customer             : {reads / n.customers:8.2f}     goal: none beyond the batch's query (~{n.steps / n.customers:.2f})",
        f"  write round trips per customer : {writes / n.customers:8.2f}     ({n.calls.get('TransactWriteItems', 0):,} transactions, "
        f"{n.canceled_transactions} cancelled by a race)",
        f"  items written per item moved   : {per_item:8.2f}     goal <= 1 ({n.items_moved:,} items moved; {data_items:,} data-table "
        f"writes, {all_items - data_items:,} more for counters, checkpoints and events)",
        f"  SQS SendMessage (next steps)   : {n.sqs_sends:8,}",
    ]
    if n.memory is not None:
        m = n.memory
        lines.append(
            f"  peak memory of one step        : {m.peak_bytes / 2**20:8.1f} MiB  tracemalloc peak above the step's start, largest of "
            f"{m.steps} worker.handle calls ({m.peak_step}, {m.customers} customers, worker process of its own over moto server)"
        )
        lines.append(
            f"  worker process ru_maxrss       : {m.maxrss_kib / 1024:8.1f} MiB  ({m.baseline_maxrss_kib / 1024:.1f} MiB before its first "
            "step: interpreter, boto3, orgshare; MigrationFunction has 1024 MB)"
        )
    lines.append("  customers.retrieve on the migrating account, in process (p50 / p99, DynamoDB calls per read):")
    for name, lat in (("before the run", n.before), ("during, concurrent thread", n.during), ("after the run", n.after)):
        moved = f", {lat.moved_by_read} moved their customer first" if lat.moved_by_read else ""
        lines.append(
            f"    {name:<27}: {lat.p50_ms:6.2f} / {lat.p99_ms:7.2f} ms  {lat.calls_per_read:4.2f} calls  ({lat.samples} reads{moved})"
        )
    lines.append(
        f"    during / before            : {n.during.p50_ms / n.before.p50_ms:6.2f}x / {n.during.p99_ms / n.before.p99_ms:6.2f}x  "
        "(the reader shares the GIL and moto's turn with the worker: moto serves one DynamoDB request at a time)"
    )
    done = n.progress.get("customers_moved", 0) == n.customers and n.left_in_source == 0 and n.status == "succeeded"
    lines.append(
        f"  outcome: {n.status}, {n.progress.get('customers_moved', 0):,} customers and {n.progress.get('cards_moved', 0):,} cards moved, "
        f"{n.left_in_source} left in the source pool, {n.duplicates} duplicate emails reported" + ("" if done else "  <- NOT COMPLETE")
    )
    lines.append(
        f"  seeding (not in the numbers): {n.seed_seconds:.1f} s for {n.customers:,} customers from the domain functions' captured "
        f"writes; through the domain functions with real writes {n.domain_seed_ms:.0f} ms a customer "
        f"(~{n.domain_seed_ms * n.customers / 1000:.0f} s)"
    )
    lines += [f"  {note}" for note in _verdicts(n, reads, per_item)]
    return lines


def _verdicts(n: Numbers, reads: int, per_item: float) -> list[str]:
    notes = []
    if reads / n.customers > 2 * n.steps / n.customers + 0.05:
        notes.append(
            f"NOT MET, reads: {reads / n.customers:.2f} a customer. Each step re-reads every customer its index page listed with one "
            "Query of the customer's partition and one Query of each card's partition (concurrently, 16 at a time), although the "
            "page (index projection ALL) already returned the customer's shared item; then one Query of the pool's email index "
            "per moved customer with an email (the duplicates check). Per step: 2 GetItem of the enablement (the handler's and "
            "the one before the checkpoint)."
        )
    if per_item > 1:
        notes.append(
            f"NOT MET, writes: {per_item:.2f} item writes per item moved, though only {n.calls.get('TransactWriteItems', 0) / n.customers:.2f} "
            "round trips a customer. A move is a conditional Put at the new key and a conditional Delete (the customer's "
            "shared item: a marker Put) at the old one, in TransactWriteItems, which DynamoDB bills at 2 write units an item: "
            f"about {2 * per_item:.0f} write units per item moved against 1 for a batched Put."
        )
    if n.announced != n.progress.get("customers_moved", 0):
        notes.append(
            f"progress events named {n.announced:,} of the {n.progress.get('customers_moved', 0):,} customers moved: those a read "
            "moved first (handover) are named in no sharing_enablement.progress event, and get no duplicates check."
        )
    return [*notes, *n.notes]


def main() -> None:
    """python -m bench.migration: this section alone, as make bench prints it."""
    numbers = measure()
    print(heading(numbers))
    for line in report(numbers):
        print(line)


def heading(n: Numbers) -> str:
    return (
        f"\nMigration of {n.customers:,} customers with one card each into the shared pool (goal: <= 1 batched write per item, "
        "no per-customer read beyond the batch's query; reads on the migrating account as fast as before)"
    )


# ---------------------------------------------------------------------------------------------
# The child processes.


def _environment() -> None:
    os.environ.update(_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import logging

    logging.disable(logging.WARNING)


def _accelerate_moto() -> None:
    """moto's DynamoDB in this process fit for tens of thousands of items (see the module's doc)."""
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    from localrun import moto_transactions

    moto_transactions.install()
    turn = threading.RLock()
    process = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        if (target.decode() if isinstance(target, bytes) else str(target)).startswith("DynamoDB_"):
            with turn:
                return process(self, request)
        return process(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]

    # Index keys ever written, by (attribute, value): a superset of the items an index Query can
    # match (moto's own loop still checks each), as an item's partition is for a table Query.
    def index_keys(table: Any) -> dict[Any, set[Any]]:
        found: dict[Any, set[Any]] | None = table.__dict__.get("_bench_index")
        if found is None:
            found = table.__dict__["_bench_index"] = {}
            table.__dict__["_bench_attrs"] = {k["AttributeName"] for i in table.all_indexes() for k in i.schema if k["KeyType"] == "HASH"}
            for held in table.items.values():
                for item in held.values() if table.range_key_attr else [held]:
                    remember(table, item)
        return found

    def remember(table: Any, item: Any) -> None:
        if item is None:
            return
        keys = index_keys(table)
        for attr in table.__dict__["_bench_attrs"]:
            value = item.attrs.get(attr)
            if value is not None:
                keys.setdefault((attr, value), set()).add((item.hash_key, item.range_key))

    put = Table.put_item

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = put(self, *args, **kwargs)
        remember(self, item)
        return item

    update = DynamoDBBackend.update_item

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = update(self, table_name, *args, **kwargs)
        remember(self.get_table(table_name), item)
        return item

    query = Table.query

    def narrowed_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name:
            attr = next(k["AttributeName"] for k in self.get_index(index_name).schema if k["KeyType"] == "HASH")
            value = next((v for a, v in kwargs.get("hash_key_conditions") or [] if a == attr), hash_key)
            found = (self.get_item(h, r) if r is not None else self.items.get(h) for h, r in index_keys(self).get((attr, value), ()))
            candidates = [i for i in found if i is not None]
        elif self.range_key_attr:
            candidates = list(self.items.get(hash_key, {}).values())
        else:
            candidates = [self.items[hash_key]] if hash_key in self.items else []
        self.all_items = lambda: candidates
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.put_item = put_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
    Table.query = narrowed_query  # type: ignore[method-assign]


def _named_pools() -> None:
    """Thread pools named after the thread that opens them, so each call counts for whoever made
    it (the worker or the concurrent reader): the migration code's pools, nothing else changed."""
    from orgshare.domain.migration import worker
    from orgshare.storage import migration as migration_store

    class Named(ThreadPoolExecutor):
        def __init__(self, max_workers: int | None = None) -> None:
            super().__init__(max_workers, thread_name_prefix=f"{threading.current_thread().name}/pool")

    migration_store.ThreadPoolExecutor = Named  # type: ignore[misc]
    worker.ThreadPoolExecutor = Named  # type: ignore[misc]


@dataclass
class _Counts:
    worker: Counter[str] = field(default_factory=Counter)
    reader: Counter[str] = field(default_factory=Counter)
    transact_items: Counter[str] = field(default_factory=Counter)
    canceled: int = 0
    sends: int = 0
    on: bool = False


@contextmanager
def _counting(tables: dict[str, str]) -> Iterator[_Counts]:
    """The worker's DynamoDB calls by operation (and the concurrent reader's, apart), the items
    of its transactions by table, its cancelled transactions and its SQS sends."""
    from orgshare import messaging
    from orgshare.storage import dynamo

    counts = _Counts()
    names = {physical: logical for logical, physical in tables.items()}

    def reader() -> bool:
        return threading.current_thread().name.startswith("bench-reader")

    def call(model: Any, **_: Any) -> None:
        if counts.on:
            (counts.reader if reader() else counts.worker)[model.name] += 1

    def transaction(params: dict[str, Any], **_: Any) -> None:
        if counts.on and not reader():
            for entry in params["TransactItems"]:
                counts.transact_items[names.get(next(iter(entry.values()))["TableName"], "other")] += 1

    def answered(parsed: dict[str, Any], **_: Any) -> None:
        if counts.on and not reader() and parsed.get("Error", {}).get("Code") == "TransactionCanceledException":
            counts.canceled += 1

    def send(**_: Any) -> None:
        if counts.on:
            counts.sends += 1

    events = dynamo.client().meta.events
    hooks: list[tuple[Any, str, Callable[..., None]]] = [
        (events, "before-call.dynamodb", call),
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
    """The template's tables, queues and keys in moto, and the functions' environment set; the
    data, directory and events tables' names."""
    from localrun import aws as local_aws
    from localrun import template as tpl

    template = tpl.load()
    env = tpl.function_environment(template, local_aws.create_resources(template))
    os.environ.update({**env, **{k: v for k, v in _ENV.items() if not k.startswith("AWS_")}})  # ours over the template's
    from orgshare.settings import get_settings

    get_settings.cache_clear()
    return {"data": env["DATA_TABLE"], "directory": env["DIRECTORY_TABLE"], "events": env["EVENTS_TABLE"]}


def _seed(who: Any, first: int, count: int, *, cards: bool = True) -> float:
    """`count` customers of `who` (email c<n>@example.com, a name, metadata) with one card each,
    as customers.create, payment_methods.create and attach make them: those calls run as they
    are, their writes captured and batch-written (BatchWriteItem, 25 a call) once they add up;
    the change records they would queue for events are left out. Seconds taken."""
    import orgshare.storage.customers as customer_store
    import orgshare.storage.payment_methods as method_store
    from orgshare.domain import customers, payment_methods
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.customers import CustomerCreate
    from orgshare.params.payment_methods import CardInput, PaymentMethodAttach, PaymentMethodCreate
    from orgshare.settings import get_settings
    from orgshare.storage import dynamo
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

    class Capture:
        def put_item(self, **put: Any) -> None:
            apply([{"Put": put}])
            item = dynamo.from_item(put["Item"])
            methods[item["id"]] = item

    def get(scope: Any, pm: str, account: str, customer: str | None = None) -> tuple[Any, Any]:
        return methods[pm], {"id": customer, "sk": "CUSTOMER", "version": 1}

    fingerprints: dict[tuple[str, str, str], str] = {}
    fingerprint = sealing.fingerprint

    def same_fingerprint(org: str, kind: str, value: str) -> str:  # a keyed hash: the same for the same card
        if (org, kind, value) not in fingerprints:
            fingerprints[org, kind, value] = fingerprint(org, kind, value)
        return fingerprints[org, kind, value]

    patches = {(customer_store, "transact"): apply, (method_store, "transact"): apply, (method_store, "client"): Capture,
               (method_store, "get"): get, (sealing, "fingerprint"): same_fingerprint}  # fmt: skip
    saved = {(module, name): getattr(module, name) for module, name in patches}
    for (module, name), value in patches.items():
        setattr(module, name, value)
    request = RequestInfo("req_bench_seed")
    try:
        for n in range(first, first + count):
            params = CustomerCreate.model_validate({"email": f"c{n}@example.com", "name": f"Customer {n}", "metadata": {"n": str(n)}})
            created = customers.create(who, params, request)
            if cards:
                pm = payment_methods.create(who, PaymentMethodCreate(type="card", card=CardInput(token="tok_visa")), request)
                payment_methods.attach(who, pm["id"], PaymentMethodAttach(customer=created["id"]), request)
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)
    items = list(pending.values())
    for start in range(0, len(items), 25):
        batch: dict[str, Any] = {data: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while batch:
            batch = dynamo.client().batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    return time.perf_counter() - started


def _seed_by_domain(who: Any, first: int, count: int) -> float:
    """`count` customers through the domain functions with their real writes: ms a customer."""
    from orgshare.domain import customers, payment_methods
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.customers import CustomerCreate
    from orgshare.params.payment_methods import CardInput, PaymentMethodAttach, PaymentMethodCreate

    request = RequestInfo("req_bench_seed")
    started = time.perf_counter()
    for n in range(first, first + count):
        params = CustomerCreate.model_validate({"email": f"c{n}@example.com", "name": f"Customer {n}", "metadata": {"n": str(n)}})
        created = customers.create(who, params, request)
        pm = payment_methods.create(who, PaymentMethodCreate(type="card", card=CardInput(token="tok_visa")), request)
        payment_methods.attach(who, pm["id"], PaymentMethodAttach(customer=created["id"]), request)
    return (time.perf_counter() - started) / count * 1000


def _customer_ids(scope: Any) -> list[str]:
    """The pool's live customers, from its month index."""
    from orgshare.domain.migration import worker
    from orgshare.storage import migration as migration_store

    ids: list[str] = []
    for month in worker._months_of(scope, None):
        after = None
        while True:
            page = migration_store.unmoved_customers(scope, month, after, 1000)
            ids += [c["id"] for c in page]
            if len(page) < 1000:
                break
            after = page[-1]["id"]
    return ids


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
    from orgshare.storage import enablements as enablement_store

    found = enablement_store.get(message["org"], message["mode"], message["enablement"]) or {}
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
    """customers.retrieve of random customers of the migrating account, one after the other, a
    short pause between, until stopped."""

    def __init__(self, who: Any, ids: list[str], counts: _Counts) -> None:
        super().__init__(name="bench-reader", daemon=True)
        self.who, self.ids, self.counts = who, ids, counts
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.moved = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        from orgshare.domain import customers
        from orgshare.params.customers import CustomerRetrieve

        try:
            while not self.stop.is_set():
                cus = random.choice(self.ids)
                transactions = self.counts.reader["TransactWriteItems"]
                started = time.perf_counter()
                customers.retrieve(self.who, cus, CustomerRetrieve())
                self.seconds.append(time.perf_counter() - started)
                self.moved += self.counts.reader["TransactWriteItems"] > transactions
                self.stop.wait(READ_PAUSE)
        except BaseException as exc:  # reported by the run, which must not hang on it
            self.failure = exc


def _org() -> tuple[Any, Any, Any, Any]:
    """The demo organization: its platform, Rocket Rentals and Rocket Repairs (standard), Rocket
    Rides (connected, in the shared pool), as principals of their keys."""
    from orgshare import admin
    from orgshare.domain import auth

    demo = admin.seed_demo()
    keys = {a.name: a.key for a in demo.accounts}
    return demo, auth.authenticate(keys["Rocket Platform"]), auth.authenticate(keys["Rocket Rides"]), keys


def _enable(platform: Any, account: str) -> dict[str, Any]:
    from orgshare.domain.organization import enablements
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.organization import SharingEnablementCreate

    return enablements.create(platform, SharingEnablementCreate(accounts=[account], consent_collected=True), RequestInfo("req_bench"))


def run(count: int) -> Numbers:
    """The run (in this process, under mock_aws): seed, time reads, enable sharing for Rocket
    Rentals, drain the migration queue with a reader beside it, time reads again."""
    from moto import mock_aws

    with mock_aws():
        _accelerate_moto()
        tables = _resources()
        return _run(count, tables)


def _items_of(table: str, prefix: str) -> int:
    """How many items of `table` have a partition key starting with `prefix` (moto's own count)."""
    from moto.dynamodb.models import dynamodb_backends

    held = dynamodb_backends["123456789012"][os.environ["AWS_DEFAULT_REGION"]].tables[table].items
    return sum(len(items) for pk, items in held.items() if str(pk.value).startswith(prefix))


def _run(count: int, tables: dict[str, str]) -> Numbers:
    from orgshare.domain import auth
    from orgshare.domain.migration import worker
    from orgshare.domain.organization import enablements
    from orgshare.settings import get_settings
    from orgshare.storage import dynamo
    from orgshare.storage import migration as migration_store

    _named_pools()
    _demo, platform, rides, keys = _org()
    rentals = auth.authenticate(keys["Rocket Rentals"])
    domain_ms = _seed_by_domain(rentals, 0, min(DOMAIN_SEEDED, count))
    seed_seconds = _seed(rentals, DOMAIN_SEEDED, max(count - DOMAIN_SEEDED, 0))
    _seed(rides, 0, POOL_DUPLICATES, cards=False)  # already in the shared pool, with emails of migrating customers
    source = rentals.scope
    ids = _customer_ids(source)
    assert len(ids) == count, f"seeded {len(ids)} customers, wanted {count}"
    items_moved = _items_of(tables["data"], source.prefix + "#")
    before = _timed_reads(rentals, ids, READS)

    enablement = _enable(platform, rentals.account)
    # From here a warm container's account cache, as in a deployment (the switch time is already set).
    os.environ["ACCOUNT_CACHE_SECONDS"] = "60"
    get_settings.cache_clear()
    auth._account_cache.clear()
    migrating = auth.authenticate(keys["Rocket Rentals"])
    assert migrating.migrating and migrating.source_pool == source.pool, migrating
    with _counting(tables) as counts:
        reader = _Reader(migrating, ids, counts)
        phases: list[str] = []

        def step(message: dict[str, Any]) -> None:
            counts.on = False  # the bench's own look at the checkpoint
            phases.append(_phase(message))
            counts.on = True
            worker.handle(message)

        started = time.perf_counter()
        reader.start()
        try:
            _drain(step)
        finally:
            reader.stop.set()
            reader.join()
        wall = time.perf_counter() - started
        counts.on = False
    if reader.failure is not None:
        raise RuntimeError("the concurrent reader failed") from reader.failure
    during = Latency.of(reader.seconds, sum(counts.reader.values()), reader.moved)
    auth._account_cache.clear()
    after = _timed_reads(auth.authenticate(keys["Rocket Rentals"]), ids, READS)

    state = enablements.retrieve(platform, enablement["id"])
    progress = [
        dynamo.from_item(i)
        for page in dynamo.client().get_paginator("scan").paginate(
            TableName=tables["events"], FilterExpression="#t = :t", ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":t": {"S": "sharing_enablement.progress"}},
        )  # fmt: skip
        for i in page["Items"]
    ]
    from orgshare.storage import enablements as enablement_store

    duplicates = enablement_store.list_duplicates(platform.org, platform.mode, enablement["id"], limit=10_000, after=None)
    return Numbers(
        customers=count, batch_size=get_settings().migration_batch_size, items_moved=items_moved, domain_seed_ms=domain_ms,
        seed_seconds=seed_seconds, wall_seconds=wall, steps=len(phases), calls=dict(counts.worker),
        transact_items=dict(counts.transact_items), canceled_transactions=counts.canceled, sqs_sends=counts.sends,
        before=before, during=during, after=after, status=state["status"], progress=state["progress"],
        left_in_source=sum(migration_store.count_customers(source, m) for m in worker._months_of(source, None)),
        announced=sum(len(p["object"]["latest_batch"]["customers"]) for p in progress), duplicates=len(duplicates),
        notes=[f"steps by phase: {dict(Counter(phases))}"],
    )  # fmt: skip


def memory(count: int) -> Memory:
    """A worker process of its own (this one) against a moto server in another process: Rocket
    Rentals' and Rocket Repairs' `count` customers each, one account's steps run untraced (the
    process's ru_maxrss), the other's under tracemalloc (the peak of each step)."""
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from localrun.moto_server import MotoServer; s = MotoServer(); "
         "print(s.endpoint, flush=True); sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        from localrun import aws as local_aws

        local_aws.point_sdk_at(server.stdout.readline().strip())
        _resources()
        return _memory(count)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


def _memory(count: int) -> Memory:
    from orgshare.domain import auth
    from orgshare.domain.migration import worker

    _demo, platform, _rides, keys = _org()
    rentals, repairs = auth.authenticate(keys["Rocket Rentals"]), auth.authenticate(keys["Rocket Repairs"])
    _seed(rentals, 0, count)
    _seed(repairs, count, count)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _enable(platform, rentals.account)
    _drain(worker.handle)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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


def _child_main(args: list[str]) -> None:
    _environment()
    if args[0] == "run":
        print(json.dumps(asdict(run(int(args[1])))))
    elif args[0] == "memory":
        print(json.dumps(asdict(memory(int(args[1])))))
    else:
        raise SystemExit(f"unknown part {args[0]!r}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _child_main(sys.argv[1:])
    else:
        main()
