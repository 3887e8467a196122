"""GET /v1/customers/search through the stripe SDK on the local system: every clause kind, AND,
OR, negation, created ranges, pages through next_page, metadata seen only by the account that set
it, nothing of another pool or mode, writes reflected at once, and malformed queries refused.

Other tests share the system's pools, so every customer here carries a word (`tag`) of its own
test and every query names it (or checks only for the customers it made)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration


def new_tag() -> str:
    return "q" + secrets.token_hex(5)  # one word of letters and digits, in no other test's data


def search(client: stripe.StripeClient, query: str, **params: Any) -> Any:
    given: Any = {"query": query, **params}
    return client.v1.customers.search(params=given)


def ids(result: Any) -> list[str]:
    return [c.id for c in result.data]


@pytest.fixture(scope="module")
def rides(local_system: LocalSystem) -> stripe.StripeClient:
    return local_system.client("Rocket Rides")


@pytest.fixture
def tag() -> str:
    return new_tag()


def test_each_clause_kind_finds_what_it_says(rides: stripe.StripeClient, tag: str) -> None:
    jenny = rides.v1.customers.create(
        params={
            "name": f"Jenny Rosen {tag}",
            "email": f"jenny.rosen.{tag}@example.com",
            "phone": "+1 415 555 0123",
            "metadata": {"tier": tag},
        }
    )
    jennifer = rides.v1.customers.create(params={"name": f"Rosen Jennifer {tag}", "email": f"jr.{tag}@example.org"})
    ambrose = rides.v1.customers.create(params={"name": f"Jo Ambrose {tag}", "email": f"jo.{tag}@example.net", "phone": "+44 20 7946"})

    result = search(rides, f'name~"{tag}"')
    assert (result.object, result.url, result.has_more, result.next_page) == ("search_result", "/v1/customers/search", False, None)
    assert ids(result) == [ambrose.id, jennifer.id, jenny.id]  # newest first
    assert result.data[2].to_dict() == rides.v1.customers.retrieve(jenny.id).to_dict()

    # Exact values, whatever their case; a part of a value is not an exact match.
    assert ids(search(rides, f'email:"JENNY.ROSEN.{tag}@example.com"')) == [jenny.id]
    assert ids(search(rides, f"name:'jenny rosen {tag}'")) == [jenny.id]
    assert ids(search(rides, f'name:"Jenny Rosen" AND name~"{tag}"')) == []
    assert ids(search(rides, f'phone:"+1 415 555 0123" AND email~"{tag}"')) == [jenny.id]

    # ~: words starting so, at least three characters; several words in a row too.
    assert ids(search(rides, f'name~"jen" AND name~"{tag}"')) == [jennifer.id, jenny.id]
    assert ids(search(rides, f'name~"JENNIF" AND name~"{tag}"')) == [jennifer.id]
    assert ids(search(rides, f'name~"rosen jen" AND name~"{tag}"')) == [jennifer.id]
    assert ids(search(rides, f'name~"ros" AND name~"{tag}"')) == [jennifer.id, jenny.id]  # not Ambrose: "ros" starts no word of his
    assert ids(search(rides, f'email~"example.org" AND email~"{tag}"')) == [jennifer.id]
    assert ids(search(rides, f'phone~"7946" AND name~"{tag}"')) == [ambrose.id]
    assert ids(search(rides, f'phone~"415 555" AND name~"{tag}"')) == [jenny.id]

    # Metadata: exact value, the account's own.
    assert ids(search(rides, f'metadata["tier"]:"{tag}"')) == [jenny.id]
    assert ids(search(rides, f"metadata['tier']:'{tag.upper()}'")) == [jenny.id]
    assert ids(search(rides, f'metadata["other"]:"{tag}"')) == []


def test_and_or_and_negation(rides: stripe.StripeClient, tag: str) -> None:
    a = rides.v1.customers.create(params={"name": f"Alma {tag}", "email": f"alma.{tag}@example.com", "metadata": {"plan": "gold"}})
    b = rides.v1.customers.create(params={"name": f"Bert {tag}", "email": f"bert.{tag}@example.com", "metadata": {"plan": "free"}})
    c = rides.v1.customers.create(params={"name": f"Cleo {tag}", "metadata": {"plan": "gold"}})

    assert ids(search(rides, f'metadata["plan"]:"gold" AND name~"{tag}"')) == [c.id, a.id]
    assert ids(search(rides, f'metadata["plan"]:"gold" name~"{tag}"')) == [c.id, a.id]  # a space is AND
    assert ids(search(rides, f'email:"alma.{tag}@example.com" OR email:"bert.{tag}@example.com"')) == [b.id, a.id]
    assert ids(search(rides, f'name:"Cleo {tag}" or email:"alma.{tag}@example.com"')) == [c.id, a.id]  # keywords in any case
    assert ids(search(rides, f'name~"{tag}" AND -metadata["plan"]:"gold"')) == [b.id]
    assert ids(search(rides, f'name~"{tag}" AND -email~"alma"')) == [c.id, b.id]
    assert ids(search(rides, f'-name~"alma" AND -name~"bert" AND name~"{tag}"')) == [c.id]
    # A negation in an OR query: every customer of the pool that is not Alma, or is Bert, and so on.
    found = ids(search(rides, f'-email~"{tag}" OR name:"Bert {tag}"', limit=100))
    assert b.id in found and c.id in found and a.id not in found


def test_created_ranges(rides: stripe.StripeClient, tag: str) -> None:
    made = [rides.v1.customers.create(params={"name": f"Timed {tag} {n}"}) for n in range(3)]
    first, last = min(c.created for c in made), max(c.created for c in made)
    newest_first = [c.id for c in reversed(made)]

    assert ids(search(rides, f'name~"{tag}" AND created>={first} AND created<={last}')) == newest_first
    assert ids(search(rides, f'name~"{tag}" AND created>{last}')) == []
    assert ids(search(rides, f'name~"{tag}" AND created<{first}')) == []
    assert ids(search(rides, f'name~"{tag}" AND -created<{first}')) == newest_first
    only_last = [c.id for c in reversed(made) if c.created == last]
    assert ids(search(rides, f'created:{last} AND name~"{tag}"')) == only_last
    assert ids(search(rides, f"created>{last} AND created<{first}")) == []  # an empty range reads nothing
    # created alone reads the pool's month index: ours are among them, newest first.
    alone = ids(search(rides, f"created>={first}", limit=100))
    assert [i for i in alone if i in newest_first] == newest_first
    # OR merges a created range's month index with a name's index (the range is in the future: empty).
    assert ids(search(rides, f'created>{last + 86400} OR name:"Timed {tag} 1"')) == [made[1].id]
    # (Other tests' customers may share that second: ours, among the rest, oldest last.)
    merged = ids(search(rides, f'created:{made[0].created} OR name:"Timed {tag} 1"', limit=100))
    ours = [i for i in merged if i in newest_first]
    assert made[1].id in ours and ours[-1] == made[0].id


def test_pages_follow_next_page_newest_first(rides: stripe.StripeClient, tag: str) -> None:
    made = [rides.v1.customers.create(params={"name": f"Paged {tag}", "email": f"p{n}.{tag}@example.com"}) for n in range(5)]
    expected = [c.id for c in reversed(made)]
    pages, result = [], search(rides, f'name~"{tag}"', limit=2)
    while True:
        pages.append(ids(result))
        if not result.has_more:
            assert result.next_page is None
            break
        assert isinstance(result.next_page, str) and result.next_page
        result = search(rides, f'name~"{tag}"', limit=2, page=result.next_page)
    assert pages == [expected[:2], expected[2:4], expected[4:]]
    # The SDK's own paging follows next_page too, and an OR query pages the same way.
    assert [c.id for c in search(rides, f'name~"{tag}"', limit=2).auto_paging_iter()] == expected
    either = f'email:"p0.{tag}@example.com" OR email:"p3.{tag}@example.com" OR email:"p4.{tag}@example.com"'
    assert [c.id for c in search(rides, either, limit=1).auto_paging_iter()] == [made[4].id, made[3].id, made[0].id]
    assert len(search(rides, f'name~"{tag}"', limit=100).data) == 5


def test_metadata_is_searched_only_in_the_account_that_set_it(local_system: LocalSystem, rides: stripe.StripeClient, tag: str) -> None:
    deliveries = local_system.client("Rocket Deliveries")
    shared = rides.v1.customers.create(params={"name": f"Shared {tag}", "metadata": {"ride": tag}})
    query = f'metadata["ride"]:"{tag}"'
    assert ids(search(rides, query)) == [shared.id]
    # Deliveries sees the customer (one pool) but not Rides' metadata, nor finds it by that metadata.
    assert ids(search(deliveries, f'name~"{tag}"')) == [shared.id]
    assert ids(search(deliveries, query)) == []
    assert ids(search(deliveries, f'name~"{tag}" AND -{query}')) == [shared.id]
    # Its own metadata, with the same key and value, is its own to find.
    deliveries.v1.customers.update(shared.id, params={"metadata": {"ride": tag}})
    assert ids(search(deliveries, query)) == [shared.id]
    rides.v1.customers.update(shared.id, params={"metadata": {"ride": ""}})
    assert ids(search(rides, query)) == [] and ids(search(deliveries, query)) == [shared.id]
    # The platform acting for Rides searches as Rides.
    platform = local_system.client("Rocket Platform")
    as_deliveries: Any = {"stripe_account": local_system.accounts["Rocket Deliveries"].id}
    assert ids(platform.v1.customers.search(params={"query": query}, options=as_deliveries)) == [shared.id]
    assert ids(platform.v1.customers.search(params={"query": query})) == []


def test_another_pool_organization_or_mode_never_appears(local_system: LocalSystem, rides: stripe.StripeClient, tag: str) -> None:
    rentals = local_system.client("Rocket Rentals")  # a standard account: a pool of its own
    theirs = rentals.v1.customers.create(params={"name": f"Rental {tag}", "email": f"r.{tag}@example.com", "metadata": {"k": tag}})
    ours = rides.v1.customers.create(params={"name": f"Rider {tag}", "email": f"r.{tag}@example.com", "metadata": {"k": tag}})
    for query in (f'name~"{tag}"', f'email:"r.{tag}@example.com"', f'metadata["k"]:"{tag}"', f'name~"{tag}" OR email~"{tag}"'):
        assert ids(search(rides, query)) == [ours.id], query
        assert ids(search(rentals, query)) == [theirs.id], query

    other = local_system.admin("create-org", "--name", f"Search Corp {tag}")
    keys = other["keys"]
    assert isinstance(keys, dict)
    other_test, other_live = local_system.client(key=keys["test"]), local_system.client(key=keys["live"])
    assert ids(search(other_test, f'name~"{tag}"')) == []
    live = other_live.v1.customers.create(params={"name": f"Live {tag}"})
    assert ids(search(other_live, f'name~"{tag}"')) == [live.id] and search(other_live, f'name~"{tag}"').data[0].livemode is True
    assert ids(search(other_test, f'name~"{tag}"')) == []


def test_updates_and_deletes_show_at_once(rides: stripe.StripeClient, tag: str) -> None:
    cus = rides.v1.customers.create(params={"name": f"Before {tag}", "email": f"old.{tag}@example.com", "metadata": {"m": "one"}})
    rides.v1.customers.update(cus.id, params={"name": f"After {tag}", "email": f"new.{tag}@example.com", "metadata": {"m": "two"}})
    assert ids(search(rides, f'name~"before" AND name~"{tag}"')) == []
    assert ids(search(rides, f'name~"after" AND name~"{tag}"')) == [cus.id]
    assert ids(search(rides, f'email:"old.{tag}@example.com"')) == []
    assert ids(search(rides, f'email:"new.{tag}@example.com"')) == [cus.id]
    assert ids(search(rides, f'metadata["m"]:"one" AND name~"{tag}"')) == []
    assert ids(search(rides, f'metadata["m"]:"two" AND name~"{tag}"')) == [cus.id]
    rides.v1.customers.update(cus.id, params={"email": ""})  # unset: no longer found by any email
    assert ids(search(rides, f'email~"{tag}"')) == []

    rides.v1.customers.delete(cus.id)
    for query in (f'name~"{tag}"', f'metadata["m"]:"two" AND name~"{tag}"', f'name:"After {tag}"'):
        assert ids(search(rides, query)) == [], query


def refused(call: Callable[[], Any]) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as err:
        call()
    assert err.value.http_status == 400
    return err.value


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "jenny",  # no operator
        'nickname:"x"',  # no such field
        "name:jenny",  # a string must be quoted
        'name:"unclosed',
        'name~"ab"',  # ~ needs 3 characters
        'name>"a"',
        'metadata["k"]~"abc"',
        "metadata[k]:'v'",
        'metadata[""]:"v"',
        "created>soon",
        'created~"123"',
        'name:"a" AND email:"b" OR phone:"c"',  # AND and OR together
        'name:"a" AND',
        'name:"a"email:"b"',
        " AND ".join(f'name:"n{n}"' for n in range(11)),  # 11 clauses
        'name:""',
    ],
)
def test_a_malformed_query_is_a_400_naming_the_query(rides: stripe.StripeClient, query: str) -> None:
    error = refused(lambda: search(rides, query))
    empty = not query.strip()
    assert (error.param, error.code) == ("query", "parameter_invalid_empty" if empty else "parameter_invalid") and error.user_message


def test_bad_parameters_are_refused_and_search_is_no_customer_id(local_system: LocalSystem, rides: stripe.StripeClient) -> None:
    nothing: Any = {}
    missing = refused(lambda: rides.v1.customers.search(params=nothing))
    assert (missing.param, missing.code) == ("query", "parameter_missing")
    for limit in (0, 101):
        assert refused(partial(search, rides, 'name~"abc"', limit=limit)).param == "limit"
    assert refused(lambda: search(rides, 'name~"abc"', page="not-a-page")).param == "page"
    assert refused(lambda: search(rides, 'name~"abc"', expand=["data.nothing"])).param == "expand"
    status, body = local_system.http(
        "GET", "/v1/customers/search?query=name~%22abc%22&unknown=1", key=local_system.accounts["Rocket Rides"].key
    )
    assert status == 400 and body["error"]["param"] == "unknown"
    # A POST to it is no update of a customer called "search".
    status, body = local_system.http("POST", "/v1/customers/search", key=local_system.accounts["Rocket Rides"].key, body=b"name=x")
    assert status in (404, 405) and "search" not in str(body.get("id", ""))
    assert search(rides, f'name~"{new_tag()}"').data == []
