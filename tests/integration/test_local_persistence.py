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
    card = first.client("Rocket Rides").v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})  # sealed, binary at rest
    stop(proc)

    proc, second = launch(tmp_path / "kept", "--persist")
    try:
        # Old secrets were never stored, so the restart mints and prints new keys for the same accounts.
        assert second.accounts["Rocket Rides"].id == first.accounts["Rocket Rides"].id
        assert second.accounts["Rocket Rides"].key != first.accounts["Rocket Rides"].key
        kept = second.client("Rocket Rides").v1.customers.retrieve(cus.id)
        assert kept.name == "Kept Kim" and kept.to_dict()["metadata"] == {"k": "v"}
        # The sealed card number came back intact: the card can still be charged through the seeded connector.
        paid = second.client("Rocket Rides").v1.payment_intents.create(
            params={"amount": 100, "currency": "eur", "payment_method": card.id, "confirm": True}
        )
        assert paid.status == "succeeded"
    finally:
        stop(proc)

    proc, fresh = launch(tmp_path / "kept")  # without --persist: a new, empty world
    try:
        assert fresh.accounts["Rocket Rides"].id != first.accounts["Rocket Rides"].id
        with pytest.raises(stripe.InvalidRequestError):
            fresh.client("Rocket Rides").v1.customers.retrieve(cus.id)
    finally:
        stop(proc)
