"""Templates to HTML responses, with the headers every page carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Page:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Autoescape everything: a merchant's product names and a customer's input end up in pages.
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True), auto_reload=False)


def origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def security_headers(*, form_targets: tuple[str | None, ...] = (), framed_by: str | None = None) -> dict[str, str]:
    """No script, style or connection but orgshare's own; forms post only here (and, Chrome checks
    this on redirects too, to where the session sends the customer next); framed only by the
    embedding merchant's origin, or not at all."""
    forms = " ".join(["'self'", *sorted({o for o in form_targets if o})])
    ancestors = framed_by or "'none'"
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"form-action {forms}; frame-ancestors {ancestors}; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",  # the page URL carries the session's secret: never send it on
        "X-Content-Type-Options": "nosniff",
    }


def page(template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Page:
    body = _environment().get_template(template).render(**context)
    return Page(status, body, {**security_headers(), **(headers or {})})


def static_file(name: str) -> Page | None:
    """One of the package's own static files (no path can leave the folder)."""
    path = (STATIC / name).resolve()
    if path.parent != STATIC or path.suffix not in STATIC_TYPES or not path.is_file():
        return None
    headers = {"Content-Type": STATIC_TYPES[path.suffix], "Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
    return Page(200, path.read_text(), headers)
