"""The customer search's index items, in process over moto: they move with their customers when
sharing is enabled (searchable in the shared pool, none left in the old one, metadata still the
moving account's alone), a backfill indexes customers made before search, each request's work is
bounded (next_page goes on where it stopped), and a search reads index partitions only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.counting import dynamodb_calls
from orgshare.domain import customer_search, customers
from orgshare.domain.principal import Principal, RequestInfo
from orgshare.errors import InvalidRequest
from orgshare.params.customers import CustomerCreate, CustomerSearch, CustomerUpdate
from orgshare.settings import get_settings
from orgshare.storage import customer_search as index_store
from orgshare.storage.dynamo import client
from orgshare.storage.keys import PoolScope
from tests.unit import test_migration_worker as migration_tests
from tests.unit.test_migration_worker import Org, _drain, _enable, _reauth

REQ = RequestInfo("req_test")


@pytest.fixture
def org(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    """The migration worker tests' organization (seeded demo, small batches, no caches)."""
    yield from migration_tests.org.__wrapped__(aws, monkeypatch)  # type: ignore[attr-defined]


def found(who: Principal, query: str, **params: Any) -> list[str]:
    return [c["id"] for c in customer_search.search(who, CustomerSearch(query=query, **params), "/v1/customers/search")["data"]]


def pool_items(scope: PoolScope, prefix: str = "") -> list[dict[str, Any]]:
    """Every item of the data table under a pool's keys (a Scan: the test's view, not the product's)."""
    pages = client().get_paginator("scan").paginate(TableName=get_settings().data_table)
    return [i for page in pages for i in page["Items"] if i["pk"]["S"].startswith(scope.prefix + "#") and i["sk"]["S"].startswith(prefix)]


def create(who: Principal, **fields: Any) -> dict[str, Any]:
    return customers.create(who, CustomerCreate.model_validate(fields), REQ)


def test_index_items_move_with_their_customers_into_the_shared_pool(org: Org) -> None:
    mine = [create(org.rentals, name=f"Moving Mona {n}", email=f"mona{n}@rentals.example", metadata={"lane": "fast"}) for n in range(4)]
    stay = create(org.rides, name="Moving Ride", metadata={"lane": "fast"})
    source = org.rentals.scope
    assert found(org.rentals, 'name~"moving"') == [c["id"] for c in reversed(mine)]
    assert pool_items(source, index_store.SEARCH_SK)

    _enable(org, org.rentals)
    migrating = _reauth(org.rentals)
    assert migrating.migrating and migrating.scope != source
    # Mid-migration nothing moved yet: the search reads the pool the customers are leaving too.
    everyone = [stay["id"]] + [c["id"] for c in reversed(mine)]
    assert found(migrating, 'name~"moving"') == everyone

    _drain()
    rentals = _reauth(org.rentals)
    assert not rentals.migrating and rentals.scope == org.rides.scope
    assert not pool_items(source, index_store.SEARCH_SK)  # nothing left behind to find, or to leak
    assert found(rentals, 'name~"moving"') == everyone
    assert found(org.rides, 'name~"mona"') == [c["id"] for c in reversed(mine)]
    assert found(org.rides, 'email:"mona2@rentals.example"') == [mine[2]["id"]]
    # Metadata is still per account: each finds only its own.
    assert found(rentals, 'metadata["lane"]:"fast"') == [c["id"] for c in reversed(mine)]
    assert found(org.rides, 'metadata["lane"]:"fast"') == [stay["id"]]
    keyed = {i["gsi2pk"]["S"] for i in pool_items(rentals.scope, index_store.SEARCH_SK + "m:")}
    assert keyed == {f"{rentals.scope.prefix}#CUS#S#m:{a}:4:lane:fast" for a in (org.rentals.account, org.rides.account)}
    # And the moved items stay in step with later writes.
    customers.update(rentals, mine[0]["id"], CustomerUpdate.model_validate({"name": "Renamed"}), REQ)
    assert found(org.rides, 'name~"mona"') == [c["id"] for c in reversed(mine[1:])]
    assert found(org.rides, 'name:"renamed"') == [mine[0]["id"]]


def _drop_index_items(scope: PoolScope) -> None:
    for item in pool_items(scope, index_store.SEARCH_SK):
        client().delete_item(TableName=get_settings().data_table, Key={"pk": item["pk"], "sk": item["sk"]})


def test_a_backfill_indexes_customers_made_before_search(org: Org) -> None:
    made = [create(org.rentals, name=f"Old Olga {n}", metadata={"n": str(n)}) for n in range(5)]
    _drop_index_items(org.rentals.scope)  # as a deployment's customers from before this feature
    assert found(org.rentals, 'name~"olga"') == []  # a search reads the index, not the pool

    changed, after = customer_search.backfill(org.rentals.scope, limit=3)
    assert (changed, after) == (3, made[2]["id"])
    assert found(org.rentals, 'name~"olga"') == [c["id"] for c in reversed(made[:3])]
    assert customer_search.backfill(org.rentals.scope, after=after, limit=3) == (2, None)
    assert found(org.rentals, 'name~"olga"') == [c["id"] for c in reversed(made)]
    assert found(org.rentals, 'metadata["n"]:"4"') == [made[4]["id"]]
    assert customer_search.backfill(org.rentals.scope) == (0, None)  # all in step: nothing to write


def test_the_work_of_a_request_is_bounded_and_next_page_goes_on(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    made = [create(org.rentals, name=f"Common {'Rare' if n in (1, 7) else 'Name'} {n}") for n in range(12)]
    monkeypatch.setattr(customer_search, "MAX_EXAMINED", 4)
    query = 'name~"common" AND name~"nam" AND -name~"name"'  # the index names 12; none match
    assert found(org.rentals, query) == []
    first = customer_search.search(org.rentals, CustomerSearch(query='name~"common" AND name~"rare"', limit=5), "")
    assert first["has_more"] and first["next_page"]  # stopped after 4 examined, at most
    seen = [c["id"] for c in first["data"]]
    page = first
    while page["has_more"]:
        page = customer_search.search(
            org.rentals, CustomerSearch(query='name~"common" AND name~"rare"', limit=5, page=page["next_page"]), ""
        )
        seen += [c["id"] for c in page["data"]]
    assert seen == [made[7]["id"], made[1]["id"]]


def test_a_search_is_a_query_of_an_index_and_one_batch_read(org: Org) -> None:
    cus = create(org.rentals, name="Counted Carla", email="carla@count.example", metadata={"k": "v"})
    with dynamodb_calls() as one:
        assert found(org.rentals, 'name~"carla"') == [cus["id"]]
    with dynamodb_calls() as two:
        assert found(org.rentals, 'email:"carla@count.example" AND metadata["k"]:"v"') == [cus["id"]]
    assert dict(one) == dict(two) == {"Query": 1, "BatchGetItem": 1}
    with dynamodb_calls() as calls:
        assert found(org.rentals, 'name~"carla" OR email:"nobody@count.example"') == [cus["id"]]
    assert dict(calls) == {"Query": 2, "BatchGetItem": 1} and "Scan" not in calls


def test_the_largest_update_still_fits_one_transaction(org: Org) -> None:
    """Every searchable field replaced by as many words as are indexed, and 50 metadata values
    changed, in one update: its index writes go in the customer's own transaction (<= 100 items)."""
    words = " ".join(f"word{n}x" for n in range(30))
    old = {"name": words, "email": f"{words.replace(' ', '.')}@a.example"[:500], "phone": "123 456 789 012",
           "metadata": {f"k{n}": f"old {n}" for n in range(50)}}  # fmt: skip
    cus = create(org.rentals, **old)
    new = {"name": words.upper().replace("WORD", "TERM"), "email": "z." + str(old["email"]).replace("word", "term"), "phone": "987 654 321",
           "metadata": {f"k{n}": f"new {n}" for n in range(50)}}  # fmt: skip
    with dynamodb_calls() as calls:
        customers.update(org.rentals, cus["id"], CustomerUpdate.model_validate(new), REQ)
    assert calls["TransactWriteItems"] == 1
    assert found(org.rentals, 'name~"term3x"') == [cus["id"]]
    assert found(org.rentals, 'name~"term9x"') == []  # the 10th word: only the first 4 are indexed
    assert found(org.rentals, 'name~"word0x"') == [] and found(org.rentals, 'metadata["k49"]:"new 49"') == [cus["id"]]
    assert found(org.rentals, 'phone:"987 654 321"') == [cus["id"]] and found(org.rentals, 'phone~"123"') == []


def test_updates_and_deletes_leave_no_stale_index_items(org: Org) -> None:
    cus = create(org.rentals, name="Stale Sam", email="sam@stale.example", metadata={"k": "v"})
    own = f"{org.rentals.scope.prefix}#CUS#{cus['id']}"

    def slots() -> set[str]:
        return {
            i["sk"]["S"].removeprefix(index_store.SEARCH_SK)
            for i in pool_items(org.rentals.scope, index_store.SEARCH_SK)
            if i["pk"]["S"] == own
        }

    assert slots() == {"x:name", "p:name:sta", "p:name:stale", "p:name:sam", "x:email", "p:email:sam", "p:email:sta", "p:email:stale",
                       "p:email:exa", "p:email:examp", f"m:{org.rentals.account}:1:k"}  # fmt: skip
    customers.update(org.rentals, cus["id"], CustomerUpdate.model_validate({"name": "Fresh Sam", "email": "", "metadata": {"k": ""}}), REQ)
    assert slots() == {"x:name", "p:name:fre", "p:name:fresh", "p:name:sam"}
    customers.delete(org.rentals, cus["id"], REQ)
    assert slots() == set()


def test_deleting_a_customer_with_more_index_items_than_a_transaction_holds(org: Org) -> None:
    cus = create(org.rides, name="Busy Bea", email="bea@busy.example", metadata={f"r{n}": "x" for n in range(50)})
    customers.update(org.platform, cus["id"], CustomerUpdate.model_validate({"metadata": {f"p{n}": "y" for n in range(50)}}), REQ)
    own = f"{org.rides.scope.prefix}#CUS#{cus['id']}"
    assert len([i for i in pool_items(org.rides.scope, index_store.SEARCH_SK) if i["pk"]["S"] == own]) > 100
    customers.delete(org.rides, cus["id"], REQ)
    assert [i for i in pool_items(org.rides.scope, index_store.SEARCH_SK) if i["pk"]["S"] == own] == []
    assert found(org.platform, 'metadata["p1"]:"y"') == [] and found(org.rides, 'name~"busy"') == []


FRAGMENTS = st.sampled_from(
    ["name", "email", "phone", "created", "metadata", '["k"]', "['k']", "[", "]", ":", "~", ">", "<", ">=", "<=", "-", '"', "'", "\\",
     " ", "AND", "OR", "and", '"jen"', '"ab"', "'x y'", "1609459200", "999999999999", "é"]
)  # fmt: skip
QUERIES = st.one_of(st.text(max_size=60), st.lists(FRAGMENTS, max_size=14).map("".join))


@given(QUERIES)
@settings(max_examples=400, deadline=None)
def test_any_query_text_parses_or_is_a_400_naming_the_query(text: str) -> None:
    try:
        query = customer_search.parse(text)
    except InvalidRequest as refused:
        assert refused.param == "query" and refused.status == 400
        return
    assert 1 <= len(query.clauses) <= customer_search.MAX_CLAUSES
    for clause in query.clauses:
        # Whatever parsed can be planned and checked against any customer.
        customer_search.plan(query, "acct_x")
        assert customer_search.matches(clause, {"id": "cus_x", "created": 1, "name": "Jen"}, None) in (True, False)
