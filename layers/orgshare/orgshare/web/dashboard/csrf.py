"""Cross-site request forgery: every POST must come from the dashboard's own origin (Origin, or
Referer when a browser sends no Origin) and carry the session's synchronizer token in its form;
the sign-in form, before any session, carries a token tied to a short-lived cookie instead
(so another site cannot sign a browser in under its own key)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from orgshare.vault.keyed_hash import DASHBOARD_CSRF, keyed_hash
from orgshare.web.render import origin

FIELD = "csrf_token"  # the hidden field's name in every form
SIGN_IN_COOKIE = "orgshare_sign_in"


def same_origin(headers: Mapping[str, str], own: str | None) -> bool:
    """Whether the request says it comes from `own` (scheme://host[:port])."""
    if own is None:
        return False
    sent = headers.get("Origin") or headers.get("origin")
    if sent is None:
        sent = origin(headers.get("Referer") or headers.get("referer"))
    return sent is not None and hmac.compare_digest(sent.rstrip("/"), own)


def matches(form: Mapping[str, str], expected: str) -> bool:
    given = form.get(FIELD, "")
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def new_sign_in_nonce() -> str:
    return secrets.token_urlsafe(24)


def sign_in_token(nonce: str) -> str:
    return keyed_hash(DASHBOARD_CSRF, "sign-in:" + nonce)
