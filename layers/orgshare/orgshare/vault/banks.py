"""US bank accounts: routing number checksum, account number shape, the bank's name if known."""

from __future__ import annotations

from orgshare.errors import InvalidRequest

_TEST_BANKS = {"110000000": "STRIPE TEST BANK"}


def check_us_bank_account(routing_number: str, account_number: str) -> str | None:
    """Validates the numbers and returns the bank's name when known."""
    digits = [int(c) for c in routing_number] if routing_number.isdigit() and len(routing_number) == 9 else None
    if digits is None or (3 * sum(digits[0::3]) + 7 * sum(digits[1::3]) + sum(digits[2::3])) % 10:
        raise InvalidRequest(
            "Routing number must have 9 digits and a valid checksum.",
            code="routing_number_invalid",
            param="us_bank_account[routing_number]",
        )
    if not account_number.isdigit() or not 4 <= len(account_number) <= 17:
        raise InvalidRequest(
            "Account number must have 4 to 17 digits.", code="account_number_invalid", param="us_bank_account[account_number]"
        )
    return _TEST_BANKS.get(routing_number)
