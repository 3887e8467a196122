"""Webhook signing secrets: a new dispatcher container opens one private key per organization, not one
per endpoint, so fanning an event out to many endpoints costs one KMS call; each secret still opens
only for its own endpoint, and endpoints sealed before keep working."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from bench.counting import kms_calls
from localrun.receiver import Receiver
from orgshare import admin
from orgshare.domain import auth, delivery, webhook_secrets, webhooks
from orgshare.ids import new_id
from orgshare.params.webhooks import WebhookEndpointCreate
from orgshare.settings import get_settings
from orgshare.storage import webhooks as webhooks_store
from orgshare.vault import sealing


@pytest.fixture
def receiver(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")  # as the local system sets it: test-mode endpoints on loopback
    get_settings.cache_clear()
    started = Receiver().start()
    yield started
    started.stop()
    get_settings.cache_clear()


def _endpoints(key: str, url: str, count: int, path: str = "e") -> list[tuple[dict[str, Any], str]]:
    """`count` endpoints made through the API's own create, each with the secret it showed once."""
    who = auth.authenticate(key)
    made = []
    for n in range(count):
        shown = webhooks.create(who, WebhookEndpointCreate.model_validate({"url": f"{url}/{path}{n}", "enabled_events": ["*"]}))
        stored = webhooks_store.get(who.org, who.mode, [who.account], shown["id"])
        assert stored is not None
        made.append((stored, shown["secret"]))
    return made


def _deliver(endpoints: list[dict[str, Any]], owner: str) -> list[dict[str, Any]]:
    event = {"id": new_id("evt"), "object": "event", "type": "customer.updated", "data": {"object": {}}, "context": owner}
    return delivery.run([delivery.Delivery(event, e, owner, 9) for e in endpoints])


def test_a_new_dispatcher_opens_one_key_for_all_of_an_organizations_endpoints(receiver: Receiver) -> None:
    demo = admin.seed_demo()
    rides = demo.accounts[1]
    made = _endpoints(rides.key, receiver.url, 12)
    made += _endpoints(demo.accounts[2].key, receiver.url, 3, "other")  # another account of the same organization
    webhook_secrets.forget()  # a new container
    with kms_calls(background=True) as calls:
        attempts = _deliver([e for e, _ in made], rides.id)
    assert [a["status"] for a in attempts] == ["succeeded"] * 15
    assert calls == {"Decrypt": 1}
    # Each delivery is signed with its own endpoint's secret, as a receiver checks it with the SDK.
    got = receiver.wait_until(lambda d: len(d) == 15)
    secrets = {e["url"].removeprefix(receiver.url): s for e, s in made}
    for d in got:
        stripe.Webhook.construct_event(d.body, d.signature, secrets[d.path])
    assert len(set(secrets.values())) == 15


def test_each_organization_has_its_own_key_and_creating_endpoints_never_opens_one(receiver: Receiver) -> None:
    ours, theirs = admin.seed_demo(), admin.seed_demo()
    with kms_calls(background=True) as calls:
        mine = _endpoints(ours.accounts[1].key, receiver.url, 2)
    # The first endpoint seals the organization's new private key; the secrets are sealed to its public key.
    assert calls == {"GenerateDataKey": 1}
    webhook_secrets.forget()  # a new container: the public key is read, not opened
    with kms_calls(background=True) as calls:
        other = _endpoints(theirs.accounts[1].key, receiver.url, 2)
        other += _endpoints(theirs.accounts[2].key, receiver.url, 1, "more")
    assert calls == {"GenerateDataKey": 1}
    webhook_secrets.forget()
    with kms_calls(background=True) as calls:
        _deliver([e for e, _ in mine], ours.accounts[1].id)
        _deliver([e for e, _ in other], theirs.accounts[1].id)
    assert calls == {"Decrypt": 2}


def test_a_secret_copied_to_another_endpoint_does_not_open_there(receiver: Receiver) -> None:
    demo = admin.seed_demo()
    (first, _), (second, _) = _endpoints(demo.accounts[1].key, receiver.url, 2)
    forged = {**second, "secret": first["secret"]}  # same organization, same key pair: the endpoint id is bound in
    attempts = _deliver([forged], demo.accounts[1].id)
    assert (attempts[0]["status"], attempts[0]["error"]) == ("failed", "internal_error")
    stolen = {**second, "org": "org_elsewhere", "secret": second["secret"]}
    webhook_secrets.forget()
    attempts = _deliver([stolen], demo.accounts[1].id)
    assert (attempts[0]["status"], attempts[0]["error"]) == ("failed", "internal_error")


def test_an_endpoint_sealed_with_a_kms_data_key_of_its_own_still_delivers(receiver: Receiver) -> None:
    demo = admin.seed_demo()
    endpoint_id = new_id("we")
    before = sealing.seal("whsec_before", {"org": demo.org, "webhook_endpoint": endpoint_id}).as_item()  # how endpoints were sealed
    old = {"id": endpoint_id, "org": demo.org, "mode": "test", "owner": demo.accounts[1].id, "url": f"{receiver.url}/old",
           "enabled_events": ["*"], "status": "enabled", "secret": before}  # fmt: skip
    assert _deliver([old], demo.accounts[1].id)[0]["status"] == "succeeded"
    got = receiver.wait_until(lambda d: len(d) == 1)[0]
    stripe.Webhook.construct_event(got.body, got.signature, "whsec_before")
