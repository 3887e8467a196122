"""Organization sandboxes in the directory: a copied account's test-mode membership of the shared
pool, the write that makes a sandbox exist, and a live organization's list of its sandboxes."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.directory import put_if_absent
from orgshare.storage.dynamo import query_range, transact


def join_shared_pool(org: str, shared_pool: str, account: str, at: float) -> None:
    """A standard account's membership of the shared pool in test mode from `at` on: the shape a
    sharing enablement writes (`joins_test`), so the publisher sends it the pool's test events."""
    transact([put_if_absent(keys.org_pk(org), keys.pool_member_sk(shared_pool, account), {"account": account, "joins_test": at})])


def commit(org: dict[str, Any], listing: dict[str, Any]) -> None:
    """The sandbox's organization record and its entry in the live organization's list, together:
    the last write of a sandbox, so one that failed before it is never listed."""
    transact(
        [
            put_if_absent(keys.org_pk(org["id"]), keys.ORG_SK, org),
            put_if_absent(keys.org_pk(org["sandbox_of"]), keys.sandbox_sk(org["id"]), listing),
        ]
    )


def list_sandboxes(org: str, *, limit: int = 100, after: str | None = None) -> list[dict[str, Any]]:
    """A live organization's sandboxes, oldest first (ids sort by creation)."""
    return query_range(
        get_settings().directory_table,
        ("pk", keys.org_pk(org)),
        "sk",
        prefix=keys.sandbox_sk(""),
        after=keys.sandbox_sk(after) if after else None,
        descending=False,
        limit=limit,
    )
