"""Log masking: whatever reaches a log line, no card number, security code, key or credential does."""

from __future__ import annotations

import logging

import pytest

from orgshare.masking import mask
from orgshare.observability import logger

KEY = "sk_test_" + "Ab3" * 16


@pytest.mark.parametrize(
    "text",
    [
        "card[number]=4242424242424242&card[cvc]=314",
        "card%5Bnumber%5D=4242424242424242&card%5Bcvc%5D=314",  # URL-encoded, as a form body or query would be
        '{"card": {"cvc": "314", "number": "4242 4242 4242 4242"}}',
        "%7B%22cvc%22%3A%22314%22%7D",
        "us_bank_account%5Baccount_number%5D=000123456789",
        f"Authorization: Bearer {KEY}",
        "credentials[api_key]=sim_secret_0003 and secret_key=sk_live_" + "Zz9" * 16,
        "signing with whsec_4f9QpLmX0aZbYcXd",
    ],
)
def test_secrets_are_masked_in_any_encoding(text: str) -> None:
    masked = mask(text)
    for secret in ("4242424242424242", "4242 4242 4242 4242", "314", "000123456789", KEY, "Zz9Zz9Zz9", "sim_secret_0003", "4f9QpLmX0aZb"):
        assert secret not in masked, masked
    assert "****" in masked


def test_what_is_not_a_secret_is_left_alone() -> None:
    line = '{"created_ms": 1796150000000, "cvc_check": "pass", "last4": "4242", "status": 402}'
    assert mask(line) == line  # a millisecond timestamp is no card number; cvc_check is a result, not a code


def test_exception_text_is_masked_in_the_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        try:
            raise ValueError(f"bad card 4000056655665556 cvc=271 for {KEY}")
        except ValueError:
            logger.exception("failed", extra={"url": "/v1/x?card%5Bcvc%5D=123"})
    line = logger.registered_formatter.format(caplog.records[-1])
    assert "ValueError" in line and "****5556" in line
    for secret in ("4000056655665556", "271", KEY, "=123"):
        assert secret not in line, line
