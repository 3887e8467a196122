"""`python -m orgshare.admin seed-customers` and `enable-sharing` against a local system, as the
README's demo runs them: a standard account's customers, with their cards, become Rocket Rides'
with the same ids; without --consent-collected nothing is enabled."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from orgshare import admin
from orgshare.domain.organization.enablements import CONSENT_NEEDED
from tests.conftest import ROOT, LocalSystem, eventually, launch, stop

pytestmark = pytest.mark.integration

ENABLEMENTS = "/v1/organization/sharing_enablements"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """A system of its own: caches of a second, so an enablement switches its accounts within
    seconds (not the default minute), and demo accounts no other test has enabled sharing for."""
    proc, system = launch(tmp_path_factory.mktemp("sharing"), "--cache-seconds", "1")
    yield system
    stop(proc)


def cli(system: LocalSystem, *args: str) -> subprocess.CompletedProcess[str]:
    """The admin command line as an operator runs it, against `system` (its local.json)."""
    return subprocess.run(
        [sys.executable, "-m", "orgshare.admin", *args, "--local", str(system.state_dir / "local.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip


def enablements(system: LocalSystem) -> list[dict[str, Any]]:
    status, listed = system.http("GET", ENABLEMENTS + "?limit=100", key=system.accounts["Rocket Platform"].key)
    assert status == 200, listed
    data: list[dict[str, Any]] = listed["data"]
    return data


# First in this module: nothing has been enabled on its system yet.
def test_without_consent_the_cli_refuses_with_the_consent_message_and_enables_nothing(system: LocalSystem) -> None:
    refused = cli(system, "enable-sharing", "--account", "Rocket Repairs")

    assert refused.returncode == 2
    assert refused.stdout == ""
    assert CONSENT_NEEDED in refused.stderr and "consent_required" in refused.stderr and "--consent-collected" in refused.stderr
    assert enablements(system) == []
    repairs = system.client().v1.accounts.retrieve(system.accounts["Rocket Repairs"].id)
    assert repairs.to_dict()["shared_pool"] is False


def test_an_unknown_account_name_is_refused_with_the_names_there_are(system: LocalSystem) -> None:
    refused = cli(system, "enable-sharing", "--account", "Rocket Nowhere", "--consent-collected")

    assert refused.returncode == 2 and refused.stdout == ""
    assert "No account named 'Rocket Nowhere'" in refused.stderr and "Rocket Rentals" in refused.stderr


def test_seeded_customers_of_rentals_appear_for_rides_with_the_same_ids_after_enablement(system: LocalSystem) -> None:
    rides, rentals = system.client("Rocket Rides"), system.client("Rocket Rentals")
    seeded_run = cli(system, "seed-customers", "--account", "Rocket Rentals", "--count", "25", "--cards")
    assert seeded_run.returncode == 0, seeded_run.stderr
    seeded = json.loads(seeded_run.stdout)
    assert seeded["account"] == system.accounts["Rocket Rentals"].id and len(seeded["customers"]) == 25
    ids = [c["id"] for c in seeded["customers"]]
    first = seeded["customers"][0]
    assert rentals.v1.customers.retrieve(first["id"]).email == first["email"]
    with pytest.raises(stripe.InvalidRequestError) as missing:  # Rentals' own pool: Rides cannot see it yet
        rides.v1.customers.retrieve(first["id"])
    assert missing.value.http_status == 404

    enabled = cli(system, "enable-sharing", "--account", "Rocket Rentals", "--consent-collected")

    assert enabled.returncode == 0, enabled.stderr
    final = json.loads(enabled.stdout)
    assert final["status"] == "succeeded" and final["accounts"] == [system.accounts["Rocket Rentals"].id]
    assert final["progress"] == {
        "customers_total": 25, "customers_moved": 25, "cards_moved": 25, "other_payment_methods_moved": 0, "customers_remaining": 0,
    }  # fmt: skip
    assert final["consent"]["collected"] is True
    # Not a terminal: plain lines, no carriage returns; the countdown, then the bar to its end.
    lines = enabled.stderr.splitlines()
    assert "\r" not in enabled.stderr
    assert lines[0].startswith("switching in ") and lines[0].endswith(" s")
    assert lines[-1] == f"[{'#' * admin.BAR_WIDTH}] 25/25 customers, 25 cards: succeeded"
    assert [e["id"] for e in enablements(system)] == [final["id"]]

    # Rocket Rides (connected, the shared pool) now retrieves and lists them, same ids, with their cards.
    for customer in seeded["customers"]:
        seen = rides.v1.customers.retrieve(customer["id"])
        assert (seen.id, seen.name, seen.email) == (customer["id"], customer["name"], customer["email"])
        assert seen.to_dict()["metadata"] == {}  # Rentals' metadata stays Rentals'
        cards = rides.v1.customers.payment_methods.list(customer["id"])
        assert [pm.id for pm in cards.data] == [customer["payment_method"]]
    listed = {c.id for c in rides.v1.customers.list(params={"limit": 100}).auto_paging_iter()}
    assert set(ids) <= listed
    # Rentals, in the shared pool now, still has them, its metadata with them.
    assert rentals.v1.customers.retrieve(first["id"]).to_dict()["metadata"] == {"seeded_by": "orgshare.admin"}


def test_no_wait_prints_the_pending_enablement_and_the_worker_finishes_it(system: LocalSystem) -> None:
    repairs = system.accounts["Rocket Repairs"].id
    started = cli(system, "enable-sharing", "--account", repairs, "--consent-collected", "--no-wait")

    assert started.returncode == 0, started.stderr
    assert started.stderr == ""  # no progress bar
    pending = json.loads(started.stdout)
    assert pending["status"] == "pending" and pending["accounts"] == [repairs]
    platform = system.accounts["Rocket Platform"].key

    def succeeded() -> bool:
        status, found = system.http("GET", f"{ENABLEMENTS}/{pending['id']}", key=platform)
        return status == 200 and found["status"] == "succeeded"

    eventually(succeeded, timeout=60)
    again = cli(system, "enable-sharing", "--account", "Rocket Repairs", "--consent-collected")
    assert again.returncode == 2 and "account_already_shares" in again.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _enablement(status: str, total: int = 0, moved: int = 0, cards: int = 0, switches_at: int = 100) -> dict[str, Any]:
    progress = {"customers_total": total, "customers_moved": moved, "cards_moved": cards, "other_payment_methods_moved": 0,
                "customers_remaining": total - moved}  # fmt: skip
    return {"status": status, "progress": progress, "switches_at": switches_at, "failure": None}


def test_on_a_terminal_the_progress_bar_is_one_line_redrawn() -> None:
    terminal = Terminal()
    bar = admin.ProgressBar(terminal)
    bar.show(_enablement("pending"), now=40.2)
    bar.show(_enablement("in_progress", total=200, moved=120, cards=118), now=101)
    bar.show(_enablement("succeeded", total=200, moved=200, cards=198), now=103)
    bar.end()

    drawn = terminal.getvalue()
    assert drawn.count("\n") == 1 and drawn.endswith("\n")
    frames = drawn.rstrip("\n").split("\r")[1:]
    assert [f.rstrip() for f in frames] == [
        "switching in 60 s",
        "[############........] 120/200 customers, 118 cards",
        "[####################] 200/200 customers, 198 cards: succeeded",
    ]
    for before, after in itertools.pairwise(frames):  # a shorter line still covers the one it replaces
        assert len(after) >= len(before.rstrip())


def test_off_a_terminal_progress_is_plain_lines_and_a_failure_says_why() -> None:
    plain = io.StringIO()
    bar = admin.ProgressBar(plain)
    bar.show(_enablement("pending"), now=90.5)
    bar.show(_enablement("pending"), now=91.5)  # within the interval: not printed
    bar.show(_enablement("in_progress", total=10, moved=5, cards=4), now=101)
    failed = {**_enablement("failed", total=10, moved=5, cards=4), "failure": {"message": "A batch failed 5 times: Boom."}}
    bar.show(failed, now=101.2)
    bar.end()

    assert plain.getvalue().splitlines() == [
        "switching in 10 s",
        "[##########..........] 5/10 customers, 4 cards",
        "[##########..........] 5/10 customers, 4 cards: failed (A batch failed 5 times: Boom.)",
    ]
