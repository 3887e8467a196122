"""A local API Gateway (REST, proxy integration) built from template.yaml: its routes, its
REQUEST authorizer with its cache, and its gateway responses, around the real handlers."""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from localrun import template as tpl
from localrun.containers import MAX_CONTAINERS, Container, Pool

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
REGION, ACCOUNT_ID, API_ID = "us-east-1", "123456789012", "local"


@dataclass
class LambdaContext:
    """What handlers read of the Lambda context."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    deadline: float = field(default_factory=lambda: time.monotonic() + 10)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class Function:
    """One function of the template: each concurrent invocation runs in a container of its own
    (a copy of the handler module), as in Lambda; see localrun.containers."""

    def __init__(self, logical_id: str, code_uri: Path, handler: str, max_containers: int = MAX_CONTAINERS, timeout: float = 10.0) -> None:
        module_name, _, attr = handler.rpartition(".")
        self.name = logical_id
        self.timeout = timeout  # the template's Timeout: what get_remaining_time_in_millis counts down from
        self.containers = Pool(lambda: Container(logical_id, code_uri, module_name, attr), max_containers)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.containers.container() as container:
            return container.handler(event, LambdaContext(self.name, deadline=time.monotonic() + self.timeout))


@dataclass
class Route:
    method: str
    resource: str
    pattern: re.Pattern[str]
    function: Function
    authorized: bool = True  # False for a route with `Auth: {Authorizer: NONE}` (the checkout page)


def _route_pattern(resource: str) -> re.Pattern[str]:
    greedy = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(resource))  # `{proxy+}`: the rest of the path
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", greedy) + "$")


class InFlight:
    """The API requests being served: the event path's pollers let them finish before handing a
    batch on (one process, one interpreter lock: a batch run beside a request slows it), waiting
    at most a bound, so under a steady load events are late by that much, never starved."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def __enter__(self) -> None:
        with self._changed:
            self._count += 1

    def __exit__(self, *_: object) -> None:
        with self._changed:
            self._count -= 1
            if not self._count:
                self._changed.notify_all()

    def yield_to_requests(self, bound: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._count, bound)


class Gateway:
    def __init__(self, template: dict[str, Any]) -> None:
        functions = tpl.resources(template, "AWS::Serverless::Function")
        default_timeout = float(template.get("Globals", {}).get("Function", {}).get("Timeout", 3))
        loaded = {
            name: Function(
                name, tpl.ROOT / res["Properties"]["CodeUri"], res["Properties"]["Handler"],
                timeout=float(res["Properties"].get("Timeout", default_timeout)),
            )
            for name, res in functions.items()
        }  # fmt: skip
        self.functions = loaded
        self.in_flight = InFlight()
        self.routes = [
            Route(
                ev["Properties"]["Method"].upper(),
                ev["Properties"]["Path"],
                _route_pattern(ev["Properties"]["Path"]),
                loaded[name],
                (ev["Properties"].get("Auth") or {}).get("Authorizer") != "NONE",
            )
            for name, res in functions.items()
            for ev in res["Properties"].get("Events", {}).values()
            if ev["Type"] == "Api"
        ]
        api = next(iter(tpl.resources(template, "AWS::Serverless::Api").values()))["Properties"]
        auth = api["Auth"]["Authorizers"][api["Auth"]["DefaultAuthorizer"]]
        self.authorizer = loaded[auth["FunctionArn"]["Fn::GetAtt"][0]]
        self.identity_headers = auth["Identity"]["Headers"]
        self.cache_seconds = int(tpl.resolve(auth["Identity"].get("ReauthorizeEvery", 300), template, {}))
        self.stage = str(tpl.resolve(api["StageName"], template, {}))
        self.gateway_responses = api.get("GatewayResponses", {})
        self._auth_cache: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}
        # The account the authorizer named for the request this thread is handling: for its log line.
        self._caller = threading.local()

    def caller_account(self) -> str:
        """Who made this thread's last request (the authorizer's account, else organization), or "-"."""
        return str(getattr(self._caller, "account", None) or "-")

    # -- API Gateway behaviours -------------------------------------------------------------
    def _gateway_response(self, kind: str, context: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        spec = self.gateway_responses.get(kind, {})
        body = spec.get("ResponseTemplates", {}).get("application/json", json.dumps({"message": kind}))
        rendered = re.sub(r"\$context\.([\w.]+)", lambda m: context.get(m.group(1), ""), body)
        return int(spec.get("StatusCode", 500)), {"Content-Type": "application/json"}, rendered.encode()

    def _authorize(self, method: str, headers: dict[str, str], resource: str, path: str) -> dict[str, Any] | None:
        lower = {k.lower(): v for k, v in headers.items()}
        identity = tuple(lower.get(h.lower(), "") for h in self.identity_headers)
        if not all(identity):
            return None
        hit = self._auth_cache.get(identity)
        if hit and time.monotonic() - hit[0] < self.cache_seconds:
            return hit[1]
        answer = self.authorizer.invoke(authorizer_event(method, resource, path, headers, self.stage))
        allowed = answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        result = {"allowed": allowed, "principalId": answer.get("principalId"), "context": answer.get("context") or {}}
        if self.cache_seconds:
            self._auth_cache[identity] = (time.monotonic(), result)
        return result

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(raw_path)
        path = url.path.rstrip("/") or "/"
        request_id = str(uuid.uuid4())
        context = {"httpMethod": method, "path": path, "requestId": request_id}
        self._caller.account = None
        match = next(((r, m) for r in self.routes if r.method == method and (m := r.pattern.match(path))), None)
        if match is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", context)
        route, found = match
        auth = self._authorize(method, headers, route.resource, path) if route.authorized else _ANONYMOUS
        if auth is None:
            return self._gateway_response("UNAUTHORIZED", context)
        self._caller.account = (auth["context"].get("account") or auth["context"].get("org")) if auth["allowed"] else None
        if not auth["allowed"]:
            return self._gateway_response("ACCESS_DENIED", {**context, **{f"authorizer.{k}": str(v) for k, v in auth["context"].items()}})
        multi_query: dict[str, list[str]] = {}
        for k, v in parse_qsl(url.query, keep_blank_values=True):
            multi_query.setdefault(k, []).append(v)
        event = proxy_event(
            method,
            route.resource,
            path,
            found.groupdict(),
            headers,
            multi_query,
            body,
            {"principalId": auth["principalId"], **auth["context"]},
            self.stage,
            request_id,
        )
        reply = route.function.invoke(event)
        out_headers = dict(reply.get("headers") or {})
        for k, values in (reply.get("multiValueHeaders") or {}).items():
            out_headers[k] = ", ".join(values)
        payload = reply.get("body") or ""
        data = base64.b64decode(payload) if reply.get("isBase64Encoded") else payload.encode()
        return int(reply["statusCode"]), out_headers, data


_ANONYMOUS: dict[str, Any] = {"allowed": True, "principalId": None, "context": {}}


def authorizer_event(method: str, resource: str, path: str, headers: dict[str, str], stage: str) -> dict[str, Any]:
    """The event API Gateway hands a REQUEST authorizer."""
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{stage}/{method}{path}"
    return {"type": "REQUEST", "methodArn": arn, "resource": resource, "path": path, "httpMethod": method, "headers": headers}


def proxy_event(
    method: str,
    resource: str,
    path: str,
    path_parameters: dict[str, str],
    headers: dict[str, str],
    query: dict[str, list[str]],
    body: bytes,
    authorizer: dict[str, Any],
    stage: str,
    request_id: str,
) -> dict[str, Any]:
    """The event API Gateway (REST, Lambda proxy integration) hands a function."""
    is_text = headers.get("Content-Type", "").startswith(("application/x-www-form-urlencoded", "application/json", "text/"))
    try:
        text = body.decode() if is_text else None
    except UnicodeDecodeError:
        text = None  # not valid text: handed on base64-encoded, as API Gateway does for binary
    headers = {**headers, "X-Forwarded-Proto": "http"}  # API Gateway says how the client came (https there)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,  # served at the root, as behind a custom domain (the execute-api domain adds the stage)
            "stage": stage,
            "requestId": request_id,
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": authorizer,
        },
        "body": (text if text is not None else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": bool(body) and text is None,
    }


class GatewayServer(ThreadingHTTPServer):
    # The listen backlog (the stdlib's default is 5): a burst of new connections waits to be
    # accepted instead of being dropped.
    request_queue_size = 128
    daemon_threads = True


_LOG_LOCK = threading.Lock()


def log_request(method: str, raw_path: str, status: int, started: float, account: str) -> None:
    """One line on stdout: method, path, status, ms, account. The path without its query string
    (the checkout page's `?key=` is its secret); never a header or a body."""
    ms = (time.monotonic() - started) * 1000
    line = f"{method} {urlsplit(raw_path).path} {status} {ms:.0f}ms {account}\n"
    with _LOG_LOCK:  # one write per line: concurrent requests' lines never interleave
        sys.stdout.write(line)
        sys.stdout.flush()


def serve(gateway: Gateway, port: int = 0, max_body: int = 10 * 1024 * 1024, log_requests: bool = False) -> GatewayServer:
    """An HTTP server on 127.0.0.1 in a background thread; port 0 picks a free one; `log_requests`:
    a line per request on stdout."""

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes; with Nagle on, the body waits for a delayed ACK (~40 ms).
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            account = "-"
            if length > max_body:  # API Gateway's own 10 MB limit
                status, headers, data = gateway._gateway_response("REQUEST_TOO_LARGE", {})
                self.rfile.read(length)
            else:
                body = self.rfile.read(length) if length else b""
                with gateway.in_flight:
                    status, headers, data = gateway.handle(self.command, self.path, dict(self.headers.items()), body)
                account = gateway.caller_account()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            if log_requests:
                log_request(self.command, self.path, status, started, account)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    server = GatewayServer(("127.0.0.1", port), RequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
