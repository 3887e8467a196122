"""The dashboard's security rules over plain HTTP against the local system: no session, no page;
the session cookie's flags; a change without the session's CSRF token, or from another origin,
is refused and does nothing; the key is kept nowhere; signing out and revoking the key end the
session; an account's key sees its account alone."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import LocalSystem, eventually


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Browser:
    """A client that keeps the dashboard's cookies (by name) and follows no redirect."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    seen: list[Answer] = field(default_factory=list)

    def request(self, method: str, path: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Answer:
        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=20)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form).encode() if form is not None else None
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        reply = connection.getresponse()
        answer = Answer(reply.status, reply.getheaders(), reply.read().decode())
        connection.close()
        cookie = answer.header("Set-Cookie")
        if cookie:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        self.seen.append(answer)
        return answer

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str], *, origin: str | None = "own") -> Answer:
        headers = {"Origin": self.base if origin == "own" else origin} if origin else {}
        return self.request("POST", path, form, headers)

    def sign_in(self, key: str) -> Answer:
        form_page = self.get("/dashboard/sign-in")
        return self.post("/dashboard/sign-in", {"key": key, "csrf_token": token(form_page)})


def token(answer: Answer) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', answer.body)
    assert found, answer.body[:500]
    return found.group(1)


@pytest.fixture
def platform_browser(local_system: LocalSystem) -> Browser:
    browser = Browser(local_system.url)
    assert browser.sign_in(local_system.accounts["Rocket Platform"].key).status == 303
    return browser


def paid(system: LocalSystem, amount: int = 5000) -> Any:
    """A customer of Rocket Rides and a succeeded payment of theirs."""
    rides = system.client("Rocket Rides")
    customer = rides.v1.customers.create(params={"name": "Secure Sam", "email": "sam@example.com"})
    intent = rides.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    return customer, intent


def refunded(system: LocalSystem, intent: str) -> int:
    charge: Any = system.client("Rocket Rides").v1.payment_intents.retrieve(intent, params={"expand": ["latest_charge"]}).latest_charge
    return int(charge.amount_refunded)


def test_without_a_session_every_page_sends_to_sign_in(local_system: LocalSystem) -> None:
    browser = Browser(local_system.url)
    rides = local_system.accounts["Rocket Rides"].id
    for path in ("/dashboard", "/dashboard/customers", f"/dashboard/a/{rides}/payments"):
        answer = browser.get(path)
        assert answer.status == 303, path
        assert answer.header("Location") == f"/dashboard/sign-in?next={path}"
    shown = browser.get("/dashboard/sign-in")
    assert shown.status == 200 and "Secret key" in shown.body
    assert "script-src 'self'" in (shown.header("Content-Security-Policy") or "")
    # A change without a session does nothing but send to the sign-in page.
    refused = browser.post(f"/dashboard/a/{rides}/payments/pi_123/refund", {"how": "full", "confirmed": "yes"})
    assert refused.status == 303 and (refused.header("Location") or "").startswith("/dashboard/sign-in")


def test_the_session_cookie_is_http_only_strict_and_the_key_is_kept_nowhere(local_system: LocalSystem) -> None:
    key = local_system.accounts["Rocket Platform"].key
    browser = Browser(local_system.url)
    signed_in = browser.sign_in(key)
    assert signed_in.status == 303 and signed_in.header("Location") == "/dashboard"
    cookie = signed_in.header("Set-Cookie") or ""
    assert cookie.startswith("orgshare_dashboard=")
    flags = [part.strip() for part in cookie.split(";")]
    assert {"HttpOnly", "SameSite=Strict", "Path=/dashboard"} <= set(flags)
    assert "Secure" not in flags  # the local system is http on 127.0.0.1; https adds Secure
    session_token = browser.cookies["orgshare_dashboard"]
    assert len(session_token) >= 40
    home = browser.get("/dashboard")
    assert home.status == 200 and "Organization overview" in home.body
    browser.get("/dashboard/customers")
    for answer in browser.seen:
        assert key not in answer.body and all(key not in v for _, v in answer.headers)
    assert key not in json.dumps(browser.cookies)
    tables = local_system.table_items()
    sessions_table = local_system.env["DASHBOARD_SESSIONS_TABLE"]
    dynamodb = local_system.dynamodb()
    tables[sessions_table] = dynamodb.scan(TableName=sessions_table)["Items"]
    assert tables[sessions_table], "the session is kept server-side"
    everything = json.dumps(tables, default=repr)
    assert key not in everything and key[8:] not in everything
    assert session_token not in everything  # only a keyed hash of the token
    assert token(home) not in everything  # the CSRF token is derived, not stored


def test_a_change_without_the_right_csrf_token_is_refused_and_changes_nothing(local_system: LocalSystem, platform_browser: Browser) -> None:
    customer, intent = paid(local_system)
    rides = local_system.accounts["Rocket Rides"].id
    path = f"/dashboard/a/{rides}/payments/{intent.id}/refund"
    good = token(platform_browser.get(f"/dashboard/a/{rides}/payments/{intent.id}"))
    for form in ({"how": "full", "confirmed": "yes"}, {"how": "full", "confirmed": "yes", "csrf_token": "0" * 64},
                 {"how": "full", "confirmed": "yes", "csrf_token": ""}):  # fmt: skip
        answer = platform_browser.post(path, form)
        assert answer.status == 403, form
        assert "nothing was done" in answer.body
    update = platform_browser.post(f"/dashboard/customers/{customer.id}/update", {"account": rides, "name": "Mallory", "csrf_token": "x"})
    assert update.status == 403
    rides_client = local_system.client("Rocket Rides")
    assert refunded(local_system, intent.id) == 0
    assert rides_client.v1.customers.retrieve(customer.id).name == "Secure Sam"
    # The same form with the session's token goes through the confirmation step, then refunds.
    confirm = platform_browser.post(path, {"how": "full", "csrf_token": good})
    assert confirm.status == 200 and "Refund this payment?" in confirm.body
    done = platform_browser.post(path, {"how": "full", "csrf_token": good, "confirmed": "yes"})
    assert done.status == 303 and "notice=refunded" in (done.header("Location") or "")
    assert refunded(local_system, intent.id) == 5000


def test_a_cross_origin_post_is_refused_even_with_the_token(local_system: LocalSystem, platform_browser: Browser) -> None:
    customer, intent = paid(local_system)
    rides = local_system.accounts["Rocket Rides"].id
    good = token(platform_browser.get(f"/dashboard/a/{rides}/payments/{intent.id}"))
    path = f"/dashboard/a/{rides}/payments/{intent.id}/refund"
    for origin in ("http://evil.example", "http://127.0.0.1:1", None):
        answer = platform_browser.post(path, {"how": "full", "csrf_token": good, "confirmed": "yes"}, origin=origin)
        assert answer.status == 403, origin
    answer = platform_browser.request("POST", path, {"how": "full", "csrf_token": good, "confirmed": "yes"},
                                      {"Referer": "http://evil.example/page"})  # fmt: skip
    assert answer.status == 403
    assert refunded(local_system, intent.id) == 0
    # Signing in from another site is refused too, and so is a sign-in form without its cookie's token.
    other = Browser(local_system.url)
    form_page = other.get("/dashboard/sign-in")
    key = local_system.accounts["Rocket Platform"].key
    assert other.post("/dashboard/sign-in", {"key": key, "csrf_token": token(form_page)}, origin="http://evil.example").status == 403
    assert Browser(local_system.url).post("/dashboard/sign-in", {"key": key, "csrf_token": token(form_page)}).status == 403
    del customer


def test_bad_keys_do_not_sign_in(local_system: LocalSystem) -> None:
    browser = Browser(local_system.url)
    for key in ("sk_test_nope", "pk_test_" + "a" * 40, local_system.accounts["Rocket Rides"].key + "x", ""):
        answer = browser.sign_in(key)
        assert answer.status == 401, key
        assert "That key did not work" in answer.body
        assert "orgshare_dashboard" not in browser.cookies


def test_sign_out_ends_the_session(local_system: LocalSystem, platform_browser: Browser) -> None:
    home = platform_browser.get("/dashboard")
    old = dict(platform_browser.cookies)
    out = platform_browser.post("/dashboard/sign-out", {"csrf_token": token(home)})
    assert out.status == 303 and out.header("Location") == "/dashboard/sign-in?notice=signed_out"
    assert "Max-Age=0" in (out.header("Set-Cookie") or "")
    assert "orgshare_dashboard" not in platform_browser.cookies
    replay = Browser(local_system.url, cookies=old)  # the old cookie, kept by someone: no longer a session
    assert replay.get("/dashboard").status == 303
    sessions_table = local_system.env["DASHBOARD_SESSIONS_TABLE"]
    assert all(old["orgshare_dashboard"] not in json.dumps(i) for i in local_system.dynamodb().scan(TableName=sessions_table)["Items"])


def test_signing_in_again_ends_the_session_the_browser_had(local_system: LocalSystem, platform_browser: Browser) -> None:
    old = dict(platform_browser.cookies)
    assert platform_browser.sign_in(local_system.accounts["Rocket Rides"].key).status == 303
    assert platform_browser.get("/dashboard").status in (200, 303)  # the new session: Rides' own pages
    assert platform_browser.cookies["orgshare_dashboard"] != old["orgshare_dashboard"]
    copied = Browser(local_system.url, cookies=old)  # a copy of the first cookie: no longer the platform's session
    assert copied.get("/dashboard").status == 303
    assert (copied.seen[-1].header("Location") or "").startswith("/dashboard/sign-in")


def test_revoking_the_key_ends_its_sessions(local_system: LocalSystem) -> None:
    account, platform_key = local_system.accounts["Rocket Platform"].id, local_system.accounts["Rocket Platform"].key
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, created = local_system.http("POST", f"/v1/accounts/{account}/api_keys", key=platform_key, body=b"name=dashboard", headers=form)
    assert status == 200, created
    browser = Browser(local_system.url)
    assert browser.sign_in(created["secret"]).status == 303
    assert browser.get("/dashboard").status == 200
    status, _ = local_system.http("DELETE", f"/v1/accounts/{account}/api_keys/{created['id']}", key=platform_key)
    assert status == 200
    eventually(lambda: browser.get("/dashboard").status == 303, timeout=5)
    assert (browser.seen[-1].header("Location") or "").startswith("/dashboard/sign-in")


def test_an_account_key_sees_its_account_alone(local_system: LocalSystem) -> None:
    rides, deliveries = local_system.accounts["Rocket Rides"].id, local_system.accounts["Rocket Deliveries"].id
    browser = Browser(local_system.url)
    assert browser.sign_in(local_system.accounts["Rocket Rides"].key).status == 303
    home = browser.get("/dashboard")
    assert home.status == 303 and home.header("Location") == f"/dashboard/a/{rides}"
    own = browser.get(f"/dashboard/a/{rides}/payments")
    assert own.status == 200 and deliveries not in own.body  # no switcher: only its own account is listed
    assert browser.get(f"/dashboard/a/{deliveries}/payments").status == 404
    assert browser.get("/dashboard/customers").status == 404  # the organization's view is not an account's
