"""GET /v1/customers/search: Stripe's search query language over a pool's customers, answered
from index items (storage/customer_search.py), never by reading the whole pool.

Grammar: up to 10 clauses joined by AND, OR or a space (AND), not both; a clause is
`[-]field op value`:
  name, email, phone  `:"v"` exact (case-insensitive), `~"v"` words starting so (see below)
  metadata["key"]     `:"v"` exact value (case-insensitive) in the caller's own metadata
  created             `:`, `>`, `<`, `>=`, `<=` a unix time (digits)
`-` negates a clause. `~` matches where the value starts a word of the field (Stripe matches
any substring): `name~"jen"` finds "Jenny Rosen" and "Rosen Jennifer", and `name~"ros"` finds
"Jenny Rosen" but not "Jo Ambrose"; it needs a run of at least 3 letters or digits.

Plan: an AND query reads one index - its most selective clause's (an exact value, then metadata,
then the longest prefix; a created range only narrows the ids read; with none of those, the month
index) - and checks every clause on the customers that index names (fetched by key: one
BatchGetItem per 50). An OR query merges one index per clause (all of them read together), or,
if a clause is negated, checks every clause on the month index's customers. Results come newest
first. A request examines at most MAX_EXAMINED customers: past that it answers what it found
(perhaps fewer than `limit`) with has_more and a next_page that goes on where it stopped.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from orgshare.domain.customers import EXPANDABLE, render
from orgshare.domain.migration import handover
from orgshare.domain.principal import Principal
from orgshare.errors import InvalidRequest
from orgshare.ids import id_time_ms, new_id
from orgshare.params.customers import CustomerSearch
from orgshare.storage import customer_search as store
from orgshare.storage import customers as customers_store
from orgshare.storage.keys import PoolScope
from orgshare.wire.lists import check_expand

MAX_CLAUSES = 10
MAX_EXAMINED = 500  # customers checked per request, whatever the query
_FIELDS = ("name", "email", "phone", "created", "metadata")
_OPERATORS = (">=", "<=", ":", "~", ">", "<")
_CONNECTOR = re.compile(r"(AND|OR)(?=\s|$)", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_]+")
_BARE = re.compile(r"[^\s]+")
_LAST_MS = 62**8 - 1  # the latest time an id can hold (8 base62 characters of milliseconds)
_SLACK_MS = 1000  # a customer's `created` (seconds) and the time in its id may straddle a second


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    value: str | int
    key: str | None = None  # metadata's key
    negated: bool = False


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    any_of: bool  # OR (else AND)


def _error(pos: int, reason: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid search query at character {pos + 1}: {reason}", code="parameter_invalid", param="query")


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """The string quoted at `pos` (double or single quotes, backslash escapes) and where it ends."""
    quote, out, at = text[pos], [], pos + 1
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text):
            out.append(text[at + 1])
            at += 2
        elif char == quote:
            return "".join(out), at + 1
        else:
            out.append(char)
            at += 1
    raise _error(pos, "the quoted value is not closed.")


def _value(text: str, pos: int) -> tuple[str, bool, int]:
    """The value at `pos`, whether it was quoted, and where it ends."""
    if pos < len(text) and text[pos] in "\"'":
        value, end = _quoted(text, pos)
        return value, True, end
    bare = _BARE.match(text, pos)
    if bare is None:
        raise _error(pos, "a value must follow the operator.")
    return bare.group(), False, bare.end()


def _checked(field: str, op: str, value: str, quoted: bool, key: str | None, negated: bool, pos: int) -> Clause:
    if field == "created":
        if op == "~" or not re.fullmatch(r"[0-9]{1,12}", value):
            raise _error(pos, "created takes :, >, <, >= or <= and a unix timestamp, e.g. created>1609459200.")
        return Clause(field, op, int(value), negated=negated)
    if not quoted:
        raise _error(pos, f'string values must be quoted, e.g. {field}:"{value}".')
    if field == "metadata" and op != ":":
        raise _error(pos, 'metadata takes an exact value only, e.g. metadata["key"]:"value".')
    if op not in (":", "~"):
        raise _error(pos, f"{field} takes : (exact) or ~ (words starting with), not {op}.")
    if not value:
        raise _error(pos, "the value is empty.")
    if op == "~" and not any(len(w) >= store.MIN_WORD for w in store.words(value)):
        raise _error(pos, f"~ needs at least {store.MIN_WORD} letters or digits in a row.")
    return Clause(field, op, value, key=key, negated=negated)


def _clause(text: str, pos: int) -> tuple[Clause, int]:
    start = pos
    negated = text.startswith("-", pos)
    pos += negated
    name = _NAME.match(text, pos)
    if name is None:
        raise _error(pos, "expected a field name.")
    field, pos = name.group(), name.end()
    if field not in _FIELDS:
        raise _error(name.start(), f"'{field}' is not a customer search field (created, email, metadata, name, phone).")
    key = None
    if field == "metadata":
        if not text.startswith("[", pos) or pos + 1 >= len(text) or text[pos + 1] not in "\"'":
            raise _error(pos, 'metadata needs a quoted key, e.g. metadata["key"].')
        key, pos = _quoted(text, pos + 1)
        if not text.startswith("]", pos) or not 1 <= len(key) <= 40:
            raise _error(pos, "a metadata key is 1 to 40 characters in brackets.")
        pos += 1
    op = next((o for o in _OPERATORS if text.startswith(o, pos)), None)
    if op is None:
        raise _error(pos, "expected an operator (:, ~, >, <, >=, <=).")
    value, quoted, end = _value(text, pos + len(op))
    return _checked(field, op, value, quoted, key, negated, start), end


def parse(text: str) -> Query:
    """The query, or the Stripe-shaped 400 (param `query`) naming where it went wrong."""
    clauses: list[Clause] = []
    connectors: set[str] = set()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        if clauses:
            joined = _CONNECTOR.match(text, pos)
            connectors.add(joined.group(1).upper() if joined else "AND")
            if joined:
                pos = joined.end()
                while pos < len(text) and text[pos].isspace():
                    pos += 1
                if pos >= len(text):
                    raise _error(pos, f"a clause must follow {joined.group(1)}.")
        clause, pos = _clause(text, pos)
        clauses.append(clause)
        if pos < len(text) and not text[pos].isspace():
            raise _error(pos, "clauses are separated by a space, AND or OR.")
    if not clauses:
        raise InvalidRequest("The search query is empty.", code="parameter_invalid_empty", param="query")
    if len(connectors) > 1:
        raise _error(0, "AND and OR cannot be combined in one query.")
    if len(clauses) > MAX_CLAUSES:
        raise _error(0, f"a query has at most {MAX_CLAUSES} clauses.")
    return Query(tuple(clauses), any_of=connectors == {"OR"})


def _word_start_match(value: str, wanted: str) -> bool:
    """Whether `wanted` occurs in `value` where a word starts (case-insensitively)."""
    haystack, needle = value.casefold(), wanted.casefold()
    at = haystack.find(needle)
    while at >= 0:
        if at == 0 or not store.is_word_char(haystack[at - 1]) or not store.is_word_char(needle[0]):
            return True
        at = haystack.find(needle, at + 1)
    return False


def matches(clause: Clause, shared: dict[str, Any], overlay: dict[str, Any] | None) -> bool:
    """Whether one customer, as this account sees it, satisfies the clause."""
    if clause.field == "created":
        created, bound = int(shared["created"]), int(clause.value)
        ops = {":": created == bound, ">": created > bound, "<": created < bound, ">=": created >= bound, "<=": created <= bound}
        hit = ops[clause.op]
    elif clause.field == "metadata":
        found = ((overlay or {}).get("metadata") or {}).get(clause.key or "")
        hit = found is not None and str(found).casefold() == str(clause.value).casefold()
    else:
        value = shared.get(clause.field)
        if not value:
            hit = False
        elif clause.op == ":":
            hit = str(value).casefold() == str(clause.value).casefold()
        else:
            hit = _word_start_match(str(value), str(clause.value))
    return hit != clause.negated


# -- the plan: which index reads give the candidates --------------------------------------------
@dataclass(frozen=True)
class Source:
    """One index read: a term's partition, or (term None) the month index; ids in (low, high)."""

    term: str | None
    low: str | None = None
    high: str | None = None


def _bound_id(ms: int, *, high: bool) -> str:
    """An id that sorts below (or above) every customer id of that millisecond."""
    body = new_id("cus", min(max(ms, 0), _LAST_MS))[:-16]  # "cus_" and the 8 time characters
    return body + ("z" if high else "0") * 16


def _id_range(clauses: list[Clause]) -> tuple[str | None, str | None, bool]:
    """The id bounds the positive created clauses imply (loose by a second: the check is exact),
    and whether they leave any room."""
    low_s, high_s = None, None
    for c in clauses:
        bound = int(c.value)
        lo = {":": bound, ">": bound + 1, ">=": bound}.get(c.op)
        hi = {":": bound, "<": bound - 1, "<=": bound}.get(c.op)
        low_s = lo if lo is not None and (low_s is None or lo > low_s) else low_s
        high_s = hi if hi is not None and (high_s is None or hi < high_s) else high_s
    if low_s is not None and high_s is not None and low_s > high_s:
        return None, None, False
    low = _bound_id(low_s * 1000 - _SLACK_MS, high=False) if low_s is not None else None
    high = _bound_id((high_s + 1) * 1000 + _SLACK_MS, high=True) if high_s is not None else None
    return low, high, True


def _lookup(clause: Clause, account: str) -> tuple[int, str] | None:
    """(rank, term) of the index item a positive clause can be read from (lower rank: fewer
    customers, we expect), or None for a clause only checks can answer (created, negations)."""
    if clause.negated or clause.field == "created":
        return None
    value = str(clause.value)
    if clause.field == "metadata":
        return 1, store.metadata_term(account, clause.key or "", value)
    if clause.op == ":":
        return (0 if clause.field in ("email", "phone") else 1), store.exact_term(clause.field, value)
    longest = max((w for w in store.words(value) if len(w) >= store.MIN_WORD), key=len)
    return (2 if len(longest) >= store.PREFIX_LENGTHS[-1] else 3), store.prefix_term(clause.field, longest)


def plan(query: Query, account: str) -> list[Source] | None:
    """The index reads whose merged ids hold every match; None if nothing can match."""
    clauses = list(query.clauses)
    if query.any_of:
        if any(c.negated for c in clauses):
            return [Source(None)]  # "not X" holds for most of the pool: read it in order, and check
        sources = []
        for c in clauses:
            found = _lookup(c, account)
            if found is None:  # a created range
                low, high, room = _id_range([c])
                sources += [Source(None, low, high)] if room else []
            else:
                sources.append(Source(found[1]))
        return sources or None
    low, high, room = _id_range([c for c in clauses if c.field == "created" and not c.negated])
    if not room:
        return None
    lookups = [found for c in clauses if (found := _lookup(c, account)) is not None]
    return [Source(min(lookups)[1] if lookups else None, low, high)]


def _read(source: Source, scope: PoolScope, before: str | None, limit: int, now_ms: int) -> list[str]:
    high = min(filter(None, (before, source.high)), default=None)
    if source.term is not None:
        return store.term_ids(scope, source.term, after=source.low, before=high, limit=limit)
    oldest = max(id_time_ms(scope.pool) or 0, (id_time_ms(source.low) or 0) if source.low else 0)
    newest = _bound_id(now_ms + 60_000, high=True)  # the month index reads newest first from an upper bound
    return store.month_ids(scope, after=source.low, before=high or newest, oldest_ms=oldest, now_ms=now_ms, limit=limit)


def _candidates(sources: list[Source], scopes: list[PoolScope], before: str | None, limit: int) -> list[str]:
    """The newest `limit` ids below `before` that any source names, in any of the scopes: every
    read at once (one round trip of latency), merged."""
    now_ms = int(time.time() * 1000)
    reads = [(s, scope) for s in sources for scope in scopes]
    if len(reads) == 1:
        found = _read(reads[0][0], reads[0][1], before, limit, now_ms)
    else:
        with ThreadPoolExecutor(max_workers=min(len(reads), 8)) as pool:
            found = [i for ids in pool.map(lambda r: _read(r[0], r[1], before, limit, now_ms), reads) for i in ids]
    return sorted(set(found), reverse=True)[:limit]


def _cursor(page: str | None) -> str | None:
    if page is None:
        return None
    try:
        cus = base64.urlsafe_b64decode(page.encode() + b"==").decode()
    except (binascii.Error, UnicodeDecodeError):
        cus = ""
    if not cus.startswith("cus_") or id_time_ms(cus) is None:
        raise InvalidRequest("Invalid page: use the next_page of a previous search.", code="parameter_invalid", param="page")
    return cus


def _page_token(cus: str) -> str:
    return base64.urlsafe_b64encode(cus.encode()).decode().rstrip("=")


def search(principal: Principal, params: CustomerSearch, url: str) -> dict[str, Any]:
    check_expand(params.expand, EXPANDABLE, in_list=True)
    query = parse(params.query)
    cursor = _cursor(params.page)
    sources = plan(query, principal.account)
    # While the account's customers move into the pool, both pools' indexes are read.
    source = handover.source_scope(principal)
    scopes = [source, principal.scope] if source is not None else [principal.scope]
    want, examined = params.limit + 1, 0
    found: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    has_more, next_cursor = False, None
    batch, test = want, any if query.any_of else all
    while sources is not None:
        ids = _candidates(sources, scopes, cursor, batch)
        got = store.customers(scopes, ids, principal.account)
        for cus in ids:
            examined += 1
            entry = got.get(cus)
            if entry is not None and test(matches(c, *entry) for c in query.clauses):
                found.append(entry)
            if len(found) == want:
                break
        if len(found) == want:
            has_more, next_cursor = True, found[params.limit - 1][0]["id"]
            break
        if len(ids) < batch:
            break  # every source read to its end
        cursor = ids[-1]
        if examined >= MAX_EXAMINED:
            has_more, next_cursor = True, cursor  # the work's bound: go on from here next time
            break
        batch = min(100, 4 * (want - len(found)))
    data = [render(shared, overlay, principal.livemode) for shared, overlay in found[: params.limit]]
    return {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": _page_token(next_cursor) if next_cursor else None,
        "url": url,
    }


def backfill(scope: PoolScope, *, after: str | None = None, limit: int = 100) -> tuple[int, str | None]:
    """Writes the index items of up to `limit` customers of a pool made before search existed
    (oldest first, ids after `after`): each customer's missing or stale items in a transaction
    guarded by its version (one that changed meanwhile was indexed by that change, and is
    skipped). How many customers it changed, and the id to go on after (None when done). An
    admin job over the month index: never a Scan."""
    page = customers_store.list_page(
        scope, limit=limit, after=after or _bound_id(0, high=False), before=None, email=None,
        pool_created_ms=id_time_ms(scope.pool) or 0, now_ms=int(time.time() * 1000),
    )  # fmt: skip
    changed = 0
    for shared in page:
        items = customers_store.partition(scope, shared["id"])
        wanted = store.slots(shared)
        for overlay in (i for i in items if str(i["sk"]).startswith("ACCT#")):
            wanted |= store.slots(shared, str(overlay["sk"]).removeprefix("ACCT#"), overlay)
        changed += store.reindex(scope, shared, store.writes(scope, shared["id"], store.existing(scope, items), wanted))
    return changed, (page[-1]["id"] if len(page) == limit else None)
