"""The dashboard's cookies reach its pages wherever the site is rooted: on API Gateway's own
domain the pages live under the stage (/prod/dashboard/...), and a cookie scoped to /dashboard
would never be sent back, so no one could sign in."""

from __future__ import annotations

import json
from typing import Any

from localrun import template as tpl
from localrun.events import EVENTS
from localrun.gateway import Function


def _sign_in_page(aws: dict[str, str], headers: dict[str, str], stage_path: str) -> dict[str, Any]:
    del aws  # the tables and keys the function reads
    res = tpl.resources(tpl.load(), "AWS::Serverless::Function")["DashboardFunction"]
    event = json.loads((EVENTS / "dashboard_pages.json").read_text())
    event["headers"] = headers
    event["requestContext"]["path"] = stage_path
    reply = Function("DashboardFunction", tpl.ROOT / res["Properties"]["CodeUri"], res["Properties"]["Handler"]).invoke(event)
    assert reply["statusCode"] == 200, reply
    return reply


def test_on_the_execute_api_domain_the_cookie_is_scoped_under_the_stage(aws: dict[str, str]) -> None:
    reply = _sign_in_page(aws, {"Host": "abc123.execute-api.eu-west-1.amazonaws.com"}, "/prod/dashboard/sign-in")
    (cookie,) = reply["multiValueHeaders"]["Set-Cookie"]
    assert "; Path=/prod/dashboard;" in cookie and cookie.endswith("; Secure")


def test_at_the_site_root_the_cookie_is_scoped_to_the_dashboard(aws: dict[str, str]) -> None:
    reply = _sign_in_page(aws, {"Host": "127.0.0.1:8787", "X-Forwarded-Proto": "http"}, "/dashboard/sign-in")
    (cookie,) = reply["multiValueHeaders"]["Set-Cookie"]
    assert "; Path=/dashboard;" in cookie and "Secure" not in cookie
