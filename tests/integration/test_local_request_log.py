"""`make run` prints one line per request (method, path, status, ms, account), and `--quiet` none;
a line never holds a query string (the checkout page's `?key=` is its secret), a key or a body."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests.conftest import LocalSystem, eventually, launch, stop

pytestmark = pytest.mark.integration

LINE = re.compile(r"^(GET|POST|DELETE) (/\S*) (\d{3}) (\d+)ms (\S+)$")


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    proc, system = launch(tmp_path_factory.mktemp("request-log"))
    yield system
    stop(proc)


def request_lines(system: LocalSystem) -> list[tuple[str, str, int, int, str]]:
    return [(m[1], m[2], int(m[3]), int(m[4]), m[5]) for line in list(system.logs) if (m := LINE.match(line.strip()))]


def line_for(system: LocalSystem, method: str, path: str, status: int) -> tuple[str, str, int, int, str]:
    found: list[tuple[str, str, int, int, str]] = []

    def seen() -> bool:  # the line follows the answer by a moment: the server writes it after replying
        found[:] = [r for r in request_lines(system) if r[:3] == (method, path, status)]
        return bool(found)

    eventually(seen)
    assert len(found) == 1, found  # one line per request
    return found[0]


def test_each_request_is_one_line_with_method_path_status_ms_account(logged: LocalSystem) -> None:
    rides = logged.accounts["Rocket Rides"]
    customer = logged.client("Rocket Rides").v1.customers.create(params={"name": "Logged Lena", "email": "lena@example.com"})
    assert line_for(logged, "POST", "/v1/customers", 200)[4] == rides.id

    # A 4xx is logged like a 2xx, with the account that made it.
    with pytest.raises(stripe.InvalidRequestError):
        logged.client("Rocket Deliveries").v1.customers.retrieve("cus_missing")
    assert line_for(logged, "GET", "/v1/customers/cus_missing", 404)[4] == logged.accounts["Rocket Deliveries"].id

    # The query string is left out: the path alone.
    status, _ = logged.http("GET", f"/v1/customers?limit=1&email={customer.email}", key=rides.key)
    assert status == 200
    *_, ms, account = line_for(logged, "GET", "/v1/customers", 200)
    assert ms >= 0 and account == rides.id

    # A refused key: no account, and the key it sent is nowhere in the logs.
    wrong = "sk_test_" + "x" * 24
    assert logged.http("GET", "/v1/customers", key=wrong)[0] == 401
    assert line_for(logged, "GET", "/v1/customers", 401)[4] == "-"

    logs = "".join(logged.logs)
    assert wrong not in logs and "lena@example.com" not in logs and "Logged Lena" not in logs
    assert not [a.name for a in logged.accounts.values() if a.key in logs]


def test_the_checkout_pages_key_is_not_logged(logged: LocalSystem) -> None:
    checkout = next(line.strip() for line in logged.output[: logged.banner_lines] if "/checkout/cs_" in line)
    page_path, _, secret = checkout.removeprefix(logged.url).partition("?key=")
    assert secret, checkout
    with urllib.request.urlopen(logged.url + page_path + "?key=" + secret, timeout=10) as page:
        assert page.status == 200 and b"<form" in page.read()
    # The page's own routes have no authorizer: no account.
    assert line_for(logged, "GET", page_path, 200)[4] == "-"
    assert secret not in "".join(logged.logs)


def test_quiet_prints_no_request_lines(tmp_path: Path) -> None:
    proc, system = launch(tmp_path, "--quiet", "--persist")
    try:
        system.client("Rocket Rides").v1.customers.create(params={"name": "Quiet Quinn"})
        try:
            urllib.request.urlopen(system.url + "/v1/nowhere", timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code == 404
    finally:
        stop(proc)
    # Its last words (--persist): everything it printed before them has been read.
    eventually(lambda: any(line.startswith("data kept in") for line in system.output))
    assert request_lines(system) == []
