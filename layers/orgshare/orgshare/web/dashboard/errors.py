"""What the dashboard answers when a request cannot be served: the sign-in page, a refusal (403,
nothing done), a domain error's message, or (logged) a failure."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from orgshare.errors import ApiError, PermissionDenied, ResourceMissing
from orgshare.observability import logger
from orgshare.storage.dynamo import ConditionFailed
from orgshare.web.dashboard import guard
from orgshare.web.dashboard.layout import reply
from orgshare.web.render import page


def install(app: APIGatewayRestResolver) -> None:
    def problem(status: int, title: str, text: str) -> Response[str]:
        return reply(page("dashboard/problem.html", status, root=guard.root(app.current_event), title=title, text=text))

    def sign_in(exc: guard.SignInRequired) -> Response[str]:
        target = guard.sign_in_link(guard.root(app.current_event), exc.next_path)
        return Response(status_code=303, body="", headers={"Location": target, "Cache-Control": "no-store"})

    def refused(exc: guard.Refused) -> Response[str]:
        return problem(exc.status, "Not allowed" if exc.status == 403 else "Something went wrong", exc.reason)

    def domain(exc: ApiError) -> Response[str]:
        if isinstance(exc, ResourceMissing | PermissionDenied):  # another tenant's looks like nothing at all
            return problem(404, "Not found", "There is nothing here, or this session cannot see it.")
        return problem(exc.status if 400 <= exc.status < 500 else 400, "That did not work", exc.message)

    def raced(_exc: ConditionFailed) -> Response[str]:
        return problem(409, "Changed meanwhile", "Someone changed this at the same moment. Reload the page and try again.")

    def missing(_exc: Exception) -> Response[str]:
        return problem(404, "Not found", "There is nothing here.")

    def unexpected(_exc: Exception) -> Response[str]:
        logger.exception("dashboard page failed")
        return problem(500, "Something went wrong", "Please try again in a moment.")

    # Call style, not decorators: powertools' decorators are untyped.
    app.exception_handler(guard.SignInRequired)(sign_in)
    app.exception_handler(guard.Refused)(refused)
    app.exception_handler(ApiError)(domain)
    app.exception_handler(ConditionFailed)(raced)
    app.not_found()(missing)
    app.exception_handler(Exception)(unexpected)
