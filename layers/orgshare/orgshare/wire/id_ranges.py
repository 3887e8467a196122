"""A `created` filter as a key range: ids are time-sortable (base62 milliseconds first), so a list
reads only the ids inside the range, never a whole history filtered after the read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orgshare.ids import new_id
from orgshare.params.events import Range

# A `page` fetch: (limit, starting after, ending before, newest first) -> items in id order.
Read = Callable[[int, str | None, str | None, bool], list[dict[str, Any]]]
_MAX_MS = 62**8 - 1  # the largest time an id can hold


def id_at(prefix: str, ms: int, fill: str) -> str:
    """An id of `prefix` at `ms`, below (fill "0") or above (fill "z") every real id of that millisecond."""
    return new_id(prefix, min(max(ms, 0), _MAX_MS))[:-16] + fill * 16


def id_bounds(prefix: str, created: Range | None, *, early_seconds: int = 0) -> tuple[str | None, str | None]:
    """Exclusive id bounds holding every id made in the `created` range (and `early_seconds`
    before it, for objects whose `created` may be later than their id's time)."""
    if created is None:
        return None, None
    lowest = max((v for v in (created.gte, None if created.gt is None else created.gt + 1) if v is not None), default=None)
    highest = min((v for v in (created.lte, None if created.lt is None else created.lt - 1) if v is not None), default=None)
    # after: the last id of the millisecond before `lowest`; before: the first id of the second after `highest`.
    return (
        id_at(prefix, (lowest - early_seconds) * 1000 - 1, "z") if lowest is not None else None,
        id_at(prefix, (highest + 1) * 1000, "0") if highest is not None else None,
    )


def within(read: Read, keep: Callable[[dict[str, Any]], bool], low: str | None, high: str | None) -> Read:
    """A `page` fetch over `read` inside the exclusive id bounds: it starts at the near end (the
    cursor or the bound, whichever is tighter), stops at the far end, and reads on while `keep`
    leaves the page short."""

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        if descending:
            before = min(b for b in (before, high) if b) if before or high else None
        else:
            after = max(a for a in (after, low) if a) if after or low else None
        found: list[dict[str, Any]] = []
        while True:
            got = read(limit, after, before, descending)
            for item in got:
                if (low and item["id"] <= low) or (high and item["id"] >= high):
                    return found  # past the far end of the range: nothing further is in it
                if keep(item):
                    found.append(item)
            if len(found) >= limit or len(got) < limit:
                return found[:limit]
            after, before = (after, got[-1]["id"]) if descending else (got[-1]["id"], before)

    return fetch
