"""A dashboard change sent twice happens once, over plain HTTP against the local system: each form
carries a one-time request token minted when it is rendered (the confirm page re-posts it), and
the change runs under the API's idempotency records, so a browser re-sending the confirmed POST
(back + resubmit, a double click without script, a retry after a timeout) gets the first answer
and changes nothing. A fresh form is a fresh change."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from tests.conftest import LocalSystem, eventually
from tests.integration.test_dashboard_security import Answer, Browser, paid

pytestmark = pytest.mark.integration

TOKEN = "request_token"


class _Forms(HTMLParser):
    """Every form's action and its named inputs' values (what a browser would send unchanged)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
        elif tag == "input" and self.forms and found.get("name"):
            if found.get("type") in ("radio", "checkbox") and "checked" not in found:
                return
            self.forms[-1][1][found["name"]] = found.get("value", "")


def form_of(answer: Answer, action: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(answer.body)
    for found_action, fields in parser.forms:
        if found_action == action:
            return dict(fields)
    raise AssertionError(f"no form posting to {action} in: {answer.body[:800]}")


@pytest.fixture
def browser(local_system: LocalSystem) -> Browser:
    signed_in = Browser(local_system.url)
    assert signed_in.sign_in(local_system.accounts["Rocket Platform"].key).status == 303
    return signed_in


def refunds_of(system: LocalSystem, intent: str) -> tuple[int, list[str]]:
    rides = system.client("Rocket Rides")
    found: Any = rides.v1.payment_intents.retrieve(intent)
    listed = rides.v1.refunds.list(params={"payment_intent": intent, "limit": 100})
    return int(found.amount_refunded), [r.id for r in listed.data]


def test_a_confirmed_refund_sent_twice_refunds_once(local_system: LocalSystem, browser: Browser) -> None:
    _, intent = paid(local_system)
    rides = local_system.accounts["Rocket Rides"].id
    page = f"/dashboard/a/{rides}/payments/{intent.id}"
    action = f"{page}/refund"
    form = form_of(browser.get(page), action) | {"how": "partial", "amount": "10.00"}
    assert form[TOKEN], "the form carries its one-time token"
    confirm_page = browser.post(action, form)
    assert confirm_page.status == 200 and "Refund this payment?" in confirm_page.body
    assert refunds_of(local_system, intent.id) == (0, [])
    confirmed = form_of(confirm_page, action)
    assert confirmed[TOKEN] == form[TOKEN] and confirmed["confirmed"] == "yes"

    first = browser.post(action, confirmed)
    again = browser.post(action, confirmed)  # back + resubmit, or a retry after a timeout
    assert first.status == again.status == 303
    assert first.header("Location") == again.header("Location") == f"{page}?notice=refunded"
    amount, listed = refunds_of(local_system, intent.id)
    assert amount == 1000 and len(listed) == 1
    shown = browser.get(page)
    assert shown.body.count("<tr><td><code>re_") == 1

    # The same token with other values is not the same change: refused, nothing refunded.
    other = browser.post(action, confirmed | {"amount": "20.00"})
    assert other.status == 400 and "reload" in other.body.lower()
    assert refunds_of(local_system, intent.id) == (1000, listed)

    # A form rendered afresh is a new change (the script's dialog path: confirmed=yes on the form itself).
    fresh = form_of(browser.get(page), action) | {"how": "partial", "amount": "10.00", "confirmed": "yes"}
    assert fresh[TOKEN] != form[TOKEN]
    assert browser.post(action, fresh).status == 303
    amount, now_listed = refunds_of(local_system, intent.id)
    assert amount == 2000 and len(now_listed) == 2


def test_create_a_payment_sent_twice_opens_one_checkout(local_system: LocalSystem, browser: Browser) -> None:
    rides_client = local_system.client("Rocket Rides")
    customer = rides_client.v1.customers.create(params={"name": "Twice Tom", "email": "tom@example.com"})
    rides = local_system.accounts["Rocket Rides"].id
    action = f"/dashboard/a/{rides}/payments/new"
    form = form_of(browser.get(action), action) | {"customer": customer.id, "amount": "25.00", "currency": "usd", "description": "Once"}
    assert form[TOKEN]
    first = browser.post(action, form)
    again = browser.post(action, form)
    assert first.status == again.status == 303
    location = first.header("Location") or ""
    assert location.startswith(f"{local_system.url}/checkout/cs_test_") and "?key=" in location
    assert again.header("Location") == location  # the same session's page, its key derived again
    sessions = rides_client.v1.checkout.sessions.list(params={"customer": customer.id, "limit": 100})
    assert len(sessions.data) == 1
    assert sessions.data[0].amount_total == 2500


def test_a_customer_edit_resent_after_a_later_change_does_not_undo_it(local_system: LocalSystem, browser: Browser) -> None:
    rides_client = local_system.client("Rocket Rides")
    customer = rides_client.v1.customers.create(params={"name": "Edit Eve", "email": "eve@example.com"})
    page = f"/dashboard/customers/{customer.id}"
    action = f"{page}/update"
    eventually(lambda: browser.get(page).status == 200)
    form = form_of(browser.get(page), action) | {"name": "Eve Dashboard"}
    assert form[TOKEN] and form["account"] == local_system.accounts["Rocket Rides"].id
    assert browser.post(action, form).status == 303
    assert rides_client.v1.customers.retrieve(customer.id).name == "Eve Dashboard"
    rides_client.v1.customers.update(customer.id, params={"name": "Eve Later"})
    again = browser.post(action, form)  # the browser's retry of the first edit
    assert again.status == 303 and "notice=customer_updated" in (again.header("Location") or "")
    assert rides_client.v1.customers.retrieve(customer.id).name == "Eve Later"


def test_removing_and_adding_a_card_sent_twice_happen_once(local_system: LocalSystem, browser: Browser) -> None:
    rides_client = local_system.client("Rocket Rides")
    customer = rides_client.v1.customers.create(params={"name": "Card Cam", "email": "cam@example.com"})
    card: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    pm = rides_client.v1.payment_methods.create(params={"type": "card", "card": card})
    rides_client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    page = f"/dashboard/customers/{customer.id}"
    remove = f"{page}/cards/{pm.id}/remove"
    eventually(lambda: remove in browser.get(page).body)
    shown = browser.get(page)
    form = form_of(shown, remove) | {"confirmed": "yes"}
    first = browser.post(remove, form)
    again = browser.post(remove, form)
    assert first.status == again.status == 303
    assert first.header("Location") == again.header("Location") == f"{page}?notice=card_removed"
    assert rides_client.v1.payment_methods.retrieve(pm.id).customer is None

    add = f"{page}/cards/add"
    form = form_of(shown, add)
    assert form[TOKEN]
    first, again = browser.post(add, form), browser.post(add, form)
    assert first.status == again.status == 303 and first.header("Location") == again.header("Location")
    sessions = rides_client.v1.checkout.sessions.list(params={"customer": customer.id, "limit": 100})
    assert [s.mode for s in sessions.data] == ["setup"]
