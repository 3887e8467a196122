"""A session's secret: what its page URL and its client_secret carry, and what the page must show
to pay it. Derived from the session id under a keyed hash (vault.keyed_hash), so it is never
stored: a copy of the tables cannot pay anyone's session, and a retrieve can still show the URL."""

from __future__ import annotations

import hmac
from typing import Any

from orgshare.vault.keyed_hash import CHECKOUT_SESSION, keyed_hash


def session_secret(session: str) -> str:
    return keyed_hash(CHECKOUT_SESSION, session)[:40]


def client_secret(session: str) -> str:
    return f"{session}_secret_{session_secret(session)}"


def page_url(base: str, session: str) -> str:
    return f"{base}/checkout/{session}?key={session_secret(session)}"


def is_valid(session: str, given: str | None) -> bool:
    """Whether `given` (the page URL's key, or the client_secret) belongs to this session."""
    if not given:
        return False
    secret = given.removeprefix(f"{session}_secret_")
    return hmac.compare_digest(secret.encode(), session_secret(session).encode())


def conceal(session: dict[str, Any]) -> dict[str, Any]:
    """A rendered session fit to be stored (an idempotent replay's answer): its URL and client
    secret without the secret, which `reveal` derives again."""
    url, client = session.get("url"), session.get("client_secret")
    return {**session, "url": url.partition("?key=")[0] if url else None, "client_secret": bool(client) or None}


def reveal(session: dict[str, Any]) -> dict[str, Any]:
    """What `conceal` kept, with the secret derived again."""
    url, client = session.get("url"), session.get("client_secret")
    return {
        **session,
        "url": f"{url}?key={session_secret(session['id'])}" if url else None,
        "client_secret": client_secret(session["id"]) if client else None,
    }
