"""Stripe list objects and expand checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from orgshare.errors import InvalidRequest
from orgshare.params.common import ListParams

T = TypeVar("T")


def list_object(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def page(params: ListParams, fetch: Callable[[int, str | None, str | None, bool], list[T]]) -> tuple[list[T], bool]:
    """Runs `fetch(limit, after, before, descending)` for a Stripe page and returns the page,
    newest first, and has_more. starting_after=X pages to older objects (ids below X);
    ending_before=X to the newer ones just above X."""
    want = params.limit + 1
    if params.ending_before:
        items = fetch(want, params.ending_before, None, False)
        has_more = len(items) > params.limit
        return list(reversed(items[: params.limit])), has_more
    items = fetch(want, None, params.starting_after, True)
    return items[: params.limit], len(items) > params.limit


Batch = Callable[[int, str | None, str | None], list[dict[str, Any]]]


def narrowed(batch: Batch, wanted: dict[str, Any]) -> Callable[[int, str | None, str | None, bool], list[dict[str, Any]]]:
    """A `page` fetch over a collection read in id order by `batch(limit, after, before)` (the
    caller's own objects: isolation is in the keys), keeping those whose fields equal `wanted` (the
    list's filters, e.g. `customer`), reading on while filtered-out objects leave the page short."""

    def fetch(limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
        del descending  # the batch derives the order from the bounds
        found: list[dict[str, Any]] = []
        while True:
            got = batch(limit, after, before)
            found += [item for item in got if all(item.get(k) == v for k, v in wanted.items())]
            if len(found) >= limit or len(got) < limit:
                return found[:limit]
            last = got[-1]["id"]
            after, before = (last, before) if after and not before else (after, last)

    return fetch


def check_expand(expand: Sequence[str], allowed: Sequence[str], *, in_list: bool = False) -> None:
    for path in expand:
        bare = path.removeprefix("data.") if in_list else path
        if bare not in allowed:
            raise InvalidRequest(f"This property cannot be expanded ({path}).", code="parameter_invalid", param="expand")
