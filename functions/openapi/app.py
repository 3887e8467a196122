"""GET /v1/openapi.json: the API's OpenAPI description, no key needed.

The committed document (make openapi writes it here and to docs/), read once per container; the
handler imports nothing of orgshare, so its cold start is the file read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_DOCUMENT = (Path(__file__).parent / "openapi.json").read_text()
_HEADERS = {
    "Content-Type": "application/json",
    # Changes only with a deployment: caches may keep it an hour.
    "Cache-Control": "public, max-age=3600",
    # A description of a public API: documentation tools in a browser may fetch it.
    "Access-Control-Allow-Origin": "*",
}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    del context
    request_id = "req_" + str((event.get("requestContext") or {}).get("requestId", "")).replace("-", "")
    return {"statusCode": 200, "headers": {**_HEADERS, "Request-Id": request_id}, "body": _DOCUMENT, "isBase64Encoded": False}
