"""Decode Stripe-style requests: form bodies with bracket nesting, JSON bodies, query strings."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_to_bytes

from qs_codec import DecodeOptions, Duplicates, decode

from orgshare.errors import InvalidRequest, PayloadTooLarge

_MAX_DEPTH = 6  # Stripe nests at most a few levels; a deeper body is malformed, not something to recurse into
_NOT_UTF8 = "The request parameters must be valid UTF-8."
_BODY = "request_body_invalid"  # the body as a whole could not be read (a parameter's fault has that parameter's code)


def _strict_utf8(string: str | None, charset: Any = None, kind: Any = None) -> str | None:
    """A form token percent-decoded as UTF-8, refusing what is not (the default decoder would
    store U+FFFD in its place, and the client would never learn its data was changed)."""
    del charset, kind
    if string is None:
        return None
    try:
        return unquote_to_bytes(string.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest(_NOT_UTF8, code="parameter_invalid") from None


_OPTIONS = DecodeOptions(
    depth=_MAX_DEPTH, strict_depth=True, raise_on_limit_exceeded=True, parameter_limit=1000, list_limit=100,
    duplicates=Duplicates.LAST, decoder=_strict_utf8,
)  # fmt: skip


def _check_json(value: Any, depth: int = 0) -> None:
    """JSON bodies obey the same bounds as forms: at most _MAX_DEPTH levels, and text that is
    valid Unicode (JSON escapes can spell lone surrogates, which no store can keep)."""
    if depth > _MAX_DEPTH:
        raise InvalidRequest(f"The request body nests deeper than {_MAX_DEPTH} levels.", code=_BODY)
    if isinstance(value, dict):
        for k, v in value.items():
            _check_json(k, depth)
            _check_json(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_json(v, depth + 1)
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRequest(_NOT_UTF8, code="parameter_invalid") from None


def decode_query(query: str) -> dict[str, Any]:
    return _decode_form(query)


def _decode_form(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        decoded = decode(text, _OPTIONS)
    except (ValueError, IndexError) as exc:
        raise InvalidRequest(f"Invalid request parameters: {exc}", code="parameter_invalid") from exc
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
            raise InvalidRequest("The request body could not be decoded.", code=_BODY) from exc
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The request body is larger than the {max_bytes} bytes allowed.", code="request_too_large")
    try:
        text = data.decode()
    except UnicodeDecodeError as exc:
        raise InvalidRequest("The request body must be UTF-8.", code=_BODY) from exc
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            raise InvalidRequest("Invalid JSON received in the request body.", code=_BODY) from None
        if not isinstance(body, dict):
            raise InvalidRequest("The JSON request body must be an object.", code=_BODY)
        _check_json(body)
        return body
    return _decode_form(text)
