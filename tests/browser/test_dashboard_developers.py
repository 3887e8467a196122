"""The dashboard's Developers pages in a real browser (headless Chromium through Playwright) against
the whole local system: an organization webhook endpoint whose signing secret is shown once (and is
the one its deliveries are signed with), an event's delivery attempts and "Resend"; an account's
API key created (its secret working), then revoked (refused from then on); an organization's
read-only key without script (the confirmation on its own page); a connector added to a new
business profile, its credentials never shown back; and sharing enabled for Rocket Rentals with
the consent box, watched to 100% by the page's live progress bar (and, without script, by the page
refreshing itself) on a local system of its own. axe-core finds no serious violation on any page,
and none scrolls sideways on a 375-px phone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from playwright.sync_api import Browser, Page, expect

from localrun.receiver import Receiver
from orgshare.domain.migration.enablement_view import CONSENT_WORDING
from orgshare.domain.organization.enablements import CONSENT_NEEDED
from tests.browser.conftest import DESKTOP, Watch, axe_serious, dashboard_sign_in, fits_screen, new_context, shot
from tests.conftest import FAST_WEBHOOKS, LocalSystem, eventually, launch, stop

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sharing_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """A system of its own: enabling sharing changes the organization for good, and caches of a
    second let the accounts switch within seconds (not the default minute)."""
    proc, system = launch(tmp_path_factory.mktemp("dev-sharing"), "--cache-seconds", "1", *FAST_WEBHOOKS)
    yield system
    stop(proc)


def no_serious_violations(page: Page) -> None:
    assert axe_serious(page) == [], page.url


def sign_in_platform(page: Page, system: LocalSystem, path: str) -> None:
    dashboard_sign_in(page, system.url, system.accounts["Rocket Platform"].key, path=path)


def endpoint_with_url(system: LocalSystem, url: str) -> Any:
    return next((e for e in system.client().v1.webhook_endpoints.list(params={"limit": 100}).data if e.url == url), None)


def test_an_organization_endpoint_shows_its_secret_once_and_an_events_deliveries_can_be_resent(
    local_system: LocalSystem, page: Page, watch: Watch, receiver: Receiver
) -> None:
    path = f"/dev-{uuid.uuid4().hex[:8]}"
    url = receiver.url + path
    try:
        sign_in_platform(page, local_system, "/dashboard/developers/webhooks")
        expect(page.get_by_role("heading", name="Organization webhook endpoints")).to_be_visible()
        expect(page.get_by_role("link", name="Webhooks").first).to_have_attribute("aria-current", "page")
        no_serious_violations(page)
        page.get_by_label("Endpoint URL").fill(url)
        page.get_by_label("Events to send").fill("*")
        page.get_by_label("Description (optional)").fill("Developers page test")
        shot(page, "dashboard-dev-webhooks")
        page.get_by_role("button", name="Add endpoint").click()

        expect(page.get_by_role("heading", name="Webhook endpoint created")).to_be_visible()
        secret = page.locator("#new-secret").inner_text()
        assert secret.startswith("whsec_") and len(secret) > 20
        assert page.url.endswith("/dashboard/developers/webhooks")  # the script gave the answer the list's URL: no secret in it
        no_serious_violations(page)
        shot(page, "dashboard-dev-webhook-secret")
        endpoint = endpoint_with_url(local_system, url)
        assert endpoint is not None and endpoint.to_dict().get("scope") == "organization" and "secret" not in endpoint

        page.reload()  # the list (a GET): the endpoint, never its secret again
        expect(page.get_by_role("heading", name="Organization webhook endpoints")).to_be_visible()
        expect(page.get_by_role("table")).to_contain_text(url)
        assert secret not in page.content()

        # A change at Rocket Rides reaches the endpoint, signed with the secret the page showed.
        customer = local_system.client("Rocket Rides").v1.customers.create(params={"email": f"dev.{uuid.uuid4().hex[:8]}@example.com"})
        got = receiver.wait_until(lambda ds: any(d.path == path and customer.id in d.body for d in ds))
        delivery = next(d for d in got if d.path == path and customer.id in d.body)
        event = stripe.Webhook.construct_event(delivery.body, delivery.signature, secret)
        assert event.type == "customer.created" and event["context"] == local_system.accounts["Rocket Rides"].id

        page.get_by_role("link", name="Events").first.click()
        expect(page.get_by_role("heading", name="Events", level=1)).to_be_visible()
        no_serious_violations(page)
        shot(page, "dashboard-dev-events")
        page.get_by_role("row").filter(has_text=event.id).get_by_role("link").click()
        expect(page.get_by_role("heading", name="Event customer.created")).to_be_visible()
        attempts = page.get_by_role("region", name="Delivery attempts").get_by_role("row").filter(has_text=endpoint.id)

        def attempts_listed(count: int) -> bool:
            page.reload()
            return attempts.count() == count

        eventually(lambda: attempts_listed(1))
        expect(attempts.first).to_contain_text("succeeded")
        no_serious_violations(page)
        shot(page, "dashboard-dev-event")

        page.get_by_label("Endpoint").select_option(endpoint.id)
        page.get_by_role("button", name="Resend").click()
        expect(page.get_by_role("status")).to_contain_text("Sent again")
        again = receiver.wait_until(lambda ds: len([d for d in ds if d.path == path and event.id in d.body]) == 2)
        resent = [d for d in again if d.path == path and event.id in d.body][-1]
        assert stripe.Webhook.construct_event(resent.body, resent.signature, secret).id == event.id
        eventually(lambda: attempts_listed(2))
        assert secret not in page.content()

        # Deleting it: the dialog (script on), then nothing more is sent to it.
        page.goto(local_system.url + "/dashboard/developers/webhooks")
        page.get_by_role("button", name=f"Delete endpoint {url}").click()
        page.get_by_role("dialog").get_by_role("button", name="Delete endpoint").click()
        expect(page.get_by_role("status")).to_contain_text("Webhook endpoint deleted")
        assert endpoint_with_url(local_system, url) is None
        assert watch.errors() == []
    finally:
        left = endpoint_with_url(local_system, url)
        if left is not None:
            local_system.client().v1.webhook_endpoints.delete(left.id)


def test_an_account_key_is_created_shown_once_and_revoked(local_system: LocalSystem, browser: Browser, page: Page, watch: Watch) -> None:
    rides = local_system.accounts["Rocket Rides"].id
    name = f"Dev page key {uuid.uuid4().hex[:6]}"
    sign_in_platform(page, local_system, f"/dashboard/a/{rides}/developers/api-keys")
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    no_serious_violations(page)
    page.get_by_label("Name (optional)").fill(name)
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    secret = page.locator("#new-secret").inner_text()
    assert secret.startswith("sk_test_")
    no_serious_violations(page)
    shot(page, "dashboard-dev-key-secret")
    # The key shown is a working key of Rocket Rides: it signs in (not through the API, whose
    # authorizer would cache its answer past the revocation below).
    as_key = new_context(browser, watch, viewport=DESKTOP).new_page()
    dashboard_sign_in(as_key, local_system.url, secret)
    expect(as_key.get_by_role("heading", level=1)).to_have_text("Rocket Rides")

    page.reload()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("active")
    assert secret not in page.content() and secret[-4:] in row.inner_text()  # listed redacted
    shot(page, "dashboard-dev-keys")
    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke key").click()
    expect(page.get_by_role("status")).to_contain_text("API key revoked")
    expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("revoked")
    status, answer = local_system.http("GET", "/v1/customers?limit=1", key=secret)
    assert status == 401 and answer["error"]["type"] == "authentication_error"
    as_key.reload()  # its dashboard session ended with it
    expect(as_key.get_by_role("heading", name="Sign in to the orgshare dashboard")).to_be_visible()
    as_key.context.close()
    assert watch.errors() == []


def test_without_script_an_organization_read_only_key_is_made_and_revoked_on_the_confirm_page(
    local_system: LocalSystem, browser: Browser
) -> None:
    watch = Watch()
    context = new_context(browser, watch, viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        name = f"Org reader {uuid.uuid4().hex[:6]}"
        sign_in_platform(page, local_system, "/dashboard/developers/api-keys")
        expect(page.get_by_role("heading", name="Organization API keys")).to_be_visible()
        page.get_by_label("Name (optional)").fill(name)
        page.get_by_label("Read-only").check()
        page.get_by_role("button", name="Create key").click()
        secret = page.locator("#new-secret").inner_text()
        assert secret.startswith("rk_test_")
        # It signs in, read-only (not through the API, whose authorizer would cache it past the revocation).
        as_key = new_context(browser, watch, viewport=DESKTOP).new_page()
        dashboard_sign_in(as_key, local_system.url, secret)
        expect(as_key.get_by_role("heading", name="Organization overview")).to_be_visible()
        expect(as_key.get_by_text("Read-only", exact=True)).to_be_visible()

        page.get_by_role("link", name="Done").click()
        row = page.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text("read-only")
        row.get_by_role("button", name="Revoke").click()
        expect(page.get_by_role("heading", name="Revoke this API key?")).to_be_visible()  # the confirmation, its own page
        page.get_by_role("button", name="Revoke key").click()
        expect(page.get_by_role("status")).to_contain_text("API key revoked")
        status, _ = local_system.http("GET", "/v1/organization", key=secret)
        assert status == 401
        as_key.reload()
        expect(as_key.get_by_role("heading", name="Sign in to the orgshare dashboard")).to_be_visible()
        as_key.context.close()
        assert watch.errors() == []
    finally:
        context.close()


def test_a_connector_is_added_to_a_new_profile_and_its_credentials_never_come_back(
    local_system: LocalSystem, page: Page, watch: Watch
) -> None:
    rides = local_system.accounts["Rocket Rides"].id

    def rides_api(path: str) -> Any:
        status, answer = local_system.http("GET", path, key=local_system.accounts["Rocket Rides"].key)
        assert status == 200, answer
        return answer

    profile_name = f"Dev profile {uuid.uuid4().hex[:6]}"
    credential = f"sim_{uuid.uuid4().hex}"
    sign_in_platform(page, local_system, f"/dashboard/a/{rides}/developers/profiles")
    expect(page.get_by_role("heading", name="Business profiles")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("default")
    no_serious_violations(page)
    shot(page, "dashboard-dev-profiles")
    page.get_by_label("Name").fill(profile_name)
    page.get_by_role("button", name="Create profile").click()
    expect(page.get_by_role("heading", name=profile_name)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Business profile created")
    test_panel = page.get_by_role("region", name="Test simulator (test mode only; moves no money)")
    test_panel.get_by_label("API key").fill(credential)
    test_panel.get_by_role("button", name="Add test connector").click()
    expect(page.get_by_role("status")).to_contain_text("Connector added")
    table = page.get_by_role("region", name="Connectors (test mode)")
    expect(table).to_contain_text("1 set (write-only)")
    assert credential not in page.content() and credential[-4:] not in page.content()  # not even masked
    no_serious_violations(page)
    shot(page, "dashboard-dev-profile")

    made = next(p for p in rides_api("/v1/business_profiles")["data"] if p["name"] == profile_name)
    connectors = rides_api(f"/v1/business_profiles/{made['id']}/connectors")
    assert [c["connector_name"] for c in connectors["data"]] == ["test"]
    connector = connectors["data"][0]["id"]

    page.get_by_role("button", name=f"Disable connector {connector}").click()
    expect(page.get_by_role("status")).to_contain_text("Connector updated")
    expect(table).to_contain_text("disabled")
    page.get_by_role("button", name=f"Delete connector {connector}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete connector").click()
    expect(page.get_by_role("status")).to_contain_text("Connector deleted")
    expect(page.get_by_text("No connector in this mode yet")).to_be_visible()
    assert rides_api(f"/v1/business_profiles/{made['id']}/connectors")["data"] == []
    assert watch.errors() == []


def test_every_developers_page_fits_a_phone(local_system: LocalSystem, phone: Page, watch: Watch) -> None:
    rides = local_system.accounts["Rocket Rides"].id
    profile = local_system.http("GET", "/v1/business_profiles", key=local_system.accounts["Rocket Rides"].key)[1]["data"][0]["id"]
    local_system.client("Rocket Rides").v1.customers.create(params={"name": "Phone Event"})
    sign_in_platform(phone, local_system, "/dashboard/developers/webhooks")
    event = local_system.client().v1.events.list(params={"limit": 1}).data[0].id
    for path in ("/dashboard/developers/webhooks", "/dashboard/developers/events", f"/dashboard/developers/events/{event}",
                 "/dashboard/developers/api-keys", "/dashboard/developers/sharing", f"/dashboard/a/{rides}/developers/webhooks",
                 f"/dashboard/a/{rides}/developers/events", f"/dashboard/a/{rides}/developers/api-keys",
                 f"/dashboard/a/{rides}/developers/profiles", f"/dashboard/a/{rides}/developers/profiles/{profile}"):  # fmt: skip
        answer = phone.goto(local_system.url + path)
        assert answer is not None and answer.status == 200, path
        fits_screen(phone)
        no_serious_violations(phone)
    shot(phone, "dashboard-dev-phone-profile")
    assert watch.errors() == []


def seed(system: LocalSystem, account: str, count: int) -> list[str]:
    """`count` customers of a standard account, each with a saved card."""
    client = system.client(account)
    made = []
    for n in range(count):
        customer = client.v1.customers.create(
            params={"name": f"{account} customer {n}", "email": f"seed.{uuid.uuid4().hex[:8]}@example.com"}
        )
        client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
        made.append(customer.id)
    return made


def test_sharing_for_rocket_rentals_needs_the_consent_box_and_the_progress_bar_finishes(
    sharing_system: LocalSystem, page: Page, watch: Watch
) -> None:
    customers = seed(sharing_system, "Rocket Rentals", 6)
    sign_in_platform(page, sharing_system, "/dashboard/developers/sharing")
    expect(page.get_by_role("heading", name="Sharing", exact=True)).to_be_visible()
    accounts = page.get_by_role("region", name="Accounts")
    expect(accounts.get_by_role("row").filter(has_text="Rocket Rentals")).to_contain_text("no")
    no_serious_violations(page)
    page.get_by_label("Rocket Rentals").check()
    consent = page.get_by_label(CONSENT_WORDING)
    expect(consent).not_to_be_checked()
    shot(page, "dashboard-dev-sharing")

    # The box is required: the browser does not send the form without it...
    page.get_by_role("button", name="Enable sharing…").click()
    assert consent.evaluate("box => box.validity.valueMissing") is True
    expect(page.get_by_role("dialog")).to_have_count(0)
    # ...and a form sent without it anyway gets the domain's own refusal, nothing enabled.
    consent.evaluate("box => box.removeAttribute('required')")
    page.get_by_role("button", name="Enable sharing…").click()
    page.get_by_role("dialog").get_by_role("button", name="Enable sharing").click()
    expect(page.get_by_role("alert")).to_have_text(CONSENT_NEEDED)
    assert sharing_system.client().v1.accounts.retrieve(sharing_system.accounts["Rocket Rentals"].id).to_dict()["shared_pool"] is False

    page.get_by_label("Rocket Rentals").check()
    page.get_by_label(CONSENT_WORDING).check()
    page.get_by_role("button", name="Enable sharing…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cannot be turned off")
    dialog.get_by_role("button", name="Enable sharing").click()
    expect(page.get_by_role("heading", name="Sharing enablement")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Sharing is enabled")
    page.evaluate("window.__stillTheSamePage = true")  # gone if the page reloads
    bar = page.get_by_role("progressbar", name="Customers moved into the shared pool")
    no_serious_violations(page)

    expect(bar).to_have_attribute("value", "100", timeout=120_000)
    expect(page.locator("#progress-text")).to_have_text("Succeeded: 6 of 6 customers moved (100%).")
    expect(page.locator("#progress-text")).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("heading", name="Progress: Succeeded")).to_be_visible()
    assert page.evaluate("window.__stillTheSamePage") is True  # updated in place, by the script's polling
    expect(page.get_by_role("button", name="Retry")).to_be_hidden()
    no_serious_violations(page)
    shot(page, "dashboard-dev-sharing-progress")

    # Rentals' customers, with their cards, are Rocket Rides' now, with the same ids.
    rides = sharing_system.client("Rocket Rides")
    assert rides.v1.customers.retrieve(customers[0]).id == customers[0]
    assert [m.card.last4 for m in rides.v1.customers.payment_methods.list(customers[0]).data if m.card] == ["4242"]
    page.goto(sharing_system.url + "/dashboard/developers/sharing")
    expect(page.get_by_role("region", name="Accounts").get_by_role("row").filter(has_text="Rocket Rentals")).to_contain_text("yes")
    expect(page.get_by_label("Rocket Rentals")).to_have_count(0)  # no longer offered
    expect(page.get_by_role("region", name="Enablements")).to_contain_text("Succeeded")
    assert watch.errors(allow_status=(400,)) == []  # the refusal without consent is a 400 page, on purpose


def test_without_script_the_enablement_page_refreshes_itself_until_it_has_finished(sharing_system: LocalSystem, browser: Browser) -> None:
    seed(sharing_system, "Rocket Repairs", 3)
    watch = Watch()
    context = new_context(browser, watch, viewport={"width": 375, "height": 812}, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_platform(page, sharing_system, "/dashboard/developers/sharing")
        fits_screen(page)
        page.get_by_label("Rocket Repairs").check()
        page.get_by_label(CONSENT_WORDING).check()
        page.get_by_role("button", name="Enable sharing…").click()
        expect(page.get_by_role("heading", name="Enable sharing?")).to_be_visible()  # the confirmation, its own page
        fits_screen(page)
        page.get_by_role("button", name="Enable sharing").click()
        expect(page.get_by_role("heading", name="Sharing enablement")).to_be_visible()
        enablement_url = page.url.split("?")[0]
        fits_screen(page)  # (axe-core needs script: it runs on these pages in the test above)
        shot(page, "dashboard-dev-enablement-noscript-phone")
        expect(page.get_by_role("progressbar")).to_have_attribute("value", "100", timeout=120_000)
        expect(page.locator("#progress-text")).to_contain_text("Succeeded: 3 of 3")
        loads = [url for status, url in watch.documents if url.split("?")[0] == enablement_url and status == 200]
        assert len(loads) >= 2  # it reloaded itself
        assert page.locator("meta[http-equiv=refresh]").count() == 0  # and stops once finished
        fits_screen(page)
        assert watch.errors() == []
    finally:
        context.close()
