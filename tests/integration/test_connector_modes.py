"""A connector belongs to its mode: live mode refuses the test simulator and test Stripe keys, test
mode refuses live Stripe keys, when a connector is created or updated and again before any call to
it (for a record from before the rule). No request here reaches a processor beyond 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration

CARD: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}


def call(client: stripe.StripeClient, method: str, path: str, **params: Any) -> Any:
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


def connectors_path(client: stripe.StripeClient) -> str:
    profile = next(p for p in call(client, "get", "/v1/business_profiles").data if p.is_default).id
    return f"/v1/business_profiles/{profile}/connectors"


def add(client: stripe.StripeClient, name: str, **credentials: str) -> Any:
    return call(client, "post", connectors_path(client), connector_name=name, **{f"credentials[{k}]": v for k, v in credentials.items()})


def refused(action: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as err:
        action()
    return err.value


def new_org(local_system: LocalSystem, name: str) -> tuple[stripe.StripeClient, stripe.StripeClient, str]:
    """The test and live clients of a new organization's platform account, and the organization's id."""
    created = local_system.admin("create-org", "--name", name)
    keys, org = created["keys"], created["organization"]
    assert isinstance(keys, dict) and isinstance(org, str)
    return local_system.client(key=keys["test"]), local_system.client(key=keys["live"]), org


def items_of(local_system: LocalSystem, org: str) -> list[str]:
    """Every stored item of the organization (other tests' background writes left out)."""
    return sorted(
        json.dumps(i, sort_keys=True, default=repr)
        for items in local_system.table_items().values()
        for i in items
        if org in json.dumps(i, default=repr)
    )


def test_live_mode_takes_no_simulator_and_each_mode_only_its_own_stripe_keys(local_system: LocalSystem) -> None:
    test, live, _ = new_org(local_system, "Mode Rules Co")

    simulator = refused(lambda: add(live, "test", api_key="sim_mode_rules_0001"))
    assert (simulator.http_status, simulator.code, simulator.param) == (400, "connector_mode_mismatch", "connector_name")
    for key in ("sk_test_mode_rules_0002", "rk_test_mode_rules_0003", "not-a-stripe-key"):
        wrong = refused(lambda key=key: add(live, "stripe", secret_key=key))
        assert (wrong.http_status, wrong.code, wrong.param) == (400, "connector_mode_mismatch", "credentials[secret_key]")
    for key in ("sk_live_mode_rules_0004", "rk_live_mode_rules_0005"):
        wrong = refused(lambda key=key: add(test, "stripe", secret_key=key))
        assert (wrong.http_status, wrong.code, wrong.param) == (400, "connector_mode_mismatch", "credentials[secret_key]")
    assert call(live, "get", connectors_path(live)).data == [] and call(test, "get", connectors_path(test)).data == []
    # So a live payment cannot be "paid" by the simulator: there is no connector to take it.
    nothing = refused(
        lambda: live.v1.payment_intents.create(
            params={"amount": 500, "currency": "eur", "payment_method_data": {"type": "card", "card": CARD}, "confirm": True}  # type: ignore[typeddict-unknown-key]
        )
    )
    assert nothing.code == "connector_not_configured"

    # Each mode's own keys are fine (nothing is charged here: creating a connector calls no processor).
    live_stripe = add(live, "stripe", secret_key="sk_live_mode_rules_0006")
    test_stripe = add(test, "stripe", secret_key="rk_test_mode_rules_0007")
    assert (live_stripe.livemode, test_stripe.livemode) == (True, False)
    assert add(test, "test", api_key="sim_mode_rules_0008").livemode is False

    # Updating the credentials is held to the same rule; the connector keeps its old ones.
    for client, connector, key in ((live, live_stripe, "sk_test_mode_rules_0009"), (test, test_stripe, "sk_live_mode_rules_0010")):
        path = f"{connectors_path(client)}/{connector.id}"
        wrong = refused(lambda client=client, path=path, key=key: call(client, "post", path, **{"credentials[secret_key]": key}))
        assert (wrong.code, wrong.param) == ("connector_mode_mismatch", "credentials[secret_key]")
        assert call(client, "get", path).credentials["secret_key"] == connector.credentials["secret_key"]
    path = f"{connectors_path(live)}/{live_stripe.id}"
    assert call(live, "post", path, **{"credentials[secret_key]": "rk_live_mode_rules_0011"}).credentials["secret_key"] == "****0011"


def _directory(local_system: LocalSystem) -> tuple[Any, str]:
    """The running system's directory table (moto), to plant a connector record the API would refuse."""
    return local_system.dynamodb(), local_system.env["DIRECTORY_TABLE"]


def _copy_to_mode(local_system: LocalSystem, connector: str, mode: str, **changes: Any) -> None:
    """Copies a connector record into the other mode, as if it had been created there before the
    rule: same id, so its sealed credentials (bound to org and connector id) still open."""
    dynamodb, table = _directory(local_system)
    item = next(
        i
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for i in page["Items"]
        if i.get("id", {}).get("S") == connector
    )
    old = item["mode"]["S"]
    item.update(mode={"S": mode}, sk={"S": item["sk"]["S"].replace(f"#{old}#", f"#{mode}#")}, **changes)
    dynamodb.put_item(TableName=table, Item=item)


def test_a_connector_record_of_the_wrong_mode_is_refused_before_it_is_called(local_system: LocalSystem) -> None:
    test, live, org = new_org(local_system, "Old Records Co")
    simulator = add(test, "test", api_key="sim_old_records_0001")
    _copy_to_mode(local_system, simulator.id, "live")  # a live test connector, from before the rule
    assert [c.id for c in call(live, "get", connectors_path(live)).data] == [simulator.id]

    before = items_of(local_system, org)
    paying: Any = {"amount": 4200, "currency": "eur", "payment_method_data": {"type": "card", "card": CARD}, "confirm": True}
    at_charge = refused(lambda: live.v1.payment_intents.create(params=paying))
    assert (at_charge.http_status, at_charge.code, at_charge.param) == (400, "connector_mode_mismatch", "profile")
    assert items_of(local_system, org) == before  # nothing written: no intent, no card, no event
    later: Any = {**paying, "confirm": False}
    unconfirmed = live.v1.payment_intents.create(params=later)
    assert refused(lambda: live.v1.payment_intents.confirm(unconfirmed.id)).code == "connector_mode_mismatch"
    assert live.v1.payment_intents.retrieve(unconfirmed.id).status == "requires_confirmation"

    # A live Stripe key in a test-mode record (pointed at a closed local port, should it ever be called).
    live_stripe = add(live, "stripe", secret_key="sk_live_old_records_0002")
    call(test, "post", f"{connectors_path(test)}/{simulator.id}", disabled="true")
    _copy_to_mode(local_system, live_stripe.id, "test", settings={"M": {"api_base": {"S": "http://127.0.0.1:9"}}})
    test_paying: Any = {"amount": 4200, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    assert refused(lambda: test.v1.payment_intents.create(params=test_paying)).code == "connector_mode_mismatch"
