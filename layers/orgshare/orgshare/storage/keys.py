"""Key formats of every table, in one place.

Pool data is keyed by organization, pool and mode: a request can only ever name keys inside the
pool its API key resolved to, so isolation needs no filter after the read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PoolScope:
    org: str
    pool: str
    mode: str  # "test" | "live"

    @property
    def prefix(self) -> str:
        return f"ORG#{self.org}#POOL#{self.pool}#{self.mode}"


# Directory table
def org_pk(org: str) -> str:
    return f"ORG#{org}"


ORG_SK = "ORG"


def account_sk(account: str) -> str:
    return f"ACCT#{account}"


def key_listing_sk(account: str, key_id: str) -> str:
    return f"APIKEY#{account}#{key_id}"


def pool_member_sk(pool: str, account: str) -> str:
    # Lets the event publisher list a pool's accounts with one Query (no scan, no filter).
    return f"POOL#{pool}#{account}"


def webhook_sk(mode: str, owner: str, endpoint: str) -> str:
    """An endpoint of an account (owner = acct_...) or of the organization (owner = ORG)."""
    return f"WE#{mode}#{owner}#{endpoint}"


ORG_OWNER = "ORG"


def keyring_sk(mode: str, name: str) -> str:
    """An organization's data key for one kind of small secret (its webhook signing secrets)."""
    return f"KEYRING#{mode}#{name}"


def enablement_sk(mode: str, enablement: str) -> str:
    """A sharing enablement of the organization, by mode (test and live are separate worlds)."""
    return f"SHE#{mode}#{enablement}"


def enablement_progress_pk(org: str, mode: str, enablement: str) -> str:
    """An enablement's counters, in the data table: the moves that count them write nothing else
    outside it (so the functions that move on touch need no write access to the directory)."""
    return f"ORG#{org}#SHE#{mode}#{enablement}"


ENABLEMENT_PROGRESS_SK = "PROGRESS"


def duplicate_sk(mode: str, enablement: str, email_key: str) -> str:
    """Customers of the pool sharing one email, as an enablement found them (never merged)."""
    return f"SHEDUP#{mode}#{enablement}#{email_key}"


def sandbox_sk(sandbox_org: str) -> str:
    """A test-mode sandbox of a live organization (its structure copied, none of its data)."""
    return f"SANDBOX#{sandbox_org}"


def key_lookup_pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


KEY_LOOKUP_SK = "APIKEY"


# Data table: a customer is one shared item plus one overlay item per account that has
# per-account values, all under one partition key so one BatchGetItem reads a customer.
def customer_pk(scope: PoolScope, customer: str) -> str:
    return f"{scope.prefix}#CUS#{customer}"


CUSTOMER_SK = "CUSTOMER"


def overlay_sk(account: str) -> str:
    return f"ACCT#{account}"


def customers_by_month_pk(scope: PoolScope, month: str) -> str:
    # Month buckets spread a big pool's list index over many partition keys.
    return f"{scope.prefix}#CUS#M#{month}"


def customers_by_email_pk(scope: PoolScope, email: str) -> str:
    return f"{scope.prefix}#CUS#E#{email}"


# Events table (the outbox)
def change_pk(change_id: str) -> str:
    return f"CHANGE#{change_id}"


CHANGE_SK = "CHANGE"


def events_pk(org: str, mode: str, owner: str, month: str) -> str:
    """An account's events (owner = acct_...), or the organization's one-per-change copies
    (owner = ORG), by month: listing 30 days reads at most two partitions."""
    return f"EVT#{org}#{mode}#{owner}#{month}"


def attempts_pk(org: str, mode: str, event: str) -> str:
    return f"ATT#{org}#{mode}#{event}"


# Payment methods. A card is addressed by pool (every account of the pool may name it); any other
# type by pool and the account that saved it (no other account can even name its key). An attached
# method also has a copy (without the vault) in its customer's partition, so listing a customer's
# methods is a range read: cards under PM#, each account's own methods under XPM#<account>#.
def card_pk(scope: PoolScope, pm: str) -> str:
    return f"{scope.prefix}#PM#{pm}"


def private_pm_pk(scope: PoolScope, account: str, pm: str) -> str:
    return f"{scope.prefix}#ACCT#{account}#PM#{pm}"


PM_SK = "PM"


def card_link_sk(pm: str) -> str:
    return f"PM#{pm}"


def private_link_sk(account: str, pm: str) -> str:
    return f"XPM#{account}#{pm}"


CARD_LINKS_LOW = CUSTOMER_SK  # "CUSTOMER" < "PM#...": one range holds the customer and its cards
CARD_LINKS_HIGH = "PM#\uffff"


# Business profiles and their connectors, in the directory under the organization.
def profile_sk(account: str, profile: str) -> str:
    return f"PRO#{account}#{profile}"


def connector_sk(account: str, mode: str, profile: str, connector: str) -> str:
    # A profile serves both modes; its connectors are test or live, and the mode is in the key.
    return f"MCA#{account}#{mode}#{profile}#{connector}"


# Payments belong to the account that made them: keyed by organization, account and mode.
def account_prefix(org: str, account: str, mode: str) -> str:
    return f"ORG#{org}#ACCT#{account}#{mode}"


def payment_intent_pk(org: str, account: str, mode: str, intent: str) -> str:
    return f"{account_prefix(org, account, mode)}#PI#{intent}"


PAYMENT_INTENT_SK = "PI"


def refund_sk(refund: str) -> str:
    return f"RE#{refund}"


def payment_intents_by_month_pk(org: str, account: str, mode: str, month: str) -> str:
    return f"{account_prefix(org, account, mode)}#PI#M#{month}"


def refund_pk(org: str, account: str, mode: str, refund: str) -> str:
    """A refund's own key, for GET /v1/refunds/{id}: it points at its payment intent."""
    return f"{account_prefix(org, account, mode)}#RE#{refund}"


# A charge (one attempt to take an intent's money) is its account's too: its own key for
# GET /v1/charges/{id}, a month bucket for the list, a partition per customer for the customer
# filter, and a pointer in its intent's partition for the payment_intent filter.
def charge_pk(org: str, account: str, mode: str, charge: str) -> str:
    return f"{account_prefix(org, account, mode)}#CH#{charge}"


CHARGE_SK = "CH"


def charges_by_month_pk(org: str, account: str, mode: str, month: str) -> str:
    return f"{account_prefix(org, account, mode)}#CH#M#{month}"


def charges_by_customer_pk(org: str, account: str, mode: str, customer: str) -> str:
    return f"{account_prefix(org, account, mode)}#CH#C#{customer}"


def intent_charge_sk(charge: str) -> str:
    """An intent's charge, in the intent's partition (beside its refunds)."""
    return f"CH#{charge}"


# A card's usage across the pool (the audit trail), in the card's own partition.
def usage_sk(record: str) -> str:
    """A usage record (a charge, or a sharing consent) by the time in its id, whatever its prefix."""
    return f"USE#{record.rpartition('_')[2]}"


# Checkout sessions and setup intents belong to the account that created them, like payments.
def checkout_session_pk(org: str, account: str, mode: str, session: str) -> str:
    return f"{account_prefix(org, account, mode)}#CS#{session}"


CHECKOUT_SESSION_SK = "CS"


def checkout_sessions_by_month_pk(org: str, account: str, mode: str, month: str) -> str:
    return f"{account_prefix(org, account, mode)}#CS#M#{month}"


def checkout_expiry_pk(minute: str) -> str:
    """Open sessions by the minute they expire (UTC, yyyymmddHHMM), across organizations: what the
    expiry sweeper reads, one partition per minute, so no partition grows with the deployment."""
    return f"CSEXP#{minute}"


CHECKOUT_SWEEP_PK, CHECKOUT_SWEEP_SK = "SWEEP#checkout_expiry", "SWEEP"


def setup_intent_pk(org: str, account: str, mode: str, intent: str) -> str:
    return f"{account_prefix(org, account, mode)}#SI#{intent}"


SETUP_INTENT_SK = "SI"


def setup_intents_by_month_pk(org: str, account: str, mode: str, month: str) -> str:
    return f"{account_prefix(org, account, mode)}#SI#M#{month}"


def checkout_locator_pk(session: str) -> str:
    """Which organization, account and mode a session id belongs to: all its page has to go on."""
    return f"CSID#{session}"


CHECKOUT_LOCATOR_SK = "CSID"
