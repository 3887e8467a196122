"""What a webhook endpoint may be given, through the stripe SDK against the local system: URLs are
checked exactly as written (and that string is the one stored and requested), and
`enabled_events` names only event types orgshare sends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from localrun.receiver import Receiver
from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration


@pytest.fixture
def rides(local_system: LocalSystem) -> Iterator[stripe.StripeClient]:
    client = local_system.client("Rocket Rides")
    before = {e.id for e in client.v1.webhook_endpoints.list(params={"limit": 100}).data}
    yield client
    for e in client.v1.webhook_endpoints.list(params={"limit": 100}).data:
        if e.id not in before:
            client.v1.webhook_endpoints.delete(e.id)


def create(client: stripe.StripeClient, url: str, events: list[str] | None = None) -> Any:
    params = {"url": url, **{f"enabled_events[{i}]": e for i, e in enumerate(events or ["*"])}}
    return client.deserialize(client.raw_request("post", "/v1/webhook_endpoints", **params), api_mode="V1")


BAD_URLS = [
    "http://127.0.0.1:9/a b",  # a space
    " http://127.0.0.1:9/hooks",  # leading space (urlsplit strips it)
    "http://127.0.0.1:9/hooks\n",  # trailing newline
    "http://127.0.0.1:9/ho\toks",  # a tab (urlsplit removes it)
    "http://loc\talhost:9/hooks",  # a tab in the host
    "http://127.0.0.1:9/\x00",
    "http://127.0.0.1:9/\x7f",
    "http://127.0.0.1:9/caf\u00e9",  # not ASCII
    "http://ex\u00e4mple.com/hooks",
    "http://127.0.0.1:9/%zz",  # bad percent-escapes
    "http://127.0.0.1:9/%4",
    "http://127.0.0.1:9/hooks#frag",
    "http://127.0.0.1:9/a\\b",
    "http://127.0.0.1:9/<script>",
    "http://127.0.0.1:99999/hooks",
    "http://127.0.0.1:0/hooks",
    "http://127.0.0.1:/hooks",
    "http://[::1/hooks",
    "http://[fe80::1%25eth0]/hooks",
    "http:/127.0.0.1:9/hooks",
    "//127.0.0.1:9/hooks",
    "http://-bad-.example/hooks",
    "http://127.0.0.1:9\\@evil.example/",
    "http://user@127.0.0.1:9/hooks",
]


def error_of(err: stripe.InvalidRequestError) -> dict[str, Any]:
    body: Any = err.json_body
    error: dict[str, Any] = body["error"]
    return error


def _refused_as_url(err: stripe.InvalidRequestError) -> None:
    assert err.http_status == 400
    error = error_of(err)
    assert (error["type"], error.get("code"), error.get("param")) == ("invalid_request_error", "url_invalid", "url"), error


@pytest.mark.parametrize("url", BAD_URLS, ids=[repr(u) for u in BAD_URLS])
def test_a_url_that_is_not_valid_as_written_is_refused(rides: stripe.StripeClient, url: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        create(rides, url)
    _refused_as_url(err.value)
    kept = create(rides, "http://127.0.0.1:9/hooks")
    with pytest.raises(stripe.InvalidRequestError) as err:
        rides.v1.webhook_endpoints.update(kept.id, params={"url": url})
    _refused_as_url(err.value)
    assert rides.v1.webhook_endpoints.retrieve(kept.id).url == "http://127.0.0.1:9/hooks"


def test_the_url_checked_is_the_url_stored_and_requested(rides: stripe.StripeClient) -> None:
    receiver = Receiver().start()
    try:
        url = f"{receiver.url}/in/a%2Fb;v=1?x=1&y=%7E&z=a/b?c"
        created = create(rides, url, ["customer.created"])
        assert created.url == url and rides.v1.webhook_endpoints.retrieve(created.id).url == url
        cus = rides.v1.customers.create(params={"name": "Exact Ed"})
        delivered = receiver.wait_until(lambda ds: any(cus.id in d.body for d in ds))
        assert {d.path for d in delivered if cus.id in d.body} == {url.removeprefix(receiver.url)}
    finally:
        receiver.stop()


@pytest.mark.parametrize(
    ("events", "bad"),
    [
        (["customer.created", "bogus.event"], 1),
        (["bogus.*"], 0),
        (["*", "payment_intent.*", "customer"], 2),
        (["customer.created.*"], 0),
        (["customer.*.created"], 0),
        (["charge.refunded", "charge.captured"], 1),  # orgshare sends no charge.captured (a capture is payment_intent.succeeded)
        (["Customer.Created"], 0),
    ],
)
def test_enabled_events_must_be_event_types_orgshare_sends(rides: stripe.StripeClient, events: list[str], bad: int) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        create(rides, "http://127.0.0.1:9/hooks", events)
    error = error_of(err.value)
    assert (err.value.http_status, error.get("code"), error.get("param")) == (400, "parameter_invalid", f"enabled_events[{bad}]")
    assert events[bad] in error["message"]
    kept = create(rides, "http://127.0.0.1:9/hooks", ["customer.created"])
    with pytest.raises(stripe.InvalidRequestError) as err:
        rides.raw_request("post", f"/v1/webhook_endpoints/{kept.id}", **{f"enabled_events[{i}]": e for i, e in enumerate(events)})
    assert error_of(err.value).get("param") == f"enabled_events[{bad}]"


def test_known_types_and_groups_are_accepted(rides: stripe.StripeClient) -> None:
    events = ["*", "customer.*", "payment_method.*", "payment_intent.*", "charge.*", "checkout.session.*", "customer.deleted",
              "payment_method.detached", "payment_intent.amount_capturable_updated", "payment_intent.requires_action",
              "charge.refunded"]  # fmt: skip
    assert create(rides, "http://127.0.0.1:9/hooks", events).enabled_events == events
