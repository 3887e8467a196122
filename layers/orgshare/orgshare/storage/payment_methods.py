"""Payment methods: canonical items (with the sealed secret) and their copies under customers.

A card attached to a customer of the pool (`pooled`) is keyed by the pool, so every account of the
pool can name it; any other payment method, an unattached card included, by the pool and the
account that saved it, so no other account can even name it. Attaching a card moves its item from
the one key to the other in the attach transaction (same id)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys, receipts
from orgshare.storage.dynamo import batch_get, client, key, query_range, to_item, to_value, versioned_put
from orgshare.storage.keys import PoolScope
from orgshare.storage.outbox import change_put

_PUBLIC_ONLY = ("vault",)


def _table() -> str:
    return get_settings().data_table


def canonical_key(scope: PoolScope, item: dict[str, Any]) -> dict[str, Any]:
    pooled = item["type"] == "card" and item.get("pooled")
    pk = keys.card_pk(scope, item["id"]) if pooled else keys.private_pm_pk(scope, item["owner"], item["id"])
    return key(pk, keys.PM_SK)


def link_key(scope: PoolScope, item: dict[str, Any], customer: str) -> dict[str, Any]:
    sk = keys.card_link_sk(item["id"]) if item["type"] == "card" else keys.private_link_sk(item["owner"], item["id"])
    return key(keys.customer_pk(scope, customer), sk)


def _put_canonical(scope: PoolScope, item: dict[str, Any], expected_version: int | None) -> list[dict[str, Any]]:
    """The write(s) storing `item` at its key: a versioned Put, or, when the item read (whose key it
    still carries) now belongs elsewhere (a card joining the pool), a guarded Delete of the old item
    and a Put of the new one."""
    target = canonical_key(scope, item)
    stored = item.get("pk")
    if expected_version is None or stored in (None, target["pk"]["S"]):
        return [versioned_put(_table(), {**to_item(item), **target}, expected_version)]
    moved_away = {
        "Delete": {
            "TableName": _table(), "Key": key(stored, keys.PM_SK),
            "ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
        }
    }  # fmt: skip
    return [moved_away, versioned_put(_table(), {**to_item(item), **target}, None)]


def _put_link(scope: PoolScope, item: dict[str, Any]) -> dict[str, Any]:
    public = {k: v for k, v in item.items() if k not in _PUBLIC_ONLY}
    return {"Put": {"TableName": _table(), "Item": {**to_item(public), **link_key(scope, item, item["customer"])}}}


def create(scope: PoolScope, item: dict[str, Any], answer: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new, unattached payment method: one write, no event (Stripe sends none for this), with the
    request's receipt and its `answer` if given. The item with its key, as a read would give it
    (so a later write knows where it lives)."""
    put = _put_canonical(scope, item, None)
    if answer is not None:
        receipts.transact(put, answer)
    else:
        client().put_item(**put[0]["Put"])
    where = canonical_key(scope, item)
    return {**item, "pk": where["pk"]["S"], "sk": where["sk"]["S"]}


def get(scope: PoolScope, pm: str, account: str, customer: str | None = None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The payment method `account` may see under this id, and (if asked) the customer's shared
    item, in one BatchGetItem. The method is either a card of the pool or one of the account's own
    (an unattached card included)."""
    wanted = [key(keys.card_pk(scope, pm), keys.PM_SK), key(keys.private_pm_pk(scope, account, pm), keys.PM_SK)]
    if customer is not None:
        wanted.append(key(keys.customer_pk(scope, customer), keys.CUSTOMER_SK))
    found = batch_get(_table(), wanted, consistent=True)
    method = next((i for i in found if i["sk"] == keys.PM_SK), None)
    shared = next((i for i in found if i["sk"] == keys.CUSTOMER_SK), None)
    return method, shared


def save(
    scope: PoolScope,
    item: dict[str, Any],
    expected_version: int,
    change: dict[str, Any],
    *,
    link: str | None = None,
    unlink: str | None = None,
    extra: list[dict[str, Any]] | None = None,
    answer: dict[str, Any],
) -> None:
    """The changed method, its copy under `link` (written) or `unlink` (removed), any `extra`
    writes, the change record and the request's receipt with its `answer`, atomically, and only if
    the method is unchanged since read (ConditionFailed; Recorded if the key was used first)."""
    writes = _put_canonical(scope, item, expected_version)
    if link is not None:
        writes.append(_put_link(scope, item))
    if unlink is not None:
        writes.append({"Delete": {"TableName": _table(), "Key": link_key(scope, item, unlink)}})
    writes += extra or []
    writes.append(change_put(change))
    receipts.transact(writes, answer)


def attach_writes(scope: PoolScope, item: dict[str, Any], expected_version: int) -> list[dict[str, Any]]:
    """Transaction writes attaching `item` (already carrying its new customer and version) to
    that customer: for a step that attaches as part of something else (a payment that saves its card)."""
    return [*_put_canonical(scope, item, expected_version), _put_link(scope, item), customer_must_exist(scope, item["customer"])]


def detach_writes(scope: PoolScope, link: dict[str, Any]) -> list[dict[str, Any]]:
    """Transaction writes that detach the method a customer's copy `link` stands for."""
    return [
        {"Delete": {"TableName": _table(), "Key": {"pk": {"S": link["pk"]}, "sk": {"S": link["sk"]}}}},
        {
            "Update": {
                "TableName": _table(),
                "Key": canonical_key(scope, link),
                "UpdateExpression": "REMOVE customer ADD version :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ]


def consent_writes(scope: PoolScope, item: dict[str, Any], consent: dict[str, Any]) -> list[dict[str, Any]]:
    """Transaction writes recording a customer's consent to share an attached card with the pool:
    `allow_redisplay: always` and the consent, on the card and on its copy under the customer."""
    values = {":always": {"S": "always"}, ":consent": to_value(consent), ":one": {"N": "1"}}

    def update(k: dict[str, Any]) -> dict[str, Any]:
        return {"Update": {"TableName": _table(), "Key": k, "ExpressionAttributeValues": values,
                           "UpdateExpression": "SET allow_redisplay = :always, sharing_consent = :consent ADD version :one",
                           "ConditionExpression": "attribute_exists(pk)"}}  # fmt: skip

    return [update(canonical_key(scope, item)), update(link_key(scope, item, item["customer"]))]


def customer_must_exist(scope: PoolScope, customer: str) -> dict[str, Any]:
    """A transaction guard: the customer exists and is not deleted."""
    return {
        "ConditionCheck": {
            "TableName": _table(),
            "Key": key(keys.customer_pk(scope, customer), keys.CUSTOMER_SK),
            # A customer that moved to another pool left a marker (moved_to) here: not a customer of this pool.
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(deleted) AND attribute_not_exists(moved_to)",
        }
    }


def clear_default(scope: PoolScope, customer: str, account: str, pm: str) -> dict[str, Any]:
    """A transaction write: unset `account`'s default payment method if it is `pm`."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": key(keys.customer_pk(scope, customer), keys.overlay_sk(account)),
            "UpdateExpression": "REMOVE invoice_settings.default_payment_method",
            "ConditionExpression": "invoice_settings.default_payment_method = :pm",
            "ExpressionAttributeValues": {":pm": {"S": pm}},
        }
    }


def list_for_customer(
    scope: PoolScope,
    customer: str,
    account: str,
    *,
    cards: bool,
    own: bool,
    limit: int,
    after: str | None,
    before: str | None,
) -> tuple[bool, list[dict[str, Any]]]:
    """Whether the customer exists, and up to `limit` of its payment methods this account may see
    (ids strictly between after and before; newest first unless only `after` is set). Cards and
    the account's own methods are two key ranges of the customer's partition, read concurrently."""
    pk = ("pk", keys.customer_pk(scope, customer))
    descending = after is None or before is not None

    def card_range() -> list[dict[str, Any]]:
        # The customer's shared item sorts just below its cards: reading it here costs no extra call.
        return query_range(
            _table(), pk, "sk", low=keys.CARD_LINKS_LOW, high=keys.CARD_LINKS_HIGH, descending=descending, limit=limit + 1,
            after=keys.card_link_sk(after) if after else None,
            before=keys.card_link_sk(before) if before else None,
        )  # fmt: skip

    def own_range() -> list[dict[str, Any]]:
        prefix = keys.private_link_sk(account, "")
        return query_range(
            _table(), pk, "sk", prefix=prefix, descending=descending, limit=limit,
            after=keys.private_link_sk(account, after) if after else None,
            before=keys.private_link_sk(account, before) if before else None,
        )  # fmt: skip

    jobs = [card_range] if cards else []
    jobs += [own_range] if own else []
    if not cards:
        jobs.insert(0, lambda: batch_get(_table(), [key(pk[1], keys.CUSTOMER_SK)]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [r for job in [pool.submit(j) for j in jobs] for r in job.result()]
    exists = any(r["sk"] == keys.CUSTOMER_SK and not r.get("deleted") and "moved_to" not in r for r in results)
    methods = [r for r in results if r["sk"] != keys.CUSTOMER_SK]
    methods.sort(key=lambda r: r["id"], reverse=descending)
    return exists or bool(methods), methods[:limit]
