"""Card numbers: Luhn, length and brand checks, expiry, and the few facts a BIN tells."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from orgshare.errors import CardError, InvalidRequest

# (brand, prefixes as (low, high) ranges over the first digits, valid lengths)
_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
    ("amex", ((34, 34), (37, 37)), (15,)),
    ("diners", ((300, 305), (36, 36), (38, 39)), (14, 15, 16, 17, 18, 19)),
    ("discover", ((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),
    ("jcb", ((3528, 3589),), (16, 17, 18, 19)),
    ("mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("unionpay", ((62, 62),), (16, 17, 18, 19)),
    ("visa", ((4, 4),), (13, 16, 19)),
)

# What issuers' BIN tables say of Stripe's test cards; anything else is a credit card of unknown country.
_BIN_FACTS = {
    "400005": ("debit", "US"),
    "520082": ("debit", "US"),
    "555555": ("credit", "US"),
    "424242": ("credit", "US"),
    "400000": ("credit", "US"),
    "378282": ("credit", "US"),
}

TEST_CARDS = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "chargeDeclined": "4000000000000002",
    "visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
    "chargeCustomerFail": "4000000000000341",
    # As Stripe's: 3155 needs authentication unless set up first, 3184 on every payment.
    "authenticationRequiredOnSetup": "4000002500003155",
    "authenticationRequired": "4000002760003184",
}
# Stripe's test cards that ask the customer to authenticate (3-D Secure), in test mode only.
AUTHENTICATION_TEST_CARDS = frozenset({"4000002500003155", "4000002760003184"})
# pm_card_visa and tok_visa stand for the same test card.
TEST_TOKENS = {f"{prefix}_{name}": number for name, number in TEST_CARDS.items() for prefix in ("pm_card", "tok")}


@dataclass(frozen=True)
class CardFacts:
    """What may be stored in clear about a card."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str
    country: str | None


def luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str | None:
    for brand, ranges, lengths in _BRANDS:
        for low, high in ranges:
            width = len(str(low))
            if low <= int(number[:width]) <= high and len(number) in lengths:
                return brand
    return None


def check_expiry(exp_month: int, exp_year: int, now: datetime | None = None) -> tuple[int, int]:
    """The month and four-digit year of an expiry that is not past, or the card error Stripe gives."""
    if not 1 <= exp_month <= 12:
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month", param="card[exp_month]")
    today = now or datetime.now(UTC)
    year = exp_year + 2000 if exp_year < 100 else exp_year
    if year < today.year or year > today.year + 50:
        raise CardError("Your card's expiration year is invalid.", code="invalid_expiry_year", param="card[exp_year]")
    if (year, exp_month) < (today.year, today.month):
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month", param="card[exp_month]")
    return exp_month, year


def check_card(number: str, exp_month: int, exp_year: int, cvc: str | None, now: datetime | None = None) -> CardFacts:
    """Validates a card as Stripe does at save time and returns the facts kept in clear."""
    digits = re.sub(r"[ -]", "", number)
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        raise CardError("Your card number is incorrect.", code="incorrect_number", param="card[number]")
    brand = brand_of(digits)
    if brand is None:
        raise CardError("Your card number is incorrect.", code="incorrect_number", param="card[number]")
    exp_month, year = check_expiry(exp_month, exp_year, now)
    if cvc is not None and not (cvc.isdigit() and len(cvc) == (4 if brand == "amex" else 3)):
        raise CardError("Your card's security code is invalid.", code="invalid_cvc", param="card[cvc]")
    funding, country = _BIN_FACTS.get(digits[:6], ("credit", None))
    return CardFacts(brand, digits[-4:], exp_month, year, funding, country)


def normalized(number: str) -> str:
    return re.sub(r"[ -]", "", number)


def test_card_number(token: str, livemode: bool, param: str) -> str:
    """The card a test token (pm_card_visa, tok_visa, ...) stands for; test mode only."""
    number = TEST_TOKENS.get(token)
    if number is None or livemode:
        raise InvalidRequest(f"No such PaymentMethod: '{token[:64]}'", code="resource_missing", param=param)
    return number
