"""The Developers pages' security rules over plain HTTP against the local system: every change
(webhook endpoints, resend, API keys, profiles and connectors, sharing) without the session's CSRF
token is refused and changes nothing; a new secret is only ever in the answer to its POST (never
in a URL, a redirect, a later page or a table in clear); enabling sharing needs the consent box,
then the confirmation; an account's session sees none of the organization's Developers pages."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from localrun.receiver import Receiver
from orgshare.domain.migration.enablement_view import CONSENT_WORDING
from orgshare.domain.organization.enablements import CONSENT_NEEDED
from tests.conftest import FAST_WEBHOOKS, LocalSystem, eventually, launch, stop
from tests.integration.test_dashboard_security import Answer, Browser, token

pytestmark = pytest.mark.integration

BAD_TOKENS: tuple[dict[str, str], ...] = ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sharing_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """Its own system: a sharing enablement changes the organization for good."""
    proc, system = launch(tmp_path_factory.mktemp("dev-security"), "--cache-seconds", "1", *FAST_WEBHOOKS)
    yield system
    stop(proc)


def signed_in(system: LocalSystem, who: str = "Rocket Platform", key: str | None = None) -> Browser:
    browser = Browser(system.url)
    assert browser.sign_in(key or system.accounts[who].key).status == 303
    return browser


def api(system: LocalSystem, method: str, path: str, who: str = "Rocket Platform", **form: str) -> Any:
    body = "&".join(f"{k}={v}" for k, v in form.items()).encode() if form else None
    status, answer = system.http(method, path, key=system.accounts[who].key, body=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert status == 200, answer
    return answer


def refused_without_token(browser: Browser, path: str, form: dict[str, str]) -> None:
    for bad in BAD_TOKENS:
        answer = browser.post(path, {**form, **bad})
        assert answer.status == 403, (path, bad)
        assert "nothing was done" in answer.body, path


def test_every_developers_change_without_the_token_is_refused_and_changes_nothing(local_system: LocalSystem, receiver: Receiver) -> None:
    rides = local_system.accounts["Rocket Rides"].id
    hook = f"/sec-{uuid.uuid4().hex[:8]}"
    org_endpoint = api(local_system, "POST", "/v1/webhook_endpoints", url=receiver.url + hook, scope="organization",
                       **{"enabled_events[0]": "customer.created"})  # fmt: skip
    account_endpoint = api(local_system, "POST", "/v1/webhook_endpoints", "Rocket Rides", url=receiver.url + hook + "-rides",
                           **{"enabled_events[0]": "customer.created"})  # fmt: skip
    account_key = api(local_system, "POST", f"/v1/accounts/{rides}/api_keys", name="sec-account")
    org_key = api(local_system, "POST", "/v1/organization/api_keys", name="sec-org")
    profile = api(local_system, "POST", "/v1/business_profiles", "Rocket Rides", name=f"Sec {uuid.uuid4().hex[:6]}")
    connector = api(local_system, "POST", f"/v1/business_profiles/{profile['id']}/connectors", "Rocket Rides", connector_name="test",
                    **{"credentials[api_key]": "sim_sec"})  # fmt: skip
    customer = local_system.client("Rocket Rides").v1.customers.create(params={"email": f"sec.{uuid.uuid4().hex[:8]}@example.com"})
    receiver.wait_until(lambda ds: any(d.path == hook and customer.id in d.body for d in ds))
    event = next(json.loads(d.body)["id"] for d in receiver.deliveries if d.path == hook and customer.id in d.body)
    try:
        browser = signed_in(local_system)
        dev, acct = "/dashboard/developers", f"/dashboard/a/{rides}/developers"
        changes: list[tuple[str, dict[str, str]]] = [
            (f"{dev}/webhooks", {"url": receiver.url + "/never", "events": "*"}),
            (f"{dev}/webhooks/{org_endpoint['id']}/delete", {"confirmed": "yes"}),
            (f"{acct}/webhooks", {"url": receiver.url + "/never", "events": "*"}),
            (f"{acct}/webhooks/{account_endpoint['id']}/delete", {"confirmed": "yes"}),
            (f"{dev}/events/{event}/resend", {"webhook_endpoint": org_endpoint["id"]}),
            (f"{acct}/api-keys", {"name": "never"}),
            (f"{acct}/api-keys/{account_key['id']}/revoke", {"confirmed": "yes"}),
            (f"{acct}/api-keys/{account_key['id']}/roll", {"confirmed": "yes", "grace": "now"}),
            (f"{dev}/api-keys", {"name": "never", "read_only": "true"}),
            (f"{dev}/api-keys/{org_key['id']}/revoke", {"confirmed": "yes"}),
            (f"{dev}/api-keys/{org_key['id']}/roll", {"confirmed": "yes", "grace": "now"}),
            (f"{acct}/profiles", {"name": "never"}),
            (f"{acct}/profiles/{profile['id']}/connectors", {"connector_name": "test", "credential_api_key": "sim_never"}),
            (f"{acct}/profiles/{profile['id']}/connectors/{connector['id']}/switch", {"disabled": "true"}),
            (f"{acct}/profiles/{profile['id']}/connectors/{connector['id']}/delete", {"confirmed": "yes"}),
        ]
        for path, form in changes:
            refused_without_token(browser, path, form)

        endpoints = local_system.client().v1.webhook_endpoints.list(params={"limit": 100}).data
        assert org_endpoint["id"] in {e.id for e in endpoints}
        assert not [e for e in endpoints if e.url.endswith("/never")]
        rides_endpoints = local_system.client("Rocket Rides").v1.webhook_endpoints.list(params={"limit": 100}).data
        assert account_endpoint["id"] in {e.id for e in rides_endpoints} and not [e for e in rides_endpoints if e.url.endswith("/never")]
        keys = api(local_system, "GET", f"/v1/accounts/{rides}/api_keys?limit=100")["data"]
        mine = next(k for k in keys if k["id"] == account_key["id"])
        assert mine["revoked"] is False and not [k for k in keys if k["name"] == "never" or k.get("rotated_from") == account_key["id"]]
        org_keys = api(local_system, "GET", "/v1/organization/api_keys?limit=100")["data"]
        assert next(k for k in org_keys if k["id"] == org_key["id"])["revoked"] is False
        assert not [k for k in org_keys if k["name"] == "never" or k.get("rotated_from") == org_key["id"]]
        profiles = api(local_system, "GET", "/v1/business_profiles", "Rocket Rides")["data"]
        assert not [p for p in profiles if p["name"] == "never"]
        connectors = api(local_system, "GET", f"/v1/business_profiles/{profile['id']}/connectors", "Rocket Rides")["data"]
        assert [(c["id"], c["status"]) for c in connectors] == [(connector["id"], "enabled")]

        # The refused resends sent nothing: the one sent with the token is the only new delivery.
        before = sum(1 for d in receiver.deliveries if d.path == hook and event in d.body)
        page = browser.get(f"{dev}/events/{event}")
        sent = browser.post(f"{dev}/events/{event}/resend", {"webhook_endpoint": org_endpoint["id"], "csrf_token": token(page)})
        assert sent.status == 303 and "notice=event_resent" in (sent.header("Location") or "")
        got = receiver.wait_until(lambda ds: sum(1 for d in ds if d.path == hook and event in d.body) > before)
        assert sum(1 for d in got if d.path == hook and event in d.body) == before + 1
    finally:
        platform = local_system.client()
        for endpoint in (org_endpoint["id"],):
            platform.v1.webhook_endpoints.delete(endpoint)
        local_system.client("Rocket Rides").v1.webhook_endpoints.delete(account_endpoint["id"])


def secret_in(answer: Answer) -> str:
    found = re.search(r'id="new-secret">([^<]+)<', answer.body)
    assert found, answer.body[:500]
    return found.group(1)


def test_a_new_secret_is_only_ever_in_the_answer_to_its_post(local_system: LocalSystem) -> None:
    browser = signed_in(local_system)
    rides = local_system.accounts["Rocket Rides"].id
    url = f"http://127.0.0.1:9/secret-{uuid.uuid4().hex[:8]}"
    listing = browser.get("/dashboard/developers/webhooks")
    form_token = re.search(r'name="request_token" value="([^"]+)"', listing.body)
    assert form_token
    form = {"url": url, "events": "customer.created", "csrf_token": token(listing), "request_token": form_token.group(1)}
    made = browser.post("/dashboard/developers/webhooks", form)
    assert made.status == 200 and made.header("Location") is None
    assert made.header("Cache-Control") == "no-store"
    secret = secret_in(made)
    assert secret.startswith("whsec_")
    # The same form sent again (a reload of that answer, back + resubmit) makes nothing and shows no secret.
    again = browser.post("/dashboard/developers/webhooks", form)
    assert again.status == 200 and "This form was sent again" in again.body
    assert secret not in again.body and 'id="new-secret"' not in again.body
    assert [e.url for e in local_system.client().v1.webhook_endpoints.list(params={"limit": 100}).data].count(url) == 1
    keys_page = browser.get(f"/dashboard/a/{rides}/developers/api-keys")
    key_answer = browser.post(f"/dashboard/a/{rides}/developers/api-keys", {"name": "shown-once", "csrf_token": token(keys_page)})
    assert key_answer.status == 200 and key_answer.header("Cache-Control") == "no-store"
    key_secret = secret_in(key_answer)
    assert key_secret.startswith("sk_test_")

    later = [browser.get(p) for p in ("/dashboard/developers/webhooks", f"/dashboard/a/{rides}/developers/api-keys",
                                      "/dashboard/developers/events", "/dashboard")]  # fmt: skip
    for answer in later:
        assert answer.status == 200
        assert secret not in answer.body and key_secret not in answer.body
    for answer in browser.seen:
        assert all(secret not in v and key_secret not in v for _, v in answer.headers)  # never in a Location or a cookie
    everything = json.dumps(local_system.table_items(), default=repr)
    assert secret not in everything and secret[6:] not in everything
    assert key_secret not in everything and key_secret[8:] not in everything

    # Deleting the endpoint: the confirmation first (nothing deleted), then the deletion.
    endpoint = next(e for e in local_system.client().v1.webhook_endpoints.list(params={"limit": 100}).data if e.url == url)
    page = browser.get("/dashboard/developers/webhooks")
    path = f"/dashboard/developers/webhooks/{endpoint.id}/delete"
    asked = browser.post(path, {"csrf_token": token(page)})
    assert asked.status == 200 and "Delete this webhook endpoint?" in asked.body
    assert endpoint.id in {e.id for e in local_system.client().v1.webhook_endpoints.list(params={"limit": 100}).data}
    done = browser.post(path, {"csrf_token": token(page), "confirmed": "yes"})
    assert done.status == 303 and "notice=endpoint_deleted" in (done.header("Location") or "")
    assert endpoint.id not in {e.id for e in local_system.client().v1.webhook_endpoints.list(params={"limit": 100}).data}


def test_an_account_session_sees_none_of_the_organizations_developers_pages(local_system: LocalSystem) -> None:
    browser = signed_in(local_system, "Rocket Rides")
    rides, deliveries = local_system.accounts["Rocket Rides"].id, local_system.accounts["Rocket Deliveries"].id
    for path in ("/dashboard/developers/webhooks", "/dashboard/developers/events", "/dashboard/developers/api-keys",
                 "/dashboard/developers/sharing", f"/dashboard/a/{deliveries}/developers/webhooks",
                 f"/dashboard/a/{deliveries}/developers/profiles"):  # fmt: skip
        assert browser.get(path).status == 404, path
    own = browser.get(f"/dashboard/a/{rides}/developers/webhooks")
    assert own.status == 200 and "Add an endpoint" in own.body
    keys = browser.get(f"/dashboard/a/{rides}/developers/api-keys")
    assert keys.status == 200 and "Only the platform's own secret key lists and manages API keys" in keys.body
    refused = browser.post(f"/dashboard/a/{rides}/developers/api-keys", {"name": "mine", "csrf_token": token(own)})
    assert refused.status == 403 and "Only the platform's own secret key" in refused.body  # the domain refuses, as the API does


def enablements(system: LocalSystem) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api(system, "GET", "/v1/organization/sharing_enablements?limit=100")["data"]
    return data


def test_enabling_sharing_needs_the_token_the_consent_box_and_the_confirmation(sharing_system: LocalSystem) -> None:
    browser = signed_in(sharing_system)
    rentals = sharing_system.accounts["Rocket Rentals"].id
    page = browser.get("/dashboard/developers/sharing")
    assert page.status == 200 and CONSENT_WORDING in page.body.replace("&#39;", "'")
    chosen = {"accounts[0]": rentals}
    refused_without_token(browser, "/dashboard/developers/sharing", {**chosen, "consent_collected": "true", "confirmed": "yes"})
    assert enablements(sharing_system) == []

    good = token(page)
    for consent in ({}, {"consent_collected": "on"}, {"consent_collected": "yes"}, {"consent_collected": ""}):
        answer = browser.post("/dashboard/developers/sharing", {**chosen, **consent, "confirmed": "yes", "csrf_token": good})
        assert answer.status == 400, consent
        assert CONSENT_NEEDED in answer.body.replace("&#39;", "'"), consent
    nobody = browser.post("/dashboard/developers/sharing", {"consent_collected": "true", "confirmed": "yes", "csrf_token": good})
    assert nobody.status == 400 and "Name at least one standard account" in nobody.body
    asked = browser.post("/dashboard/developers/sharing", {**chosen, "consent_collected": "true", "csrf_token": good})
    assert asked.status == 200 and "Enable sharing?" in asked.body and "cannot be turned off" in asked.body
    assert enablements(sharing_system) == []  # asked, not done

    done = browser.post("/dashboard/developers/sharing", {**chosen, "consent_collected": "true", "confirmed": "yes", "csrf_token": good})
    assert done.status == 303
    location = done.header("Location") or ""
    assert re.fullmatch(r"/dashboard/developers/sharing/she_\w+\?notice=sharing_enabled", location)
    [made] = enablements(sharing_system)
    assert made["accounts"] == [rentals] and made["consent"]["collected"] is True and made["consent"]["wording"] == CONSENT_WORDING
    page_path = location.split("?")[0]

    shown = browser.get(page_path)
    assert shown.status == 200 and 'http-equiv="refresh"' in shown.body and "<progress" in shown.body
    progress = browser.get(page_path + "/progress")
    assert progress.status == 200 and (progress.header("Content-Type") or "").startswith("application/json")
    assert json.loads(progress.body)["id"] == made["id"]
    assert Browser(sharing_system.url).get(page_path + "/progress").status == 303  # no session, no progress

    refused_without_token(browser, page_path + "/retry", {})
    retried = browser.post(page_path + "/retry", {"csrf_token": good})
    assert retried.status == 400 and ("is running" in retried.body or "has succeeded" in retried.body)  # the domain's refusal

    def finished() -> bool:
        return str(json.loads(browser.get(page_path + "/progress").body)["status"]) in ("succeeded", "failed")

    eventually(finished, timeout=120)
    final = browser.get(page_path)
    assert "succeeded" in final.body.lower() and 'http-equiv="refresh"' not in final.body  # it stops refreshing
    again = browser.post("/dashboard/developers/sharing", {**chosen, "consent_collected": "true", "confirmed": "yes", "csrf_token": good})
    assert again.status == 400 and "cannot be turned off" in again.body  # the domain's: it shares already
    assert len(enablements(sharing_system)) == 1


def test_a_read_only_session_changes_nothing(sharing_system: LocalSystem) -> None:
    reader = api(sharing_system, "POST", "/v1/organization/api_keys", name="reader", read_only="true")
    browser = signed_in(sharing_system, key=reader["secret"])
    page = browser.get("/dashboard/developers/sharing")
    assert page.status == 200 and "Enable sharing…" not in page.body
    repairs = sharing_system.accounts["Rocket Repairs"].id
    answer = browser.post("/dashboard/developers/sharing",
                          {"accounts[0]": repairs, "consent_collected": "true", "confirmed": "yes", "csrf_token": token(page)})  # fmt: skip
    assert answer.status == 403 and "read-only" in answer.body
    assert all(repairs not in e["accounts"] for e in enablements(sharing_system))
