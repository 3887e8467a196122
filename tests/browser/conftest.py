"""Fixtures for the browser tests: headless Debian chromium driven by Playwright, a tiny merchant
site on 127.0.0.1 (the sessions' success, cancel and return pages, and a page embedding a checkout),
and a browser context that reaches nothing but 127.0.0.1 and records every console error, page
error and Content-Security-Policy violation."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, Route, sync_playwright

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]  # fmt: skip
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


REFERERS: list[str] = []  # every Referer the merchant's site was sent


class _Merchant(BaseHTTPRequestHandler):
    """The merchant's side: /success, /cancel, /return show where the customer arrived (and the
    query), /embed?secret=...&base=... is a page with orgshare's embed snippet."""

    def do_GET(self) -> None:
        if self.headers.get("Referer"):
            REFERERS.append(self.headers["Referer"])
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/embed":
            base, secret = html.escape(query.get("base", "")), html.escape(query.get("secret", ""))
            body = (
                "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Rocket Rides: pay</title>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
                "<body><h1>Rocket Rides</h1><div id='checkout'></div>"
                f"<script src='{base}/static/embed.js' data-client-secret='{secret}'"
                " data-mount='#checkout'></script></body></html>"
            )
        elif parts.path in ("/success", "/cancel", "/return"):
            shown = "".join(f"<li><code>{html.escape(k)}</code>: <code id='q-{html.escape(k)}'>{html.escape(v)}</code></li>"
                            for k, v in query.items())  # fmt: skip
            title = parts.path[1:].title()
            body = (
                f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Merchant: {title}</title></head>"
                f"<body><h1>Merchant {title} page</h1><ul>{shown}</ul></body></html>"
            )
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture(scope="session")
def merchant() -> Iterator[str]:
    """The merchant's own site, on 127.0.0.1 (a port of its own, so another origin than orgshare)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Merchant)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


# Reported from every frame (the embedded checkout's iframe too) through a binding the context exposes.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const seen = e.violatedDirective + " blocked " + e.blockedURI + " on " + e.documentURI;
  (window.__cspSeen = window.__cspSeen || []).push(seen);
  window.__cspViolation(seen);
});
"""


@dataclass
class Watch:
    """What the browser reported: console errors, uncaught page errors, CSP violations, and every
    request it tried to send anywhere but 127.0.0.1 (aborted)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    documents: list[tuple[int, str]] = field(default_factory=list)  # (status, url) of each page loaded

    def errors(self, *, allow_status: tuple[int, ...] = ()) -> list[str]:
        """Everything that went wrong; `allow_status`: Chrome's console line for a page answered with
        one of these statuses on purpose (a declined card's 402, an expired session's 410)."""
        allowed = [re.compile(rf"status of {s}\b") for s in allow_status]
        console = [c for c in self.console_errors if not any(a.search(c) for a in allowed)]
        return console + self.page_errors + self.csp_violations + [f"outside 127.0.0.1: {u}" for u in self.outside]


def _guard(watch: Watch) -> Any:
    def handle(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            watch.outside.append(url)
            route.abort("blockedbyclient")

    return handle


def new_context(browser: Browser, watch: Watch, **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    context.route("**/*", _guard(watch))
    context.expose_function("__cspViolation", lambda text: watch.csp_violations.append(text))
    context.add_init_script(_CSP_LISTENER)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.console_errors.append(f"{message.text} ({message.location.get('url')})")

    context.on("console", console)
    context.on("weberror", lambda error: watch.page_errors.append(str(error.error)))

    def response(answer: Any) -> None:
        if answer.request.resource_type == "document":
            watch.documents.append((answer.status, answer.url))

    context.on("response", response)
    return context


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def context(browser: Browser, watch: Watch) -> Iterator[BrowserContext]:
    context = new_context(browser, watch, viewport=DESKTOP)
    yield context
    context.close()
    assert not watch.outside, f"the browser tried to leave 127.0.0.1: {watch.outside}"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone(browser: Browser, watch: Watch) -> Iterator[Page]:
    """A 375-px-wide touch screen, as an iPhone's."""
    context = new_context(browser, watch, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()
    assert not watch.outside, f"the browser tried to leave 127.0.0.1: {watch.outside}"


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot of one step, under tests/artifacts/ (not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# -- the dashboard (tests/browser/test_dashboard.py and the dashboard's other page tests) -----------
AXE_CORE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"


def axe_serious(page: Page) -> list[str]:
    """axe-core's (the npm package's, tests/node) serious and critical violations on the page as it
    is now. Injected by page.evaluate, which the page's strict CSP does not govern."""
    if not AXE_CORE.exists():
        pytest.fail(f"{AXE_CORE} is missing: npm ci --prefix tests/node (make install does it)")
    page.evaluate(AXE_CORE.read_text())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}" for v in found]


def dashboard_sign_in(page: Page, base_url: str, key: str, *, path: str = "/dashboard") -> None:
    """Signs the page's browser in to the dashboard with a secret key, as a person does (the form)."""
    page.goto(base_url + path)
    page.get_by_label("Secret key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/dashboard/sign-in" not in url, timeout=10_000)  # the form was sent and answered with a page


def fits_screen(page: Page) -> None:
    """Nothing wider than the screen (a 375-px phone): the page never scrolls sideways."""
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 1, f"the page scrolls sideways by {wide}px at {page.url}"
