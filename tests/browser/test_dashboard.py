"""The dashboard in a real browser (headless Chromium through Playwright) against the whole local
system: signing in with the platform's key, the account switcher, finding Jenny by email, her
payments at two accounts and the right lifetime spend, a refund from the organization reaching the
organization's webhook with its `context`, removing a card (gone for both accounts), adding one
and creating a payment through the hosted checkout page, the confirmation step without script,
a 375-px phone, and axe-core (no serious or critical violation) on every page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from localrun.receiver import Receiver
from tests.browser.conftest import PHONE, Watch, axe_serious, dashboard_sign_in, fits_screen, new_context, shot
from tests.browser.test_checkout_page import fill_card
from tests.conftest import LocalSystem, eventually

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def jenny(system: LocalSystem) -> tuple[Any, Any, Any, Any]:
    """Jenny (a fresh email each time), her Visa saved by Rocket Rides, and a payment at Rocket Rides
    (75.00 USD) and one at Rocket Deliveries (20.00 USD) with that same shared card."""
    rides, deliveries = system.client("Rocket Rides"), system.client("Rocket Deliveries")
    email = f"jenny.{uuid.uuid4().hex[:8]}@example.com"
    customer = rides.v1.customers.create(params={"name": "Jenny Rosen", "email": email})
    card = rides.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    pay = {"currency": "usd", "customer": customer.id, "payment_method": card.id, "confirm": True}
    at_rides = rides.v1.payment_intents.create(params={**pay, "amount": 7500})  # type: ignore[typeddict-item]
    at_deliveries = deliveries.v1.payment_intents.create(params={**pay, "amount": 2000})  # type: ignore[typeddict-item]
    return customer, card, at_rides, at_deliveries


def organization_endpoint(system: LocalSystem, url: str) -> Any:
    platform = system.client()
    return platform.deserialize(
        platform.raw_request("post", "/v1/webhook_endpoints", url=url, scope="organization", **{"enabled_events[0]": "*"}), api_mode="V1"
    )


def no_serious_violations(page: Page) -> None:
    assert axe_serious(page) == [], page.url


def open_customer_page(page: Page, customer_id: str) -> None:
    """The customer's page once the projection has both accounts' payments (it follows the event stream)."""

    def both_counted() -> bool:
        page.reload()
        text = page.get_by_role("table").filter(has_text="Net").first.inner_text()
        return "75.00 USD" in text and "20.00 USD" in text

    eventually(both_counted, timeout=20)


def test_walkthrough_switch_find_jenny_refund_and_remove_her_card(
    local_system: LocalSystem, page: Page, watch: Watch, receiver: Receiver
) -> None:
    customer, card, at_rides, at_deliveries = jenny(local_system)
    endpoint = organization_endpoint(local_system, f"{receiver.url}/org")
    rides_id, deliveries_id = local_system.accounts["Rocket Rides"].id, local_system.accounts["Rocket Deliveries"].id
    try:
        page.goto(local_system.url + "/dashboard")
        expect(page.get_by_role("heading", name="Sign in to the orgshare dashboard")).to_be_visible()
        no_serious_violations(page)
        shot(page, "dashboard-sign-in")
        dashboard_sign_in(page, local_system.url, local_system.accounts["Rocket Platform"].key)
        expect(page.get_by_role("heading", name="Organization overview")).to_be_visible()
        expect(page.get_by_text("in the shared pool")).to_be_visible()
        no_serious_violations(page)
        shot(page, "dashboard-home")

        # The switcher: grouped as platform / connected / standard; Rocket Rides' payments.
        page.get_by_role("navigation").get_by_text("Account", exact=True).click()
        expect(page.get_by_text("Connected accounts")).to_be_visible()
        expect(page.get_by_text("Standard accounts")).to_be_visible()
        shot(page, "dashboard-switcher")
        page.get_by_role("link", name=re.compile("^Rocket Rides")).click()
        expect(page.get_by_role("heading", name="Rocket Rides")).to_be_visible()
        page.get_by_role("link", name="Payments", exact=True).click()
        expect(page.get_by_role("link", name=at_rides.id)).to_be_visible()
        expect(page.get_by_role("link", name=at_deliveries.id)).to_have_count(0)  # the other account's payment is not listed
        page.get_by_label("Status").select_option("succeeded")
        page.get_by_label("Customer ID").fill(customer.id)
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("link", name=at_rides.id)).to_be_visible()
        no_serious_violations(page)
        shot(page, "dashboard-payments")
        page.get_by_role("link", name=at_rides.id).click()
        expect(page.get_by_role("heading", name="Payment 75.00 USD")).to_be_visible()
        no_serious_violations(page)
        shot(page, "dashboard-payment")

        # Jenny, found by email, as the whole organization sees her.
        page.get_by_role("link", name="Customers").click()
        page.get_by_label("Search by email or name").fill(customer.email.upper())
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("link", name="Jenny Rosen")).to_have_count(1)
        no_serious_violations(page)
        shot(page, "dashboard-customers")
        page.get_by_role("link", name="Jenny Rosen").click()
        open_customer_page(page, customer.id)
        spend = page.get_by_role("table").filter(has_text="Net").first
        expect(spend.get_by_role("row", name=re.compile("Rocket Rides"))).to_contain_text("75.00 USD")
        expect(spend.get_by_role("row", name=re.compile("Rocket Deliveries"))).to_contain_text("20.00 USD")
        expect(page.get_by_role("link", name=at_rides.id)).to_be_visible()
        expect(page.get_by_role("link", name=at_deliveries.id)).to_be_visible()
        expect(page.get_by_text("Visa ending in 4242").first).to_be_visible()
        no_serious_violations(page)
        shot(page, "dashboard-customer")

        # A refund from the organization's view: asked in a dialog, made for Rocket Deliveries.
        page.get_by_role("button", name=f"Refund payment {at_deliveries.id}").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("This cannot be undone")
        no_serious_violations(page)
        shot(page, "dashboard-refund-dialog")
        dialog.get_by_role("button", name="Refund").click()
        expect(page.get_by_role("status")).to_have_text("Refund created.")
        deliveries = local_system.client("Rocket Deliveries")
        intent = deliveries.v1.payment_intents.retrieve(at_deliveries.id, params={"expand": ["latest_charge"]})
        assert intent.latest_charge.amount_refunded == 2000  # type: ignore[union-attr]
        got = receiver.wait_until(lambda ds: any('"refund.created"' in d.body and at_deliveries.id in d.body for d in ds))
        refund_events = [d for d in got if d.path == "/org" and '"refund.created"' in d.body and at_deliveries.id in d.body]
        assert len(refund_events) == 1 and f'"context": "{deliveries_id}"' in refund_events[0].body.replace('":"', '": "')

        # Removing the card: gone for both accounts of the pool.
        page.get_by_role("button", name="Remove Visa ending in 4242").click()
        page.get_by_role("dialog").get_by_role("button", name="Remove card").click()
        expect(page.get_by_role("status")).to_contain_text("Card removed")
        for who in ("Rocket Rides", "Rocket Deliveries"):
            listed = local_system.client(who).v1.customers.payment_methods.list(customer.id)
            assert [m.id for m in listed.data] == [], who

        def shown_unsaved() -> bool:
            page.reload()
            return page.get_by_role("button", name="Remove Visa ending in 4242").count() == 0

        eventually(shown_unsaved)
        assert watch.errors() == []
    finally:
        local_system.client().v1.webhook_endpoints.delete(endpoint.id)
    del card, rides_id


def test_create_a_payment_opens_the_checkout_with_save_card(local_system: LocalSystem, page: Page, watch: Watch) -> None:
    deliveries = local_system.accounts["Rocket Deliveries"].id
    email = f"pat.{uuid.uuid4().hex[:8]}@example.com"
    customer = local_system.client("Rocket Rides").v1.customers.create(params={"name": "Pat Pool", "email": email})
    dashboard_sign_in(page, local_system.url, local_system.accounts["Rocket Platform"].key, path=f"/dashboard/a/{deliveries}/payments/new")
    expect(page.get_by_role("heading", name="Create a payment")).to_be_visible()
    no_serious_violations(page)
    page.get_by_label("Customer").select_option(customer.id)  # a customer of the pool, created by another account
    page.get_by_label("Amount").fill("12.50")
    page.get_by_label("Currency").select_option("usd")
    shot(page, "dashboard-new-payment")
    page.get_by_role("button", name="Open the checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout/cs_test_"))
    expect(page.get_by_role("checkbox")).to_be_visible()  # "save my card" for every business of the organization
    fill_card(page, "4242424242424242", save=True)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("status")).to_have_text("The checkout is complete.")
    expect(page.get_by_role("table")).to_contain_text("12.50 USD")
    saved = local_system.client("Rocket Rides").v1.customers.payment_methods.list(customer.id)
    assert [m.card.last4 for m in saved.data if m.card] == ["4242"]  # saved at Deliveries, seen at Rides
    assert watch.errors() == []


def test_add_a_card_through_the_checkout_card_form(local_system: LocalSystem, page: Page, watch: Watch) -> None:
    customer = local_system.client("Rocket Rides").v1.customers.create(
        params={"name": "Cara Card", "email": f"cara.{uuid.uuid4().hex[:8]}@example.com"}
    )
    dashboard_sign_in(page, local_system.url, local_system.accounts["Rocket Platform"].key, path=f"/dashboard/customers/{customer.id}")
    eventually(lambda: page.reload() is not None and page.get_by_role("button", name="Add a card").count() == 1)
    page.get_by_role("button", name="Add a card").click()
    expect(page).to_have_url(re.compile(r"/checkout/cs_test_"))
    fill_card(page, "5555555555554444")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_contain_text("the card is saved")
    for who in ("Rocket Rides", "Rocket Deliveries"):
        listed = local_system.client(who).v1.customers.payment_methods.list(customer.id)
        assert [m.card.last4 for m in listed.data if m.card] == ["4444"], who
    eventually(lambda: page.reload() is not None and page.get_by_text("Mastercard ending in 4444").count() == 1)
    assert watch.errors() == []


def test_without_script_a_refund_is_confirmed_on_its_own_page(local_system: LocalSystem, browser: Browser) -> None:
    _, _, at_rides, _ = jenny(local_system)
    rides = local_system.accounts["Rocket Rides"].id
    watch = Watch()
    context = new_context(browser, watch, viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        dashboard_sign_in(page, local_system.url, local_system.accounts["Rocket Platform"].key,
                          path=f"/dashboard/a/{rides}/payments/{at_rides.id}")  # fmt: skip
        page.get_by_label("Part of it").check()
        page.get_by_label("Amount to refund (for a partial refund)").fill("10.00")
        page.get_by_role("button", name="Refund…").click()
        expect(page.get_by_role("heading", name="Refund this payment?")).to_be_visible()
        expect(page.get_by_text("Refund 10.00 USD of payment")).to_be_visible()
        shot(page, "dashboard-confirm")
        page.get_by_role("button", name="Refund", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Refund created.")
        intent = local_system.client("Rocket Rides").v1.payment_intents.retrieve(at_rides.id, params={"expand": ["latest_charge"]})
        assert intent.latest_charge.amount_refunded == 1000  # type: ignore[union-attr]
        expect(page.get_by_role("table")).to_contain_text("10.00 USD")
        assert watch.errors() == []
    finally:
        context.close()


def test_a_375_px_phone_shows_every_page_without_sideways_scrolling(local_system: LocalSystem, phone: Page, watch: Watch) -> None:
    customer, _, at_rides, _ = jenny(local_system)
    rides = local_system.accounts["Rocket Rides"].id
    assert phone.viewport_size == PHONE
    phone.goto(local_system.url + "/dashboard")
    fits_screen(phone)
    shot(phone, "dashboard-sign-in-375")
    dashboard_sign_in(phone, local_system.url, local_system.accounts["Rocket Platform"].key)
    pages = {
        "home": "/dashboard",
        "account": f"/dashboard/a/{rides}",
        "payments": f"/dashboard/a/{rides}/payments",
        "payment": f"/dashboard/a/{rides}/payments/{at_rides.id}",
        "new-payment": f"/dashboard/a/{rides}/payments/new",
        "customers": f"/dashboard/customers?q={customer.email}",
        "customer": f"/dashboard/customers/{customer.id}",
    }
    for name, path in pages.items():
        phone.goto(local_system.url + path)
        if name == "customer":
            open_customer_page(phone, customer.id)
        fits_screen(phone)
        no_serious_violations(phone)
        shot(phone, f"dashboard-{name}-375")
    phone.get_by_role("navigation").get_by_text("Account", exact=True).tap()
    expect(phone.get_by_role("navigation").get_by_role("link", name=re.compile("^Rocket Deliveries"))).to_be_visible()
    fits_screen(phone)
    shot(phone, "dashboard-switcher-375")
    assert watch.errors() == []


def test_the_server_confirm_page_and_errors_have_no_serious_violations(local_system: LocalSystem, page: Page, watch: Watch) -> None:
    _, _, at_rides, _ = jenny(local_system)
    rides = local_system.accounts["Rocket Rides"].id
    dashboard_sign_in(
        page, local_system.url, local_system.accounts["Rocket Platform"].key, path=f"/dashboard/a/{rides}/payments/{at_rides.id}"
    )
    page.evaluate("document.querySelectorAll('form[data-confirm]').forEach(f => f.removeAttribute('data-confirm'))")
    page.get_by_role("button", name="Refund…").click()
    expect(page.get_by_role("heading", name="Refund this payment?")).to_be_visible()
    no_serious_violations(page)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Payment 75.00 USD")).to_be_visible()
    answer = page.goto(local_system.url + f"/dashboard/a/{rides}/payments/pi_doesnotexist")
    assert answer is not None and answer.status == 404
    no_serious_violations(page)
    page.goto(local_system.url + "/dashboard/sign-in")
    page.get_by_label("Secret key").fill("sk_test_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That key did not work")
    no_serious_violations(page)
    assert watch.errors(allow_status=(401, 404)) == []
