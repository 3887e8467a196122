"""ISO 4217 currencies the API accepts, and which have no minor unit."""

from __future__ import annotations

from orgshare.errors import InvalidRequest

ZERO_DECIMAL = frozenset(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"])
CURRENCIES = ZERO_DECIMAL | frozenset(
    [
        "aed",
        "ars",
        "aud",
        "bdt",
        "bgn",
        "brl",
        "cad",
        "chf",
        "cny",
        "cop",
        "czk",
        "dkk",
        "egp",
        "eur",
        "gbp",
        "hkd",
        "huf",
        "idr",
        "ils",
        "inr",
        "isk",
        "kes",
        "mad",
        "mxn",
        "myr",
        "ngn",
        "nok",
        "nzd",
        "pen",
        "php",
        "pkr",
        "pln",
        "ron",
        "rsd",
        "sar",
        "sek",
        "sgd",
        "thb",
        "try",
        "twd",
        "uah",
        "usd",
        "uyu",
        "zar",
    ]
)
MAX_AMOUNT = 99_999_999


def invalid_currency(value: object, param: str = "currency") -> InvalidRequest:
    """Any currency we cannot take (unknown, the wrong length, not a string) is told the same way."""
    shown = value[:12] if isinstance(value, str) else "(not a string)"
    return InvalidRequest(
        f"Invalid currency: {shown}. orgshare currently supports these currencies: {', '.join(sorted(CURRENCIES))}.",
        code="currency_invalid", param=param,
    )  # fmt: skip


def check_amount(amount: int, currency: str, param: str = "amount") -> str:
    """The lower-case currency, if it is known and the amount is positive and not too large."""
    code = currency.lower()
    if code not in CURRENCIES:
        raise invalid_currency(currency)
    if amount <= 0:
        raise InvalidRequest("Amount must be a positive integer in the currency's smallest unit.", code="amount_too_small", param=param)
    if amount > MAX_AMOUNT:
        raise InvalidRequest(f"Amount must be no more than {MAX_AMOUNT}.", code="amount_too_large", param=param)
    return code
