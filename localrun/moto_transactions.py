"""moto's TransactWriteItems, rolled back item by item instead of table by table.

To be able to roll a transaction back, moto deep-copies every table it names, items and stream
records included. On a local system that has run for a while (the events table grows with every
event) that copy costs more than the rest of a request, and it grows without end. Here the
transaction keeps moto's own logic and errors; only its backup changes: a copy of the items the
transaction names and the length of each table's stream, restored if it fails. DynamoDB requests
take turns in the local server (see aws.MotoServer), so nothing changes a table mid-transaction.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table


class _TablesByReference:
    """Stands in for the `copy` module inside moto's DynamoDB backend: a table "copy" is the table
    itself (so moto's own rollback is a no-op), everything else is copied as before."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


@dataclass
class _Backup:
    items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]]
    stream_lengths: list[tuple[Table, int]]

    @classmethod
    def of(cls, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> _Backup:
        items, tables = [], {}
        for entry in transact_items:
            op = next(iter(entry.values()), None)
            table = backend.tables.get(op.get("TableName", "")) if isinstance(op, dict) else None
            key = (op.get("Item") or op.get("Key")) if table and isinstance(op, dict) else None
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue  # moto refuses it before writing anything for it
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.range_key_attr and range_value is None:
                continue
            items.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
            tables[table.name] = table
        lengths = [(t, len(t.stream_shard.items)) for t in tables.values() if t.stream_shard is not None]
        return cls(items, lengths)

    def restore(self) -> None:
        for table, hash_value, range_value, item in reversed(self.items):
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item  # type: ignore[assignment]
            elif item is None:
                table.items[hash_value].pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
        for table, length in self.stream_lengths:
            assert table.stream_shard is not None
            del table.stream_shard.items[length:]  # a failed transaction leaves no stream records


def install() -> None:
    """Patch the backend in this process (the local server's); idempotent."""
    if isinstance(dynamodb_models.copy, _TablesByReference):  # type: ignore[attr-defined]
        return
    dynamodb_models.copy = _TablesByReference()  # type: ignore[attr-defined,assignment]
    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        backup = _Backup.of(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            backup.restore()
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
