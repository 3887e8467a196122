"""A dashboard change sent twice happens once. Every form gets a one-time request token when it is
rendered (the `csrf_input()` macro writes it beside the CSRF token; the confirm page re-posts it),
and a page module runs its change through `once`, which keys the API's idempotency records
(domain/idempotency.py) by the acting account and that token: a browser re-sending the POST
(back + resubmit, a double click without script, a retry after a timeout) gets the first answer
again and nothing changes twice. A form rendered afresh carries a new token: a new change.

    made = replays.once(visit, who, form, lambda: webhooks.create(who, params))

The fingerprint is the path and the form's fields (less the CSRF token, the request token and the
confirmation flag), so the same token with other values is refused, as the API refuses a key
reused with other parameters. A form without a token (one rendered before this existed) runs
unguarded, as an API call without an Idempotency-Key does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from orgshare.domain import idempotency
from orgshare.domain.principal import Principal
from orgshare.errors import ApiError, IdempotencyFailed, IdempotencyInProgress
from orgshare.web.dashboard.csrf import FIELD as CSRF_FIELD
from orgshare.web.dashboard.guard import Visit

FIELD = "request_token"  # the hidden field's name
_KEY_PREFIX = "dashboard_"  # the dashboard's keys never meet an API client's Idempotency-Keys
_NOT_FINGERPRINTED = frozenset({CSRF_FIELD, FIELD, "confirmed"})


class Failed(ApiError):
    """The change's first answer was a failure stored with its changes (a declined card): the
    replay shows the same failure."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error") or {}
        super().__init__(str(error.get("message") or "That did not work."), code=error.get("code"), param=error.get("param"))
        self.status = status
        self.type = str(error.get("type") or self.type)


def mint() -> str:
    """A new form's request token (192 random bits: nobody else can guess one of a session's)."""
    return secrets.token_urlsafe(24)


def once(visit: Visit, who: Principal, form: dict[str, str], operation: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`operation()`'s result, run once per the form's request token for the acting account `who`:
    the stored result when the same form was sent before. ApiErrors as the operation raised them
    (nothing stored, the token stays free), `Failed` for a stored failure."""
    token = form.get(FIELD) or None
    params = {k: v for k, v in form.items() if k not in _NOT_FINGERPRINTED}
    request = {"method": "POST", "path": visit.path, "params": params}
    # Bound to the signed-in key too: another session acting for the same account never meets this record.
    key = f"{_KEY_PREFIX}{visit.principal.key_id}_{token}" if token else None
    try:
        answer, _ = idempotency.answer(who, key, request, operation, visit.lambda_context)
    except IdempotencyFailed:
        raise IdempotencyFailed(
            "This form was already sent with other values, so nothing was done. Reload the page to make a new change.",
            code="idempotency_key_reused",
        ) from None
    except IdempotencyInProgress:
        raise IdempotencyInProgress(
            "This change is already under way (the form was sent twice). Reload the page in a moment to see how it went.",
            code="idempotency_key_in_use",
        ) from None
    if answer["status"] >= 400:
        raise Failed(answer["status"], answer["body"])
    body: dict[str, Any] = answer["body"]
    return body
