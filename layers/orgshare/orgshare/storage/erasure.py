"""Customer erasures: each erasure's record (listed by id), the claim that makes it the one erasure
of its customer, the consents kept as proof beside that claim, and the writes an erasure makes.

An erasure's writes are conditional (an item still as it was read: its version, or not yet marked
with the erasure, or still there) and go in transactions of at most BATCH_WRITES items with the
record's counters, so a batch that lost a race, or a run that died, is simply planned again from
what the tables hold, and nothing is counted twice."""

from __future__ import annotations

from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, key, query_range, to_item, to_value, transact
from orgshare.storage.enablements import email_key
from orgshare.storage.keys import PoolScope
from orgshare.storage.outbox import change_put

BATCH_WRITES = 90  # DynamoDB's 100 items a transaction, less the record's counters and a change record
CLAIM_SK = "ERASURE"


def _table() -> str:
    return get_settings().data_table


def erasures_pk(org: str, mode: str) -> str:
    """The organization's erasures in a mode, by id (time-sortable): the list."""
    return f"ORG#{org}#ERA#{mode}"


def claim_pk(org: str, mode: str, customer: str) -> str:
    """One customer's erasure (at most one) and the consents it kept."""
    return f"ORG#{org}#ERA#{mode}#CUS#{customer}"


def kept_consent_sk(record: str) -> str:
    return f"CONSENT#{record}"


def _record_key(org: str, mode: str, erasure: str) -> dict[str, Any]:
    return key(erasures_pk(org, mode), erasure)


def get(org: str, mode: str, erasure: str) -> dict[str, Any] | None:
    found = batch_get(_table(), [_record_key(org, mode, erasure)], consistent=True)
    return found[0] if found else None


def claimed(org: str, mode: str, customer: str) -> str | None:
    """The id of the customer's erasure, if there is one."""
    found = batch_get(_table(), [key(claim_pk(org, mode, customer), CLAIM_SK)], consistent=True)
    return str(found[0]["erasure"]) if found else None


def create(record: dict[str, Any]) -> None:
    """The record and its customer's claim, together; ConditionFailed if the customer has one already."""
    org, mode = record["org"], record["mode"]
    claim = {**key(claim_pk(org, mode, record["customer"]), CLAIM_SK), **to_item({"erasure": record["id"]})}
    transact([
        {"Put": {"TableName": _table(), "Item": {**to_item(record), **_record_key(org, mode, record["id"])},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": _table(), "Item": claim, "ConditionExpression": "attribute_not_exists(pk)"}},
    ])  # fmt: skip


def list_page(org: str, mode: str, *, limit: int, after: str | None, before: str | None, descending: bool) -> list[dict[str, Any]]:
    return query_range(_table(), ("pk", erasures_pk(org, mode)), "sk", after=after, before=before, descending=descending, limit=limit)


def progress(record: dict[str, Any], counts: dict[str, int], *, cursor: int | None = None, done_at: int | None = None) -> dict[str, Any]:
    """A transaction write adding `counts` to the record's counters (moving its `cursor` on, and,
    with `done_at`, marking it succeeded), only while it is in progress: the batch it goes with
    counts exactly once."""
    where = {"TableName": _table(), "Key": _record_key(record["org"], record["mode"], record["id"]),
             "ConditionExpression": "#status = :running"}  # fmt: skip
    names: dict[str, str] = {"#status": "status"}
    values: dict[str, Any] = {":running": {"S": "in_progress"}}
    sets = []
    for n, (name, amount) in enumerate(sorted(c for c in counts.items() if c[1])):
        names["#counts"], names[f"#c{n}"], values[f":c{n}"] = "counts", name, {"N": str(amount)}
        sets.append(f"#counts.#c{n} = #counts.#c{n} + :c{n}")
    if cursor is not None:
        names["#cursor"], values[":cursor"] = "cursor", {"N": str(cursor)}
        sets.append("#cursor = :cursor")
    if done_at is not None:
        names["#completed"], values[":succeeded"], values[":at"] = "completed_at", {"S": "succeeded"}, {"N": str(done_at)}
        sets += ["#status = :succeeded", "#completed = :at"]
    if not sets:  # nothing to count: the batch only needs the record to be still running
        return {"ConditionCheck": {**where, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}
    return {"Update": {**where, "UpdateExpression": "SET " + ", ".join(sets), "ExpressionAttributeNames": names,
                       "ExpressionAttributeValues": values}}  # fmt: skip


def commit(writes: list[dict[str, Any]], record_update: dict[str, Any], change: dict[str, Any] | None = None) -> None:
    transact([*writes, record_update, *([change_put(change)] if change else [])])


def customer_in(scopes: list[PoolScope], customer: str) -> list[tuple[PoolScope, dict[str, Any]]]:
    """The customer's shared item (or tombstone, or a marker where it moved from) in each of these pools that has one."""
    found: list[tuple[PoolScope, dict[str, Any]]] = []
    for start in range(0, len(scopes), 100):
        chunk = scopes[start : start + 100]
        by_pk = {keys.customer_pk(s, customer): s for s in chunk}
        for item in batch_get(_table(), [key(pk, keys.CUSTOMER_SK) for pk in by_pk], consistent=True):
            found.append((by_pk[item["pk"]], item))
    return found


def tombstone_put(scope: PoolScope, tombstone: dict[str, Any], expected_version: int) -> dict[str, Any]:
    """The customer's shared item replaced by its tombstone (no index keys: it leaves every list), if unchanged since read."""
    item = {**to_item(tombstone), **key(keys.customer_pk(scope, tombstone["id"]), keys.CUSTOMER_SK)}
    return {"Put": {"TableName": _table(), "Item": item, "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": {"N": str(expected_version)}}}}  # fmt: skip


def delete(pk: str, sk: str) -> dict[str, Any]:
    """A transaction Delete of an item that must still be there (a racing erasure took it otherwise)."""
    return {"Delete": {"TableName": _table(), "Key": key(pk, sk), "ConditionExpression": "attribute_exists(pk)"}}


def delete_method(where: dict[str, Any]) -> dict[str, Any]:
    """A transaction Delete of a payment method's own item (at its key), with its sealed number."""
    return {"Delete": {"TableName": _table(), "Key": where}}


def redact(
    pk: str, sk: str, sets: dict[str, Any], removes: tuple[str, ...] = (), *, erasure: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """A transaction Update redacting an item's personal fields: `sets` (document paths, dotted) set
    to the values given, `removes` removed. Guarded by the version read (and moving it on, so a
    writer holding the old version fails), or else by `erasure`, the mark it leaves once redacted."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def path(dotted: str) -> str:
        parts = []
        for part in dotted.split("."):
            alias = f"#n{len(names)}"
            names[alias] = part
            parts.append(alias)
        return ".".join(parts)

    clauses = [f"{path(field)} = :v{n}" for n, field in enumerate(sets)]
    values |= {f":v{n}": to_value(value) for n, value in enumerate(sets.values())}
    if erasure is not None:
        names["#erasure"], values[":erasure"] = "erasure", {"S": erasure}
        clauses.append("#erasure = :erasure")
    expression = "SET " + ", ".join(clauses)
    if removes:
        expression += " REMOVE " + ", ".join(path(field) for field in removes)
    if version is not None:
        names["#version"], values[":read"], values[":one"] = "version", {"N": str(version)}, {"N": "1"}
        expression += " ADD #version :one"
        condition = "#version = :read"
    elif erasure is not None:
        condition = "attribute_exists(pk) AND attribute_not_exists(#erasure)"
    else:
        condition = "attribute_exists(pk)"
    return {"Update": {"TableName": _table(), "Key": key(pk, sk), "UpdateExpression": expression, "ConditionExpression": condition,
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}  # fmt: skip


def items(wanted: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The items at these keys that exist (consistent BatchGetItem, 100 a call)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 100):
        found += batch_get(_table(), [key(pk, sk) for pk, sk in wanted[start : start + 100]], consistent=True)
    return found


def keep_consent(org: str, mode: str, customer: str, consent: dict[str, Any]) -> dict[str, Any]:
    """A transaction Put keeping a consent record beside the customer's claim (the same each time)."""
    item = {**to_item({k: v for k, v in consent.items() if k not in ("pk", "sk")}),
            **key(claim_pk(org, mode, customer), kept_consent_sk(consent["id"]))}  # fmt: skip
    return {"Put": {"TableName": _table(), "Item": item}}


def kept_consents(org: str, mode: str, customer: str) -> list[dict[str, Any]]:
    return query_range(_table(), ("pk", claim_pk(org, mode, customer)), "sk", prefix=kept_consent_sk(""), descending=True, limit=1000)


# Duplicates a sharing enablement found (in the directory): kept by a digest of the email, so an
# erasure finds the ones naming its customer by key, knowing the email it erases.
def duplicates_naming(org: str, mode: str, enablements: list[str], email: str, customer: str) -> list[dict[str, Any]]:
    """The duplicate records of these enablements that list the customer under `email`."""
    table = get_settings().directory_table
    wanted = [key(keys.org_pk(org), keys.duplicate_sk(mode, e, email_key(email))) for e in enablements]
    found = [f for start in range(0, len(wanted), 100) for f in batch_get(table, wanted[start : start + 100], consistent=True)]
    return [f for f in found if customer in (f.get("customers") or set())]


def drop_from_duplicate(record: dict[str, Any], customer: str) -> dict[str, Any]:
    """A transaction write taking the customer out of a duplicate record (the record itself goes
    when no other customer would be left in it: one customer is no duplicate, and its email is then
    nobody else's)."""
    table, where = get_settings().directory_table, key(record["pk"], record["sk"])
    if len(set(record.get("customers") or ()) - {customer}) < 2:
        return {"Delete": {"TableName": table, "Key": where}}
    return {"Update": {"TableName": table, "Key": where, "UpdateExpression": "DELETE customers :id",
                       "ExpressionAttributeValues": {":id": {"SS": [customer]}}}}  # fmt: skip


def enablements(org: str, mode: str) -> list[dict[str, Any]]:
    """Every sharing enablement of the organization in a mode (a handful: each names up to 20 accounts)."""
    table, found, after = get_settings().directory_table, [], None
    while True:
        page = query_range(table, ("pk", keys.org_pk(org)), "sk", prefix=keys.enablement_sk(mode, ""), after=after, descending=False,
                           limit=100)  # fmt: skip
        found += page
        if len(page) < 100:
            return found
        after = page[-1]["sk"]
