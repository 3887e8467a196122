"""The checkout page, served by orgshare itself (no API key: a session's own secret authenticates
it), and the page's static files."""

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from orgshare.api.request import public_base_url, request_id
from orgshare.domain.principal import RequestInfo
from orgshare.observability import logger, tracer
from orgshare.web import checkout_page
from orgshare.web.render import Page, page, static_file

app = APIGatewayRestResolver()
MAX_FORM_BYTES = 16_384  # a checkout form is a few hundred bytes


def _reply(result: Page) -> Response[str]:
    return Response(status_code=result.status, body=result.body, headers=result.headers)


def _root() -> str:
    return urlsplit(public_base_url(app.current_event)).path.rstrip("/")


def _form() -> dict[str, str] | None:
    body = app.current_event.decoded_body or ""
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        return dict(parse_qsl(body, keep_blank_values=True, strict_parsing=False, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        return None


def _bad_form() -> Response[str]:
    return _reply(
        page("message.html", 400, root=_root(), title="Something went wrong", text="The form could not be read. Go back and try again.")
    )


@app.get("/checkout/<session>")
def show(session: str) -> Response[str]:
    return _reply(checkout_page.show(session, app.current_event.get_query_string_value("key"), _root()))


@app.post("/checkout/<session>")
def submit(session: str) -> Response[str]:
    form = _form()
    if form is None:
        return _bad_form()
    return _reply(checkout_page.submit(session, form, RequestInfo(request_id(app.current_event)), _root()))


@app.post("/checkout/<session>/authenticate")
def authenticate(session: str) -> Response[str]:
    form = _form()
    if form is None:
        return _bad_form()
    return _reply(checkout_page.authenticate(session, form, RequestInfo(request_id(app.current_event)), _root()))


@app.get("/static/<name>")
def static(name: str) -> Response[str]:
    found = static_file(name)
    return _reply(found or page("message.html", 404, root=_root(), title="Not found", text="There is nothing here."))


def unexpected(exc: Exception) -> Response[str]:
    logger.exception("checkout page failed")
    return _reply(page("message.html", 500, root=_root(), title="Something went wrong", text="Please try again in a moment."))


app.exception_handler(Exception)(unexpected)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reply = app.resolve(event, context)
    # The access log: never the query string (it carries the session's secret) or a body (card numbers).
    logger.info("page", extra={"method": event.get("httpMethod"), "path": event.get("path"), "status": reply.get("statusCode")})
    return reply
