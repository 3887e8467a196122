"""make run keeps data across a restart only when asked (PERSIST=1, i.e. --persist)."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe

from tests.conftest import launch, stop

pytestmark = pytest.mark.integration


def test_data_survives_a_restart_only_with_persist(tmp_path: Path) -> None:
    proc, first = launch(tmp_path / "kept", "--persist")
    cus = first.client("Rocket Rides").v1.customers.create(params={"name": "Kept Kim", "metadata": {"k": "v"}})
    stop(proc)

    proc, second = launch(tmp_path / "kept", "--persist")
    try:
        # Old secrets were never stored, so the restart mints and prints new keys for the same accounts.
        assert second.accounts["Rocket Rides"].id == first.accounts["Rocket Rides"].id
        assert second.accounts["Rocket Rides"].key != first.accounts["Rocket Rides"].key
        kept = second.client("Rocket Rides").v1.customers.retrieve(cus.id)
        assert kept.name == "Kept Kim" and kept.to_dict()["metadata"] == {"k": "v"}
    finally:
        stop(proc)

    proc, fresh = launch(tmp_path / "kept")  # without --persist: a new, empty world
    try:
        assert fresh.accounts["Rocket Rides"].id != first.accounts["Rocket Rides"].id
        with pytest.raises(stripe.InvalidRequestError):
            fresh.client("Rocket Rides").v1.customers.retrieve(cus.id)
    finally:
        stop(proc)
