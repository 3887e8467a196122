"""A log filter that masks card numbers and security codes, whatever logs them.

Nothing in orgshare logs request bodies; this is the second line of defence: any digit run that
is shaped like a card number (13 to 19 digits, optionally spaced or dashed, passing Luhn) becomes
its last four digits, and any field named like a CVC or a number is replaced outright.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from orgshare.vault.cards import luhn_ok

_PAN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SECRET_FIELDS = re.compile(r"(?i)(cvc|cvv|card\[number\]|account_number)(\W{0,4})(\w+)")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


def _mask_pan(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"****{digits[-4:]}" if luhn_ok(digits) else match.group(0)


def mask(text: str) -> str:
    return _SECRET_FIELDS.sub(r"\1\2****", _PAN.sub(_mask_pan, text))


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: "****" if _SECRET_FIELDS.fullmatch(f"{k}=x") else _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


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
