"""Masking of card numbers, security codes and keys in logs, whatever logs them.

Nothing in orgshare logs request bodies; this is the second line of defence: any digit run that
is shaped like a card number (13 to 19 digits from a card network's range 2-6, optionally spaced or
dashed, passing Luhn) becomes its last four digits; any field named like a CVC, a card or account
number or a credential is replaced outright, in plain, JSON or URL-encoded (`card%5Bcvc%5D=`) form;
API keys (`sk_`, `rk_`, `pk_`) keep only their last four characters, webhook secrets none.
The filter masks a record's own values; the formatter masks the whole line, exception text included.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from orgshare.vault.cards import luhn_ok

_PAN = re.compile(r"(?<!\d)[2-6](?:[ -]?\d){12,18}(?!\d)")
_OPEN, _CLOSE = r"(?:\[|%5B)", r"(?:\]|%5D)"
_FIELD_NAMES = rf"cvc|cvv|cvc2|card{_OPEN}number{_CLOSE}|account_number|api_key|secret_key|password"
# Between a field's name and its value: quotes, brackets, '=' or ':' and spaces, plain or %-encoded.
_SEPARATOR = r"(?:%[0-9A-Fa-f]{2}|[^\w%]){1,6}"
_SECRET_FIELDS = re.compile(rf"(?i)({_FIELD_NAMES})({_SEPARATOR})([\w.-]+)")
_KEYS = re.compile(r"\b((?:sk|rk|pk)_(?:test|live)_)[A-Za-z0-9]{8,}([A-Za-z0-9]{4})\b")
_WEBHOOK_SECRETS = re.compile(r"\bwhsec_[A-Za-z0-9]+")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


def _mask_pan(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"****{digits[-4:]}" if luhn_ok(digits) else match.group(0)


def mask(text: str) -> str:
    text = _PAN.sub(_mask_pan, text)
    text = _KEYS.sub(r"\1****\2", _WEBHOOK_SECRETS.sub("whsec_****", text))
    return _SECRET_FIELDS.sub(r"\1\2****", text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: "****" if _SECRET_FIELDS.fullmatch(f"{k}=x") else _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


class MaskingFormatter(LambdaPowertoolsFormatter):
    """powertools' JSON lines, masked as a whole: what a filter cannot reach (a formatted
    exception's text and traceback) is masked here."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class CardDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if record.args:
            record.args = tuple(_masked(a) for a in record.args) if isinstance(record.args, tuple) else _masked(record.args)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD:
                setattr(record, name, _masked(value))
        return True
