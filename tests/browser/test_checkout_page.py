"""The hosted and embedded checkout page in a real browser (headless Chromium through Playwright),
against the whole local system: the seed walk-through (a card saved in Rocket Rides' checkout is
offered and paid with in one click in Rocket Deliveries'), declines, the test 3-D Secure step,
closed sessions, embedded mode, a phone-sized screen, accessibility, the Content-Security-Policy,
and that the card number stays out of pages, logs and tables."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import stripe
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import REFERERS, SCREENSHOTS, Watch, shot
from tests.conftest import LocalSystem

pytestmark = pytest.mark.browser

CARD = "4242424242424242"
DECLINED = "4000000000000002"
THREE_DS = ("4000002500003155", "4000002760003184")
EXPIRY, CVC = "12/34", "123"


def ride(amount: int = 7500, name: str = "Ride service") -> dict[str, Any]:
    return {"line_items": [{"price_data": {"currency": "usd", "product_data": {"name": name}, "unit_amount": amount}, "quantity": 1}],
            "mode": "payment"}  # fmt: skip


def hosted(system: LocalSystem, account: str, merchant: str, **extra: Any) -> Any:
    """A hosted checkout session whose success and cancel pages are the local merchant's."""
    params: Any = {
        **ride(),
        "success_url": f"{merchant}/success?session={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{merchant}/cancel",
        **extra,
    }
    session = system.client(account).v1.checkout.sessions.create(params=params)
    assert session.url and session.url.startswith(system.url + "/checkout/" + session.id + "?key=")
    return session


def embedded(system: LocalSystem, return_url: str) -> Any:
    """An embedded checkout session of Rocket Rides (its page framed by the merchant's, the return_url's origin)."""
    params: Any = {**ride(), "ui_mode": "embedded", "return_url": return_url}
    session = system.client("Rocket Rides").v1.checkout.sessions.create(params=params)
    assert session.client_secret and session.url is None
    return session


def fill_card(page: Page, number: str, *, email: str | None = None, save: bool = False) -> None:
    """Types a new card as a customer does (the number as typed, grouped by the page's script)."""
    page.wait_for_load_state("domcontentloaded")  # the page's script has run: it moves the focus to an error
    page.get_by_label("Card number").press_sequentially(number)
    page.get_by_label("Expiry").press_sequentially(EXPIRY.replace("/", ""))
    page.get_by_label("Security code").fill(CVC)
    if email is not None:
        page.get_by_label("Email").fill(email)
    if save:
        page.get_by_role("checkbox").check()


def pay_button(page: Page) -> Locator:
    return page.get_by_role("button", name=re.compile(r"^Pay "))


def publish(screenshot: Path, name: str) -> None:
    """A step's screenshot copied to docs/screenshots/ (committed; the README shows it), when asked
    with UPDATE_SCREENSHOTS=1: a test run leaves the committed files alone otherwise."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, SCREENSHOTS / name)


def expect_success(page: Page, merchant: str, session_id: str) -> None:
    """On the merchant's success page, with {CHECKOUT_SESSION_ID} replaced by the session's id."""
    page.wait_for_url(f"{merchant}/success?session={session_id}")
    expect(page.locator("#q-session")).to_have_text(session_id)


def test_seed_walkthrough_card_saved_in_rides_is_offered_and_paid_in_one_click_in_deliveries(
    local_system: LocalSystem, merchant: str, page: Page, watch: Watch
) -> None:
    rides, deliveries = local_system.client("Rocket Rides"), local_system.client("Rocket Deliveries")
    first = hosted(local_system, "Rocket Rides", merchant, customer_creation="always",
                   saved_payment_method_options={"payment_method_save": "enabled"})  # fmt: skip
    answer = page.goto(first.url)
    assert answer is not None and answer.status == 200
    csp = answer.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"  # a hosted page is never framed
    expect(page.get_by_role("heading", level=1)).to_contain_text("75.00 USD")
    expect(page.get_by_text("Ride service")).to_be_visible()
    shot(page, "01-hosted-form")

    save = page.get_by_role("checkbox")
    expect(save).not_to_be_checked()  # consent is never presumed
    label = page.locator("label[for=save]")
    expect(label).to_contain_text("available to")
    expect(label).to_contain_text("other businesses")
    fill_card(page, CARD, email="jenny@example.com", save=True)
    expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    expect(page.get_by_label("Expiry")).to_have_value(EXPIRY)
    publish(shot(page, "02-hosted-form-filled"), "checkout-desktop.png")
    pay_button(page).click()
    expect_success(page, merchant, first.id)
    shot(page, "03-success")

    # Through the SDK: the customer and the card are the pool's, the same ids from Deliveries.
    done = rides.v1.checkout.sessions.retrieve(first.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    customer = done.customer
    assert isinstance(customer, str) and deliveries.v1.customers.retrieve(customer).email == "jenny@example.com"
    cards = deliveries.v1.customers.payment_methods.list(customer).data
    assert len(cards) == 1 and cards[0].card is not None and (cards[0].card.brand, cards[0].card.last4) == ("visa", "4242")
    card = cards[0]
    assert [c.id for c in rides.v1.customers.payment_methods.list(customer).data] == [card.id]

    # Deliveries' session for that customer shows the saved card; one click pays with it.
    second = hosted(local_system, "Rocket Deliveries", merchant, customer=customer, **ride(5000, "Delivery service"))
    page.goto(second.url)
    saved = page.get_by_role("radio", name=re.compile(r"Visa ending in 4242"))
    expect(saved).to_be_checked()
    expect(page.locator(f"label[for='pm-{card.id}']")).to_contain_text("Expires 12/2034")
    expect(page.get_by_label("Card number")).to_be_hidden()  # the new card's fields wait for "A new card"
    shot(page, "04-saved-card-form")
    pay_button(page).click()
    expect_success(page, merchant, second.id)

    # Each payment is its own account's: the other account's key finds nothing.
    paid_second = deliveries.v1.checkout.sessions.retrieve(second.id)
    assert isinstance(done.payment_intent, str) and isinstance(paid_second.payment_intent, str)
    mine = rides.v1.payment_intents.retrieve(done.payment_intent)
    theirs = deliveries.v1.payment_intents.retrieve(paid_second.payment_intent)
    assert (mine.amount_received, mine.customer) == (7500, customer)
    assert (theirs.amount_received, theirs.customer, theirs.payment_method) == (5000, customer, card.id)
    for client, intent in ((deliveries, mine.id), (rides, theirs.id)):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            client.v1.payment_intents.retrieve(intent)
        assert missing.value.http_status == 404
    assert watch.errors() == []


def test_declined_card_shows_the_message_and_the_same_page_then_pays(
    local_system: LocalSystem, merchant: str, page: Page, watch: Watch
) -> None:
    session = hosted(local_system, "Rocket Rides", merchant)
    page.goto(session.url)
    fill_card(page, DECLINED, email="declined@example.com")
    pay_button(page).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your card was declined.")
    expect(alert).to_be_focused()  # read out at once by a screen reader, and where Tab goes on from
    expect(page.get_by_label("Card number")).to_have_value("")  # the form again, empty: nothing of the card echoed
    assert DECLINED not in page.content() and "4000 0000 0000 0002" not in page.content()
    shot(page, "10-declined")
    fill_card(page, CARD, email="declined@example.com")
    pay_button(page).click()
    expect_success(page, merchant, session.id)
    assert local_system.client("Rocket Rides").v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert watch.errors(allow_status=(402,)) == []


@pytest.mark.parametrize("number", THREE_DS)
def test_three_d_secure_step_fails_then_completes(local_system: LocalSystem, merchant: str, page: Page, watch: Watch, number: str) -> None:
    session = hosted(local_system, "Rocket Rides", merchant)
    page.goto(session.url)
    fill_card(page, number, email="secure@example.com")
    pay_button(page).click()
    expect(page.get_by_role("heading", name="Authenticate your card")).to_be_visible()
    expect(page.get_by_text("test authentication")).to_be_visible()
    assert number not in page.content()
    shot(page, f"20-authenticate-{number}")

    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("authenticat", re.I))
    expect(pay_button(page)).to_be_visible()  # back to the form
    shot(page, f"21-authentication-failed-{number}")

    fill_card(page, number)
    pay_button(page).click()
    expect(page.get_by_role("heading", name="Authenticate your card")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    expect_success(page, merchant, session.id)
    done = local_system.client("Rocket Rides").v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert watch.errors(allow_status=(402,)) == []


def test_cancel_link_goes_to_cancel_url(local_system: LocalSystem, merchant: str, page: Page, watch: Watch) -> None:
    session = hosted(local_system, "Rocket Rides", merchant)
    page.goto(session.url)
    page.get_by_role("link", name="Cancel and return to Rocket Rides").click()
    page.wait_for_url(f"{merchant}/cancel")
    assert local_system.client("Rocket Rides").v1.checkout.sessions.retrieve(session.id).status == "open"
    assert watch.errors() == []


def test_expired_complete_and_wrong_key_pages_show_no_form(local_system: LocalSystem, merchant: str, page: Page, watch: Watch) -> None:
    rides = local_system.client("Rocket Rides")
    expired = hosted(local_system, "Rocket Rides", merchant)
    rides.v1.checkout.sessions.expire(expired.id)
    answer = page.goto(expired.url)
    assert answer is not None and answer.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout expired")
    expect(page.get_by_text("expired and can no longer be paid")).to_be_visible()
    expect(page.locator("form")).to_have_count(0)
    shot(page, "30-expired")

    paid = hosted(local_system, "Rocket Rides", merchant)
    page.goto(paid.url)
    fill_card(page, CARD, email="done@example.com")
    pay_button(page).click()
    expect_success(page, merchant, paid.id)
    answer = page.goto(paid.url)  # the same link again: nothing more to pay
    assert answer is not None and answer.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment complete")
    expect(page.get_by_text("complete", exact=False).first).to_be_visible()
    expect(page.locator("form")).to_have_count(0)
    shot(page, "31-complete")

    session = hosted(local_system, "Rocket Rides", merchant)
    for wrong in (re.sub(r"key=[^&]+", "key=wrong", session.url), session.url.split("?")[0], session.url[:-1] + "x"):
        answer = page.goto(wrong)
        assert answer is not None and answer.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Checkout link not valid")
        expect(page.get_by_text("This checkout link is not valid")).to_be_visible()
        expect(page.locator("form")).to_have_count(0)
    shot(page, "32-not-valid")
    assert watch.errors(allow_status=(404, 410)) == []


def test_embedded_checkout_pays_in_the_iframe_and_continues_to_return_url(
    local_system: LocalSystem, merchant: str, page: Page, watch: Watch
) -> None:
    session = embedded(local_system, f"{merchant}/return?session_id={{CHECKOUT_SESSION_ID}}")
    page.goto(f"{merchant}/embed?secret={session.client_secret}&base={local_system.url}")
    frame = page.frame_locator("iframe[title='Checkout']")
    expect(frame.get_by_role("heading", level=1)).to_contain_text("75.00 USD")
    inside = next(f for f in page.frames if f.url.startswith(local_system.url + "/checkout/"))
    inside.wait_for_function(
        "() => document.documentElement.scrollHeight <= window.innerHeight"
    )  # the iframe fits its page: no inner scroll
    shot(page, "40-embedded-form")
    frame.get_by_label("Card number").press_sequentially(CARD)
    frame.get_by_label("Expiry").press_sequentially("1234")
    frame.get_by_label("Security code").fill(CVC)
    frame.get_by_label("Email").fill("embedded@example.com")
    frame.get_by_role("button", name=re.compile("^Pay ")).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Payment complete")
    inside.wait_for_function("() => document.documentElement.scrollHeight <= window.innerHeight")
    page.wait_for_function("() => document.querySelector('iframe').getBoundingClientRect().height < 400")  # shrunk to the page
    back = frame.get_by_role("link", name="Continue")
    expect(back).to_have_attribute("href", f"{merchant}/return?session_id={session.id}")
    shot(page, "41-embedded-complete")
    assert page.url.startswith(f"{merchant}/embed")  # the merchant's page stays until the customer continues
    back.click()
    page.wait_for_url(f"{merchant}/return?session_id={session.id}")
    assert local_system.client("Rocket Rides").v1.checkout.sessions.retrieve(session.id).status == "complete"
    assert watch.errors() == []


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide on a 375-px screen"


def test_phone_screen_no_horizontal_scroll_and_the_pay_button_works(
    local_system: LocalSystem, merchant: str, phone: Page, watch: Watch
) -> None:
    first = hosted(local_system, "Rocket Rides", merchant, customer_creation="always",
                   saved_payment_method_options={"payment_method_save": "enabled"})  # fmt: skip
    phone.goto(first.url)
    no_horizontal_scroll(phone)
    shot(phone, "50-phone-form")
    fill_card(phone, CARD, email="phone@example.com", save=True)
    button = pay_button(phone)
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] >= 44  # a thumb-sized target
    shot(phone, "51-phone-filled", full_page=False)
    button.tap()
    expect_success(phone, merchant, first.id)
    customer = local_system.client("Rocket Rides").v1.checkout.sessions.retrieve(first.id).customer
    assert isinstance(customer, str)

    second = hosted(local_system, "Rocket Deliveries", merchant, customer=customer, **ride(5000, "Delivery service"))
    phone.goto(second.url)
    expect(phone.get_by_role("radio", name=re.compile("Visa ending in 4242"))).to_be_checked()
    no_horizontal_scroll(phone)
    publish(shot(phone, "52-phone-saved-card"), "checkout-saved-card-375.png")
    phone.get_by_role("radio", name="A new card").tap()
    expect(phone.get_by_label("Card number")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "53-phone-saved-card-new-chosen")
    phone.get_by_role("radio", name=re.compile("Visa ending in 4242")).tap()
    pay_button(phone).tap()
    expect_success(phone, merchant, second.id)

    for url, state in ((hosted(local_system, "Rocket Rides", merchant).url, "form"), (second.url, "complete")):
        phone.goto(url)
        no_horizontal_scroll(phone)
        shot(phone, f"54-phone-{state}")
    assert watch.errors() == []


def serious(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}" for v in found]


def test_accessibility_axe_finds_nothing_serious_on_form_error_and_authentication(
    local_system: LocalSystem, merchant: str, page: Page, watch: Watch
) -> None:
    session = hosted(local_system, "Rocket Rides", merchant, saved_payment_method_options={"payment_method_save": "enabled"})
    page.goto(session.url)
    assert serious(page) == []
    fill_card(page, DECLINED, email="axe@example.com")
    pay_button(page).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert serious(page) == []
    fill_card(page, THREE_DS[1])
    pay_button(page).click()
    expect(page.get_by_role("heading", name="Authenticate your card")).to_be_visible()
    assert serious(page) == []
    page.get_by_role("button", name="Complete authentication").click()
    expect_success(page, merchant, session.id)
    answer = page.goto(session.url)
    assert answer is not None and answer.status == 200
    assert serious(page) == []  # the "complete" page
    expired = hosted(local_system, "Rocket Rides", merchant)
    local_system.client("Rocket Rides").v1.checkout.sessions.expire(expired.id)
    page.goto(expired.url)
    assert serious(page) == []
    assert watch.errors(allow_status=(402, 410)) == []


def focus_order(page: Page, presses: int) -> list[str]:
    """What Tab reaches, in order: each element's id, or its text."""
    reached = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => { const e = document.activeElement; return e.id || e.textContent.trim(); }"))
    return reached


def test_keyboard_reaches_every_field_and_the_pay_button_in_order_and_pays(
    local_system: LocalSystem, merchant: str, page: Page, watch: Watch
) -> None:
    first = hosted(local_system, "Rocket Rides", merchant, customer_creation="always",
                   saved_payment_method_options={"payment_method_save": "enabled"})  # fmt: skip
    page.goto(first.url)
    assert focus_order(page, 7) == ["number", "exp", "cvc", "email", "save", "Pay 75.00 USD", "Cancel and return to Rocket Rides"]

    # The whole payment by keyboard, each focused control showing a visible focus ring.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # back to the "save" checkbox
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox")).to_be_checked()
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }")
    assert ring == ["solid", "3px"], ring
    page.get_by_label("Card number").focus()
    page.keyboard.type(CARD)
    page.keyboard.press("Tab")
    page.keyboard.type("1234")
    page.keyboard.press("Tab")
    page.keyboard.type(CVC)
    page.keyboard.press("Tab")
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(pay_button(page)).to_be_focused()
    shot(page, "60-keyboard-pay-focused", full_page=False)
    page.keyboard.press("Enter")
    expect_success(page, merchant, first.id)
    customer = local_system.client("Rocket Rides").v1.checkout.sessions.retrieve(first.id).customer
    assert isinstance(customer, str)

    # With a saved card: the card choice (one stop, arrows move in it), then pay; the new card's fields once chosen.
    second = hosted(local_system, "Rocket Deliveries", merchant, customer=customer, **ride(5000, "Delivery service"))
    page.goto(second.url)
    card = local_system.client("Rocket Deliveries").v1.customers.payment_methods.list(customer).data[0].id
    assert focus_order(page, 3) == [f"pm-{card}", "Pay 50.00 USD", "Cancel and return to Rocket Deliveries"]
    page.get_by_role("radio", name=re.compile("Visa ending")).focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="A new card")).to_be_checked()
    expect(page.get_by_label("Card number")).to_be_visible()
    assert focus_order(page, 5) == ["number", "exp", "cvc", "Pay 50.00 USD", "Cancel and return to Rocket Deliveries"]
    shot(page, "61-keyboard-new-card-chosen")
    assert watch.errors() == []


def test_content_security_policy_is_strict_on_every_page_and_violations_would_be_seen(
    local_system: LocalSystem, merchant: str, page: Page, watch: Watch
) -> None:
    def strict(answer: Any) -> dict[str, str]:
        assert answer is not None
        policy = answer.headers.get("content-security-policy")
        assert policy, f"no Content-Security-Policy on {answer.url}"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy.replace("*.", "")
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'" and directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["base-uri"] == "'none'" and directives["form-action"].startswith("'self'")
        assert answer.headers.get("x-content-type-options") == "nosniff" and answer.headers.get("referrer-policy") == "no-referrer"
        return directives

    session = hosted(local_system, "Rocket Rides", merchant)
    directives = strict(page.goto(session.url))
    assert directives["form-action"] == f"'self' {merchant}" and directives["frame-ancestors"] == "'none'"
    with page.expect_response(lambda r: r.request.resource_type == "document") as posted:
        fill_card(page, DECLINED, email="csp@example.com")
        pay_button(page).click()
    strict(posted.value)
    with page.expect_response(lambda r: r.request.resource_type == "document") as posted:
        fill_card(page, THREE_DS[0])
        pay_button(page).click()
    strict(posted.value)
    strict(page.goto(re.sub(r"key=[^&]+", "key=wrong", session.url)))
    secret, key = embedded(local_system, f"{merchant}/return").client_secret.split("_secret_")
    framed = strict(page.goto(f"{local_system.url}/checkout/{secret}?key={key}"))
    assert framed["frame-ancestors"] == merchant  # framed by the merchant's page only
    assert watch.errors(allow_status=(402, 404)) == []

    # The watch sees a violation: an inline script, which the policy refuses.
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s); }")
    page.wait_for_function("() => (window.__cspSeen || []).length > 0")
    assert page.evaluate("() => window.ran") is None
    assert any("script-src" in v for v in watch.csp_violations), watch.csp_violations


MASTERCARD = "5555555555554444"


def spellings(number: str) -> list[str]:
    """A card number as a page, a form body or a log could carry it."""
    groups = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return [number, groups, groups.replace(" ", "+"), groups.replace(" ", "%20"), number[:6] + number[-4:]]


def test_card_numbers_stay_out_of_pages_logs_and_tables(local_system: LocalSystem, merchant: str, page: Page, watch: Watch) -> None:
    session = hosted(local_system, "Rocket Rides", merchant, customer_creation="always",
                     saved_payment_method_options={"payment_method_save": "enabled"})  # fmt: skip
    page.goto(session.url)
    fill_card(page, DECLINED, email="leak@example.com")
    pay_button(page).click()
    expect(page.get_by_role("alert")).to_be_visible()
    pages = [page.content()]
    fill_card(page, THREE_DS[1], save=True)
    pay_button(page).click()
    expect(page.get_by_role("heading", name="Authenticate your card")).to_be_visible()
    pages.append(page.content())
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("alert")).to_be_visible()
    pages.append(page.content())
    fill_card(page, MASTERCARD, save=True)
    pay_button(page).click()
    expect_success(page, merchant, session.id)
    answer = page.goto(session.url)
    assert answer is not None
    pages.append(page.content())
    rides = local_system.client("Rocket Rides")
    customer = rides.v1.checkout.sessions.retrieve(session.id).customer
    assert isinstance(customer, str)
    card = rides.v1.customers.payment_methods.list(customer).data[0]
    assert card.card is not None and card.card.last4 == "4444"  # paid and saved: the number went all the way through

    numbers = [CARD, DECLINED, MASTERCARD, *THREE_DS]  # every number any browser test typed
    logs = "\n".join(local_system.logs)
    tables = repr(local_system.table_items())
    urls = "\n".join(u for _, u in watch.documents)
    for number in numbers:
        for spelled in spellings(number):
            assert not any(spelled in html for html in pages), f"{spelled} in a page"
            assert spelled not in logs, f"{spelled} in the server's logs"
            assert spelled not in tables, f"{spelled} in a table"
            assert spelled not in urls, f"{spelled} in a URL"
    assert not [r for r in REFERERS if local_system.url in r]  # no page sent its address (with its secret) to the merchant
    assert '"message":"page"' in logs  # the handlers' logs were read: the pages' access log is there
    assert watch.errors(allow_status=(402,)) == []
