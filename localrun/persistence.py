"""Local persistence (make run PERSIST=1): the system's state written to one file soon after every
change, so a crash (kill -9) loses at most the last moment, and a restart that resumes the event
path where it stopped.

A snapshot is read from moto's backends in-process while DynamoDB requests wait their turn (see
moto_server), so it is one moment across tables: a transaction spanning the data and the events
tables is in it whole or not at all. It holds every table's items, the stream records the event
path had not handed on yet (after the stream poller's checkpoint), the messages of the queues
(scheduled webhook retries among them) and the local KMS keys. It is written to a temporary file,
fsynced and renamed over the old one: the file is always one whole snapshot.

A restart puts the items back with the table's stream detached (loading writes no stream records,
so nothing is published again), then puts the saved stream records first in the new stream, for
the publisher to hand on as it would have. Delivery stays at least once: a crash in the instant
between a step of the event path and the next snapshot may send that event again (same event id).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamRecord, Table
from moto.dynamodb.models.utilities import DynamoJsonEncoder
from moto.sqs.models import Queue, sqs_backends

ACCOUNT_ID = "123456789012"  # moto's default account
SNAPSHOT_DELAY = 0.1  # seconds a snapshot waits after a change, to take the changes of that moment together


def _region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def _table(name: str) -> Table:
    table: Table = dynamodb_backends[ACCOUNT_ID][_region()].get_table(name)
    return table


def _queue(name: str) -> Queue:
    queue: Queue = sqs_backends[ACCOUNT_ID][_region()].queues[name]
    return queue


@dataclass
class Saved:
    """A snapshot as read back from its file (a file from before continuous persistence has
    tables and KMS keys only)."""

    tables: dict[str, list[dict[str, Any]]]
    kms: dict[str, dict[str, str]]
    stream: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    queues: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Saved:
        data = json.loads(path.read_text())
        return cls(data["tables"], data.get("kms", {}), data.get("stream", {}), data.get("queues", {}))


# -- taking a snapshot ---------------------------------------------------------------------

_TEXT = "_localrun_snapshot_text"  # an item's JSON, kept on moto's item object until the item changes


def install() -> None:
    """Teaches moto's backend (in this process) to forget an item's saved JSON when UpdateItem
    changes it in place; PutItem and DeleteItem replace or drop the item object itself. Idempotent."""
    original = DynamoDBBackend.update_item
    if getattr(original, "forgets_snapshot_text", False):
        return

    @functools.wraps(original)
    def update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            item = self.get_item(table_name, key)
        except Exception:  # an invalid key: moto's own call below says why
            item = None
        if item is not None:
            item.__dict__.pop(_TEXT, None)
        return original(self, table_name, key, *args, **kwargs)

    update_item.forgets_snapshot_text = True  # type: ignore[attr-defined]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def _item_text(item: Item) -> str:
    text = item.__dict__.get(_TEXT)
    if text is None:  # Binary values become base64 text, as DynamoDB's JSON has them.
        text = json.dumps(item.to_json()["Attributes"], cls=DynamoJsonEncoder)
        setattr(item, _TEXT, text)
    return str(text)


def _table_text(table: Table) -> str:
    # Each item is serialised once per change, not once per snapshot: a snapshot costs little more than a copy.
    partitions: Iterable[Any] = table.items.values()
    items: Iterable[Item] = (i for partition in partitions for i in partition.values()) if table.range_key_attr else partitions
    return "[" + ",".join(_item_text(item) for item in items) + "]"


def _pending(table: Table, checkpoint: int | None) -> list[dict[str, Any]]:
    """The table's stream records after `checkpoint` (the last sequence number handed on)."""
    shard = table.stream_shard
    if shard is None:
        return []
    start = 0 if checkpoint is None else checkpoint - shard.starting_sequence_number + 1
    return [record.to_json() for record in shard.items[max(start, 0) :]]


def _messages(queue: Queue) -> list[dict[str, Any]]:
    with queue._messages_lock:
        messages = list(queue._messages)
    return [
        {"body": m.body, "attributes": m.message_attributes, "delayed_until": m.delayed_until, "receive_count": m.approximate_receive_count}
        for m in messages
    ]


@dataclass
class Capture:
    """What a snapshot reads: the tables, the queues, and the stream poller's checkpoints."""

    turn: threading.Lock  # DynamoDB's turn (moto_server): held, no request changes a table
    tables: list[str]
    queues: list[str]
    checkpoints: Callable[[], dict[str, int | None]]  # table name -> last stream sequence number handed on
    kms: dict[str, dict[str, str]]

    def __post_init__(self) -> None:
        install()

    def __call__(self) -> str:
        with self.turn:  # serialised inside the turn: the values are moto's own objects
            tables = ",".join(f"{json.dumps(name)}:{_table_text(_table(name))}" for name in self.tables)
            rest = {
                "stream": {name: _pending(_table(name), checkpoint) for name, checkpoint in self.checkpoints().items()},
                "queues": {name: _messages(_queue(name)) for name in self.queues},
                "kms": self.kms,
            }
            return f'{{"tables":{{{tables}}},{json.dumps(rest, cls=DynamoJsonEncoder)[1:]}'


def write_atomically(path: Path, text: str) -> None:
    """`text` as the whole of `path`, or `path` as it was: a temporary file, fsynced, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


class Snapshots:
    """Writes a snapshot soon after each `touch()` (changes of the same moment share one)."""

    def __init__(self, path: Path, capture: Callable[[], str], delay: float = SNAPSHOT_DELAY) -> None:
        self.path, self.capture, self.delay = path, capture, delay
        self._dirty = threading.Event()
        self._closed = threading.Event()
        self._writing = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True, name="snapshots")

    def start(self) -> Snapshots:
        self._thread.start()
        self.touch()  # a first snapshot of what is there already
        return self

    def touch(self) -> None:
        self._dirty.set()

    def write(self) -> None:
        with self._writing:
            write_atomically(self.path, self.capture())

    def _run(self) -> None:
        while not self._closed.is_set():
            self._dirty.wait()
            if self._closed.wait(self.delay):
                return
            self._dirty.clear()
            try:
                self.write()
            except Exception as exc:  # a full disk must not end persistence for good: the next change tries again
                print(f"localrun: snapshot not written: {exc!r}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """The last snapshot, written now (a clean stop)."""
        self._closed.set()
        self._dirty.set()
        self._thread.join(timeout=30)
        self.write()


# -- restoring one -------------------------------------------------------------------------


def _binary(attributes: dict[str, Any]) -> dict[str, Any]:
    # Message attributes' binary values were saved as base64 text.
    return {
        name: {**value, "BinaryValue": base64.b64decode(value["BinaryValue"])} if "BinaryValue" in value else value
        for name, value in attributes.items()
    }


def _item(table: Table, attributes: dict[str, Any]) -> Item:
    """A saved item as moto's own Item, made as moto copies one (Item.__deepcopy__): it passed
    moto's checks when it was written, and checking each attribute again costs O(n²) per item."""
    item = cast(Item, Item.__new__(Item))
    item.hash_key = DynamoType(attributes[table.hash_key_attr])
    item.range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(item.attrs)
    for key, value in attributes.items():
        dict.__setitem__(item.attrs, key, DynamoType(value))
    setattr(item, _TEXT, json.dumps(attributes))  # its JSON is at hand: the next snapshot needs not make it again
    return item


def restore(saved: Saved, turn: threading.Lock) -> None:
    """Puts a snapshot back into moto (its tables, KMS keys aside, just created and empty), before
    anything reads them: items without stream records, then the saved stream records, then the
    queues' messages."""
    with turn:
        for name, items in saved.tables.items():
            table = _table(name)
            for attributes in items:  # straight into the table: no stream record, nothing to publish again
                item = _item(table, attributes)
                if item.range_key is not None:
                    table.items[item.hash_key][item.range_key] = item
                else:
                    table.items[item.hash_key] = item  # type: ignore[assignment]  # moto types its items as partitions
        for name, records in saved.stream.items():
            shard = _table(name).stream_shard
            assert shard is not None, f"{name} has no stream"
            for saved_record in records:
                record = cast(StreamRecord, StreamRecord.__new__(StreamRecord))  # as moto made it, renumbered for this stream
                record.record = saved_record
                saved_record["dynamodb"]["SequenceNumber"] = str(shard.starting_sequence_number + len(shard.items))
                shard.items.append(record)
    backend = sqs_backends[ACCOUNT_ID][_region()]
    for name, messages in saved.queues.items():
        for saved_message in messages:
            message = backend.send_message(name, saved_message["body"], _binary(saved_message["attributes"]) or None, delay_seconds=0)
            # Due when it was due (a retry scheduled before the stop); one in flight at a crash is visible at once.
            message.delayed_until = saved_message["delayed_until"]
            message.approximate_receive_count = saved_message["receive_count"]
