"""moto's DynamoDB Query, narrowed to what it names: a table Query looks at its partition only, an
index Query at the items ever written with its key value, where moto sorts and walks the whole
table for each one (a local system that has run for a while holds tens of thousands of items, and
a Query's cost grew with every test and every event). moto's own matching, sorting, paging and
errors still decide the answer; only the candidates it walks change.

Queries and the writes that feed the index keys run in DynamoDB's turn (see moto_server), so the
candidates a Query sets on its table are never seen by another one.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_installed = False


def _index_keys(table: Any) -> dict[Any, dict[Any, None]]:
    """(attribute, value) -> the (hash, range) keys of items ever written with that index key
    value, in the order first written (as moto walks a table: items with equal index sort keys
    come back in the same order every time): a superset of what an index Query can match (moto
    checks each one)."""
    found: dict[Any, dict[Any, None]] | None = table.__dict__.get("_local_index")
    if found is None:
        found = table.__dict__["_local_index"] = {}
        table.__dict__["_local_attrs"] = {k["AttributeName"] for i in table.all_indexes() for k in i.schema if k["KeyType"] == "HASH"}
        for held in table.items.values():
            for item in held.values() if table.range_key_attr else [held]:
                _remember(table, item)
    return found


def _remember(table: Any, item: Any) -> None:
    if item is None:
        return
    keys = _index_keys(table)
    for attr in table.__dict__["_local_attrs"]:
        value = item.attrs.get(attr)
        if value is not None:
            keys.setdefault((attr, value), {})[(item.hash_key, item.range_key)] = None


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    put, update, query = Table.put_item, DynamoDBBackend.update_item, Table.query

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = put(self, *args, **kwargs)
        _remember(self, item)
        return item

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = update(self, table_name, *args, **kwargs)
        _remember(self.get_table(table_name), item)
        return item

    def narrowed_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name:
            attr = next(k["AttributeName"] for k in self.get_index(index_name).schema if k["KeyType"] == "HASH")
            value = next((v for a, v in kwargs.get("hash_key_conditions") or [] if a == attr), hash_key)
            found = (self.get_item(h, r) if r is not None else self.items.get(h) for h, r in _index_keys(self).get((attr, value), ()))
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
