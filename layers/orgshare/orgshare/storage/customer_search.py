"""Customer search index items: what makes a customer findable by `GET /v1/customers/search`.

Each searchable value is one small item in the customer's own partition (sort key SRCH#<slot>)
whose by_field index key names the value within the pool: `<pool prefix>#CUS#S#<term>`, sorted by
customer id, so a search term is one Query of one index partition, newest customer first. They
are derived from the customer (`slots`) and written in the customer's own transactions, as deltas.
Because they live in the customer's partition with pool-prefixed keys, the sharing migration's
moves copy them (and rewrite their index keys to the new pool) like every other item there.

Terms, by slot:
- x:<field>            -> x:<field>:<whole value>   exact name, email, phone (one item each)
- p:<field>:<prefix>   -> the same                  prefixes (3 and 5 characters) of the field's
                                                    first words (name 4, email 4, phone 2)
- m:<account>:<n>:<key> -> ...:<value>             metadata of ONE account: the account is in the
                                                    key, so no other account's search can name it
Values are case-folded; one too long for a key stands as its SHA-256 (a search checks the
customer it finds, so a shared hash can only cost a read, never a wrong answer).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from orgshare.settings import get_settings
from orgshare.storage import keys
from orgshare.storage.customers import BY_EMAIL_INDEX, BY_MONTH_INDEX
from orgshare.storage.dynamo import ConditionFailed, batch_get, key, query_range, to_item, transact
from orgshare.storage.keys import PoolScope
from orgshare.storage.months import query_months

SEARCH_SK = "SRCH#"  # sorts after "PM#\uffff": outside the customer's card range (keys.CARD_LINKS_*)
BY_TERM_INDEX = BY_EMAIL_INDEX  # the by_field index (gsi2): the shared item's email key, and these
PREFIX_LENGTHS = (3, 5)
WORDS_PER_FIELD = {"name": 4, "email": 4, "phone": 2}
TEXT_FIELDS = tuple(WORDS_PER_FIELD)
MIN_WORD = PREFIX_LENGTHS[0]
_LONGEST_VALUE = 200  # bytes of a value kept as is in a key (DynamoDB allows 2048 in a partition key)
_WORD = re.compile(r"[^\W_]+")  # letters and digits, any script


def _table() -> str:
    return get_settings().data_table


def words(value: str) -> list[str]:
    """The case-folded runs of letters and digits of `value`, in order."""
    return _WORD.findall(value.casefold())


def is_word_char(char: str) -> bool:
    return bool(_WORD.fullmatch(char))


def norm(value: str) -> str:
    folded = value.casefold()
    return folded if len(folded.encode()) <= _LONGEST_VALUE else "#" + hashlib.sha256(folded.encode()).hexdigest()


def exact_term(field: str, value: str) -> str:
    return f"x:{field}:{norm(value)}"


def prefix_term(field: str, word: str) -> str:
    """The term a search for words starting with `word` reads: its longest indexed prefix."""
    length = max(n for n in PREFIX_LENGTHS if n <= len(word))
    return f"p:{field}:{word[:length]}"


def metadata_term(account: str, meta_key: str, value: str) -> str:
    return f"m:{account}:{len(meta_key)}:{meta_key}:{norm(value)}"


def slots(shared: dict[str, Any] | None, account: str | None = None, overlay: dict[str, Any] | None = None) -> dict[str, str]:
    """slot -> term of a customer's index items: its shared fields' (unless it is deleted or has
    moved) and, with `account`, that account's metadata."""
    found: dict[str, str] = {}
    if not shared or shared.get("deleted") or "moved_to" in shared:
        return found
    for field, most in WORDS_PER_FIELD.items():
        value = shared.get(field)
        if not value:
            continue
        found[f"x:{field}"] = exact_term(field, value)
        indexed = list(dict.fromkeys(w for w in words(value) if len(w) >= MIN_WORD))[:most]
        for word in indexed:
            for length in PREFIX_LENGTHS:
                if len(word) >= length:
                    term = f"p:{field}:{word[:length]}"
                    found[term] = term
    if account is not None:
        for meta_key, value in ((overlay or {}).get("metadata") or {}).items():
            found[f"m:{account}:{len(meta_key)}:{meta_key}"] = metadata_term(account, meta_key, value)
    return found


def term_pk(scope: PoolScope, term: str) -> str:
    return f"{scope.prefix}#CUS#S#{term}"


def writes(scope: PoolScope, cus: str, before: dict[str, str], after: dict[str, str]) -> list[dict[str, Any]]:
    """Transaction writes turning a customer's index items from `before` into `after` (slot ->
    term): a Delete for each slot gone, a Put for each new or changed one, nothing for the rest."""
    pk = keys.customer_pk(scope, cus)
    out: list[dict[str, Any]] = [
        {"Delete": {"TableName": _table(), "Key": key(pk, SEARCH_SK + slot)}} for slot in sorted(before.keys() - after.keys())
    ]
    for slot, term in sorted(after.items()):
        if before.get(slot) != term:
            item = {"pk": pk, "sk": SEARCH_SK + slot, "gsi2pk": term_pk(scope, term), "gsi2sk": cus}
            out.append({"Put": {"TableName": _table(), "Item": to_item(item)}})
    return out


def is_index_item(item: dict[str, Any]) -> bool:
    return str(item["sk"]).startswith(SEARCH_SK)


def deletes(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Transaction Deletes of the index items among a customer's partition's items."""
    return [{"Delete": {"TableName": _table(), "Key": key(i["pk"], i["sk"])}} for i in items if is_index_item(i)]


def delete_now(writes_left: list[dict[str, Any]]) -> None:
    """Deletes of index items that did not fit their customer's transaction (a customer with many
    accounts' metadata, deleted): after it, 100 a transaction. Until they are gone they name a
    deleted customer, which a search reads and drops."""
    for start in range(0, len(writes_left), 100):
        transact(writes_left[start : start + 100])


def term_ids(scope: PoolScope, term: str, *, after: str | None, before: str | None, limit: int) -> list[str]:
    """Ids of the pool's customers indexed under `term`, strictly between the ids `after` and
    `before`, newest first: one Query (more only if DynamoDB pages it)."""
    found = query_range(
        _table(), ("gsi2pk", term_pk(scope, term)), "gsi2sk", index=BY_TERM_INDEX, after=after, before=before, descending=True, limit=limit
    )
    return [str(i["gsi2sk"]) for i in found]


def month_ids(scope: PoolScope, *, after: str | None, before: str, oldest_ms: int, now_ms: int, limit: int) -> list[str]:
    """Ids of the pool's live customers strictly between `after` and `before`, newest first, from
    the month index (reading months only while the page is not full)."""
    found = query_months(
        _table(), ("gsi1pk", lambda month: keys.customers_by_month_pk(scope, month)), "gsi1sk", index=BY_MONTH_INDEX,
        after=after, before=before, oldest_ms=oldest_ms, now_ms=now_ms, limit=limit,
    )  # fmt: skip
    return [str(i["gsi1sk"]) for i in found]


def customers(scopes: list[PoolScope], ids: list[str], account: str) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
    """The live shared item and this account's overlay of each customer found, by id, read
    consistently (BatchGetItem, 100 keys a call); a customer in several of `scopes` (moving from
    one to the next) is taken from the last that holds it live."""
    wanted = [key(keys.customer_pk(s, c), sk) for c in ids for s in scopes for sk in (keys.CUSTOMER_SK, keys.overlay_sk(account))]
    items = [i for start in range(0, len(wanted), 100) for i in batch_get(_table(), wanted[start : start + 100], consistent=True)]
    by_pk = {(i["pk"], i["sk"]): i for i in items}
    found: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    for cus in ids:
        for scope in scopes:
            pk = keys.customer_pk(scope, cus)
            shared = by_pk.get((pk, keys.CUSTOMER_SK))
            if shared is not None and not shared.get("deleted") and "moved_to" not in shared:
                found[cus] = (shared, by_pk.get((pk, keys.overlay_sk(account))))
    return found


def existing(scope: PoolScope, items: Iterable[dict[str, Any]]) -> dict[str, str]:
    """slot -> term of the index items among a customer's partition's items (as `slots` gives them)."""
    prefix = term_pk(scope, "")
    return {str(i["sk"]).removeprefix(SEARCH_SK): str(i.get("gsi2pk", "")).removeprefix(prefix) for i in items if is_index_item(i)}


def reindex(scope: PoolScope, shared: dict[str, Any], changes: list[dict[str, Any]]) -> int:
    """A backfill's writes for one customer, 99 a transaction, each guarded by the version it was
    read at; 1 if they were all written, 0 if there were none or the customer changed meanwhile."""
    check = {
        "ConditionCheck": {
            "TableName": _table(), "Key": key(keys.customer_pk(scope, shared["id"]), keys.CUSTOMER_SK),
            "ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": {"N": str(shared["version"])}},
        }
    }  # fmt: skip
    for start in range(0, len(changes), 99):
        try:
            transact([check, *changes[start : start + 99]])
        except ConditionFailed:
            return 0
    return 1 if changes else 0
