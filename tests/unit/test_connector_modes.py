"""Each connector says which mode it belongs to (check_mode), and the simulator honours off_session."""

from __future__ import annotations

import pytest

from orgshare.connectors import CONNECTORS, Card, ConnectorModeMismatch
from orgshare.connectors.simulator import TestConnector
from orgshare.connectors.stripe_adapter import StripeConnector


def test_every_connector_declares_its_modes() -> None:
    # A new connector without its own check_mode would fall back to nothing: make it say.
    assert all("check_mode" in vars(kind) for kind in CONNECTORS.values())


def test_the_simulator_is_test_mode_only() -> None:
    TestConnector.check_mode({"api_key": "sim_1"}, livemode=False)
    with pytest.raises(ConnectorModeMismatch) as err:
        TestConnector.check_mode({"api_key": "sim_1"}, livemode=True)
    assert err.value.param == "connector_name"


@pytest.mark.parametrize(
    ("key", "test_ok", "live_ok"),
    [
        ("sk_test_abc", True, False),
        ("rk_test_abc", True, False),
        ("sk_live_abc", False, True),
        ("rk_live_abc", False, True),
        ("not-a-stripe-key", True, False),  # test mode: e.g. localstripe, which takes any key
    ],
)
def test_a_stripe_key_fits_its_mode(key: str, test_ok: bool, live_ok: bool) -> None:
    for livemode, ok in ((False, test_ok), (True, live_ok)):
        if ok:
            StripeConnector.check_mode({"secret_key": key}, livemode)
            continue
        with pytest.raises(ConnectorModeMismatch) as err:
            StripeConnector.check_mode({"secret_key": key}, livemode)
        assert err.value.param == "credentials[secret_key]"


@pytest.mark.parametrize("number", ["4000002500003155", "4000002760003184"])
def test_the_simulator_declines_off_session_what_needs_authentication(number: str) -> None:
    sim = TestConnector({"api_key": "sim_1"}, {}, livemode=False)
    card = Card(number, 12, 2034)
    off = sim.authorize(card, 100, "eur", capture=True, off_session=True, idempotency_key="k1")
    assert (off.status, off.code, off.decline_code) == ("declined", "authentication_required", "authentication_required")
    assert sim.authorize(card, 100, "eur", capture=True, off_session=False, idempotency_key="k2").status == "requires_action"
    visa = Card("4242424242424242", 12, 2034)
    assert sim.authorize(visa, 100, "eur", capture=True, off_session=True, idempotency_key="k3").status == "succeeded"
