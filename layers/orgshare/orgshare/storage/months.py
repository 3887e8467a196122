"""Month buckets: a big, time-ordered collection (a pool's customers, an account's payments or
events) spread over one partition key per month, so writes and reads never pile onto one hot key.
Ids are time-sortable, so an id names its month and a cursor says where a page starts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from orgshare.ids import id_time_ms
from orgshare.storage.dynamo import query_range


def month_of_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y%m")


def month_of(object_id: str) -> str:
    return month_of_ms(id_time_ms(object_id) or 0)


def months_between(newest: str, oldest: str, *, descending: bool) -> Iterator[str]:
    """Every month from newest down to oldest (or up, ascending); none if oldest > newest."""
    year, month = (int(newest[:4]), int(newest[4:])) if descending else (int(oldest[:4]), int(oldest[4:]))
    while oldest <= (current := f"{year:04d}{month:02d}") <= newest:
        yield current
        month += -1 if descending else 1
        year, month = (year - 1, 12) if month == 0 else (year + 1, 1) if month == 13 else (year, month)


def query_months(
    table: str,
    pk: tuple[str, Callable[[str], str]],
    sk_name: str,
    *,
    index: str | None = None,
    after: str | None,
    before: str | None,
    oldest_ms: int,
    now_ms: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` items whose sort keys (ids) lie strictly between the cursors, reading month
    partitions (`pk` = name, month -> value) between `oldest_ms` and `now_ms` only while the page
    is not full; one Query in an active collection. Newest first, unless only `after` is set
    (oldest first, as ending_before pages forward)."""
    descending = after is None or before is not None
    newest = min(month_of(before), month_of_ms(now_ms)) if before else month_of_ms(now_ms)
    oldest = max(month_of(after), month_of_ms(oldest_ms)) if after else month_of_ms(oldest_ms)
    found: list[dict[str, Any]] = []
    for month in months_between(newest, oldest, descending=descending):
        found += query_range(
            table, (pk[0], pk[1](month)), sk_name, index=index,
            after=after, before=before, descending=descending, limit=limit - len(found),
        )  # fmt: skip
        if len(found) >= limit:
            break
    return found
