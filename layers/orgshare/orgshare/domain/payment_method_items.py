"""What a payment method's item holds: a new one built from its parameters (its card or account
number checked, fingerprinted and sealed; the CVC checked and dropped), and the merges of billing
details and metadata an update applies. No storage: payment_methods.py writes what this builds."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from orgshare.domain.principal import Principal
from orgshare.errors import InvalidRequest
from orgshare.ids import new_id
from orgshare.params.payment_methods import BillingDetails, CardInput, PaymentMethodCreate
from orgshare.vault import sealing
from orgshare.vault.banks import check_us_bank_account
from orgshare.vault.cards import AUTHENTICATION_TEST_CARDS, check_card, normalized, test_card_number


def seal_context(principal: Principal, pm: str) -> dict[str, str]:
    # Not the pool: enabling sharing moves an account's methods to another pool, and they must still open.
    return {"org": principal.org, "payment_method": pm}


def billing(current: dict[str, Any], given: BillingDetails | None) -> dict[str, Any]:
    """Billing details with the given subfields applied (an empty string unsets one)."""
    if given is None:
        return current
    merged = {**current, **given.model_dump(exclude_unset=True)}
    return {k: v for k, v in merged.items() if v is not None}


def metadata(current: dict[str, Any], given: dict[str, str | None] | None, was_given: bool) -> dict[str, Any]:
    if not was_given:
        return current
    if given is None:
        return {}
    merged = {**current, **given}
    return {k: v for k, v in merged.items() if v is not None}


def _card_details(principal: Principal, card: CardInput) -> tuple[str, dict[str, Any]]:
    """The card number and the card object kept in clear (brand, last4, expiry, funding,
    country, fingerprint). The CVC is checked and dropped here: it is never stored."""
    if card.token is not None:
        number = test_card_number(card.token, principal.livemode, "card[token]")
        exp_month, exp_year, cvc = card.exp_month or 12, card.exp_year or datetime.now(UTC).year + 3, None
    else:
        for field in ("number", "exp_month", "exp_year"):
            if getattr(card, field) is None:
                raise InvalidRequest(f"Missing required param: card[{field}].", code="parameter_missing", param=f"card[{field}]")
        number, exp_month, exp_year, cvc = normalized(card.number or ""), card.exp_month or 0, card.exp_year or 0, card.cvc
    facts = check_card(number, exp_month, exp_year, cvc)
    return number, {
        "brand": facts.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass" if cvc else None},
        "country": facts.country,
        "display_brand": facts.brand,
        "exp_month": facts.exp_month,
        "exp_year": facts.exp_year,
        "fingerprint": sealing.fingerprint(principal.org, "card", number),
        "funding": facts.funding,
        "generated_from": None,
        "last4": facts.last4,
        "networks": {"available": [facts.brand], "preferred": None},
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def new_method(principal: Principal, params: PaymentMethodCreate) -> tuple[dict[str, Any], str]:
    """A new method's item, its secret sealed in it, and the secret (a card number or account number)."""
    for other in ("card", "us_bank_account"):
        if other != params.type and getattr(params, other) is not None:
            raise InvalidRequest(
                f"{other} cannot be given for a payment method of type {params.type}.", code="parameter_invalid", param=other
            )
    pm = new_id("pm")
    item: dict[str, Any] = {
        "id": pm,
        "type": params.type,
        "owner": principal.account,
        "created": int(time.time()),
        "version": 1,
        "billing_details": billing({}, params.billing_details),
        "metadata": metadata({}, params.metadata, "metadata" in params.given()),
        "allow_redisplay": params.allow_redisplay or "unspecified",
    }
    if params.type == "card":
        if params.card is None:
            raise InvalidRequest("Missing required param: card.", code="parameter_missing", param="card")
        secret, item["card"] = _card_details(principal, params.card)
        if not principal.livemode and secret in AUTHENTICATION_TEST_CARDS:
            item["requires_authentication"] = True  # a setup stops at the checkout page's test authentication
    else:
        bank = params.us_bank_account
        if bank is None:
            raise InvalidRequest("Missing required param: us_bank_account.", code="parameter_missing", param="us_bank_account")
        if not item["billing_details"].get("name"):
            raise InvalidRequest("Missing required param: billing_details[name].", code="parameter_missing", param="billing_details[name]")
        bank_name = check_us_bank_account(bank.routing_number, bank.account_number)
        secret = bank.account_number
        item["us_bank_account"] = {
            "account_holder_type": bank.account_holder_type,
            "account_type": bank.account_type,
            "bank_name": bank_name,
            "financial_connections_account": None,
            "fingerprint": sealing.fingerprint(principal.org, "us_bank_account", f"{bank.routing_number}:{bank.account_number}"),
            "last4": bank.account_number[-4:],
            "networks": {"preferred": "ach", "supported": ["ach"]},
            "routing_number": bank.routing_number,
            "status_details": None,
        }
    item["vault"] = sealing.seal(secret, seal_context(principal, pm)).as_item()
    return item, secret
