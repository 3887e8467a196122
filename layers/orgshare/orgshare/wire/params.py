"""Decode Stripe-style requests: form bodies with bracket nesting, JSON bodies, query strings."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from qs_codec import DecodeOptions, Duplicates, decode

from orgshare.errors import InvalidRequest, PayloadTooLarge

# Stripe nests at most a few levels; a deeper body is malformed, not something to recurse into.
_OPTIONS = DecodeOptions(
    depth=6, strict_depth=True, raise_on_limit_exceeded=True, parameter_limit=1000, list_limit=100, duplicates=Duplicates.LAST
)


def decode_query(query: str) -> dict[str, Any]:
    return _decode_form(query)


def _decode_form(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        decoded = decode(text, _OPTIONS)
    except (ValueError, IndexError) as exc:
        raise InvalidRequest(f"Invalid request parameters: {exc}") from exc
    return dict(decoded)


def decode_body(raw: str | None, *, is_base64: bool, content_type: str, max_bytes: int) -> dict[str, Any]:
    """The request body as a parameter dict. Strings stay strings: models coerce them."""
    if not raw:
        return {}
    data = raw.encode()
    if is_base64:
        try:
            data = base64.b64decode(raw, validate=True)
        except binascii.Error as exc:
            raise InvalidRequest("The request body could not be decoded.") from exc
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The request body is larger than the {max_bytes} bytes allowed.")
    try:
        text = data.decode()
    except UnicodeDecodeError as exc:
        raise InvalidRequest("The request body must be UTF-8.") from exc
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise InvalidRequest("Invalid JSON received in the request body.") from exc
        if not isinstance(body, dict):
            raise InvalidRequest("The JSON request body must be an object.")
        return body
    return _decode_form(text)
