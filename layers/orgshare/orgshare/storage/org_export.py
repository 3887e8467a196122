"""An organization's items, as DynamoDB stores them, for a backup, a restore or a move (the admin
commands export-org and import-org): every item of the directory, data and events tables whose key
names the organization or whose `org` is it. Sealed values (cards, credentials, webhook keys) stay
sealed. Left out: outbox records (changes in flight: the stream carries them on, and importing one
would publish its events again) and idempotency records (kept 24 hours, keyed by a hash).

A Scan with a filter: an operator's command, never a request path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import client

TABLES = {"directory": "directory_table", "data": "data_table", "events": "events_table"}


def _table(name: str) -> str:
    return str(getattr(get_settings(), TABLES[name]))


def items(org: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, item) for every item of `org`, raw."""
    for name in TABLES:
        pages = (
            client()
            .get_paginator("scan")
            .paginate(
                TableName=_table(name),
                # `org` is a whole id (org_ and 24 characters: org_backup checks it), so it is in no other organization's keys.
                FilterExpression="(contains(pk, :org) OR org = :org) AND NOT begins_with(pk, :change)",
                ExpressionAttributeValues={":org": {"S": org}, ":change": {"S": keys.change_pk("")}},
            )
        )
        for page in pages:
            for item in page["Items"]:
                yield name, item


def put(name: str, batch: list[dict[str, Any]]) -> None:
    """Writes raw items into a table (25 at a time, what DynamoDB leaves unprocessed again)."""
    for start in range(0, len(batch), 25):
        pending: dict[str, Any] = {_table(name): [{"PutRequest": {"Item": i}} for i in batch[start : start + 25]]}
        while pending:
            pending = client().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
