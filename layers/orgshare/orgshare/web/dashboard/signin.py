"""Signing in (a secret key for a session cookie) and out."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orgshare.errors import ApiError
from orgshare.web.dashboard import csrf, guard, sessions
from orgshare.web.dashboard.layout import NOTICES, reply
from orgshare.web.render import page

router = Router()  # type: ignore[no-untyped-call]  # powertools leaves its __init__ unannotated
SIGN_IN_SECONDS = 900  # the sign-in form's own token lives this long


def _safe_next(value: str | None) -> str | None:
    """Only a dashboard path of this site (never another site: no open redirect)."""
    if value and value.startswith("/dashboard") and not value.startswith("//") and "\\" not in value and "\n" not in value:
        return value
    return None


def _form_page(status: int, *, error: str | None = None, next_path: str | None = None, notice: str | None = None) -> Response[str]:
    event = guard.event_of(router)
    nonce = csrf.new_sign_in_nonce()
    result = page("dashboard/sign_in.html", status, {"Set-Cookie": guard.set_cookie(event, csrf.SIGN_IN_COOKIE, nonce, SIGN_IN_SECONDS)},
                  root=guard.root(event), title="Sign in", csrf=csrf.sign_in_token(nonce), error=error,
                  next_path=next_path, notice=notice)  # fmt: skip
    return reply(result)


@router.get("/dashboard/sign-in")
def show() -> Response[str]:
    query = guard.event_of(router).query_string_parameters or {}
    return _form_page(200, next_path=_safe_next(query.get("next")), notice=NOTICES.get(query.get("notice") or ""))


@router.post("/dashboard/sign-in")
def submit() -> Response[str]:
    event = guard.event_of(router)
    guard.check_origin(event)
    form = guard.form(event)
    nonce = guard.cookie(event, csrf.SIGN_IN_COOKIE)
    if not nonce or not csrf.matches(form, csrf.sign_in_token(nonce)):
        raise guard.Refused("The sign-in form has expired or did not come from this dashboard. Reload it and try again.")
    next_path = _safe_next(form.get("next"))
    try:
        token, _ = sessions.sign_in(form.get("key", ""))
    except ApiError:
        # One message for every refusal: which keys exist is not for the sign-in form to say.
        return _form_page(401, error="That key did not work. Use a secret key (sk_... or rk_...) that has not expired or been revoked.",
                          next_path=next_path)  # fmt: skip
    previous = sessions.load(guard.cookie(event, guard.COOKIE))
    if previous is not None:
        sessions.sign_out(previous)  # signing in again ends the session this browser had: no copy of its cookie lives on
    target = guard.root(event) + (next_path or "/dashboard")
    headers = {"Location": target, "Cache-Control": "no-store",
               "Set-Cookie": guard.set_cookie(event, guard.COOKIE, token, sessions.ABSOLUTE_SECONDS)}  # fmt: skip
    return Response(status_code=303, body="", headers=headers)


@router.post("/dashboard/sign-out")
def sign_out() -> Response[str]:
    event = guard.event_of(router)
    guard.check_origin(event)
    session = sessions.load(guard.cookie(event, guard.COOKIE))
    form = guard.form(event)
    if session is not None:
        if not csrf.matches(form, session.csrf):
            raise guard.Refused("This form has expired or did not come from this dashboard, so nothing was done.")
        sessions.sign_out(session)
    headers = {"Location": guard.root(event) + "/dashboard/sign-in?notice=signed_out", "Cache-Control": "no-store",
               "Set-Cookie": guard.set_cookie(event, guard.COOKIE, "", 0)}  # fmt: skip
    return Response(status_code=303, body="", headers=headers)
