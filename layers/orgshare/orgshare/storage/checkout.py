"""Checkout sessions and setup intents, keyed by the account that created them; open sessions are
also indexed by the minute they expire, for the expiry sweeper."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orgshare.ids import id_time_ms
from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.dynamo import batch_get, client, from_item, key, query_range, to_item, transact, versioned_put
from orgshare.storage.months import month_of, query_months
from orgshare.storage.outbox import change_put

BY_MONTH_INDEX = "by_created"
BY_EXPIRY_INDEX = "by_field"  # the sparse second index: only open sessions carry its keys


def _table() -> str:
    return get_settings().data_table


def expiry_minute(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y%m%d%H%M")


def session_key(org: str, account: str, mode: str, session: str) -> dict[str, Any]:
    return key(keys.checkout_session_pk(org, account, mode, session), keys.CHECKOUT_SESSION_SK)


def session_put(session: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    """A transaction write of the session; an open one is also listed under its expiry minute."""
    org, account, mode, sid = session["org"], session["account"], session["mode"], session["id"]
    index: dict[str, Any] = {"gsi1pk": keys.checkout_sessions_by_month_pk(org, account, mode, month_of(sid)), "gsi1sk": sid}
    if session["status"] == "open":
        index |= {"gsi2pk": keys.checkout_expiry_pk(expiry_minute(session["expires_at"])), "gsi2sk": sid}
    item = {**to_item({k: v for k, v in session.items() if k not in ("gsi2pk", "gsi2sk")}), **to_item(index)}
    return versioned_put(_table(), {**item, **session_key(org, account, mode, sid)}, expected_version)


def locator_put(session: dict[str, Any]) -> dict[str, Any]:
    item = {"org": session["org"], "account": session["account"], "mode": session["mode"]}
    where = key(keys.checkout_locator_pk(session["id"]), keys.CHECKOUT_LOCATOR_SK)
    return {"Put": {"TableName": _table(), "Item": {**to_item(item), **where}, "ConditionExpression": "attribute_not_exists(pk)"}}


def locate(session: str) -> dict[str, Any] | None:
    """{org, account, mode} of a session, from its id alone."""
    if id_time_ms(session) is None:
        return None
    found = batch_get(_table(), [key(keys.checkout_locator_pk(session), keys.CHECKOUT_LOCATOR_SK)])
    return found[0] if found else None


def customer_refs_pk(org: str, account: str, mode: str, customer: str) -> str:
    """An account's checkout sessions and setup intents for one customer (pointers: sk `CS#<id>`,
    `SI#<id>`): what an erasure redacts, found by key."""
    return f"{keys.account_prefix(org, account, mode)}#CUSREF#{customer}"


def _customer_refs(writes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A pointer under its customer for every session or setup intent among `writes` that has one,
    written in the same transaction (a Put of a few bytes, the same each time it is written again).
    Here rather than in each caller, so no session or setup intent with a customer goes unlisted."""
    refs: dict[tuple[str, str], dict[str, Any]] = {}
    for write in writes:
        item = write.get("Put", {}).get("Item", {})
        sort_key, customer = item.get("sk", {}).get("S"), item.get("customer", {}).get("S")
        if sort_key not in (keys.CHECKOUT_SESSION_SK, keys.SETUP_INTENT_SK) or not customer:
            continue
        pk = customer_refs_pk(item["org"]["S"], item["account"]["S"], item["mode"]["S"], customer)
        sk = f"{sort_key}#{item['id']['S']}"
        refs[(pk, sk)] = {"Put": {"TableName": _table(), "Item": {**key(pk, sk), "id": item["id"]}}}
    return list(refs.values())


def commit(writes: list[dict[str, Any]], changes: list[dict[str, Any]]) -> None:
    transact([*writes, *_customer_refs(writes), *(change_put(c) for c in changes)])


def customer_refs(org: str, account: str, mode: str, customer: str, *, limit: int, after: str | None) -> list[dict[str, Any]]:
    """Up to `limit` pointers to the account's sessions and setup intents for a customer, after sort key `after`."""
    return query_range(_table(), ("pk", customer_refs_pk(org, account, mode, customer)), "sk", after=after, descending=False, limit=limit)


def get_session(org: str, account: str, mode: str, session: str) -> dict[str, Any] | None:
    if id_time_ms(session) is None:
        return None
    found = batch_get(_table(), [session_key(org, account, mode, session)], consistent=True)
    return found[0] if found else None


def list_sessions(
    org: str, account: str, mode: str, *, limit: int, after: str | None, before: str | None, oldest_ms: int, now_ms: int
) -> list[dict[str, Any]]:
    return query_months(
        _table(), ("gsi1pk", lambda month: keys.checkout_sessions_by_month_pk(org, account, mode, month)), "gsi1sk",
        index=BY_MONTH_INDEX, after=after, before=before, oldest_ms=oldest_ms, now_ms=now_ms, limit=limit,
    )  # fmt: skip


def expiring_in(minute: str, limit: int = 100) -> list[dict[str, Any]]:
    """Open sessions whose expiry falls in this minute (the index holds their whole item)."""
    return query_range(
        _table(), ("gsi2pk", keys.checkout_expiry_pk(minute)), "gsi2sk", index=BY_EXPIRY_INDEX, descending=False, limit=limit
    )


def swept_until() -> str | None:
    """The last minute the expiry sweeper finished (UTC yyyymmddHHMM)."""
    answer = client().get_item(TableName=_table(), Key=key(keys.CHECKOUT_SWEEP_PK, keys.CHECKOUT_SWEEP_SK), ConsistentRead=True)
    return str(from_item(answer["Item"])["minute"]) if "Item" in answer else None


def mark_swept(minute: str) -> None:
    client().put_item(TableName=_table(), Item={**key(keys.CHECKOUT_SWEEP_PK, keys.CHECKOUT_SWEEP_SK), "minute": {"S": minute}})


def setup_intent_key(org: str, account: str, mode: str, intent: str) -> dict[str, Any]:
    return key(keys.setup_intent_pk(org, account, mode, intent), keys.SETUP_INTENT_SK)


def setup_intent_put(intent: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    org, account, mode, sid = intent["org"], intent["account"], intent["mode"], intent["id"]
    index = {"gsi1pk": keys.setup_intents_by_month_pk(org, account, mode, month_of(sid)), "gsi1sk": sid}
    return versioned_put(_table(), {**to_item({**intent, **index}), **setup_intent_key(org, account, mode, sid)}, expected_version)


def get_setup_intent(org: str, account: str, mode: str, intent: str) -> dict[str, Any] | None:
    if id_time_ms(intent) is None:
        return None
    found = batch_get(_table(), [setup_intent_key(org, account, mode, intent)], consistent=True)
    return found[0] if found else None


def list_setup_intents(
    org: str, account: str, mode: str, *, limit: int, after: str | None, before: str | None, oldest_ms: int, now_ms: int
) -> list[dict[str, Any]]:
    return query_months(
        _table(), ("gsi1pk", lambda month: keys.setup_intents_by_month_pk(org, account, mode, month)), "gsi1sk",
        index=BY_MONTH_INDEX, after=after, before=before, oldest_ms=oldest_ms, now_ms=now_ms, limit=limit,
    )  # fmt: skip
