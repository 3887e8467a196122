"""Operator command line: bootstrap an organization (its platform account and first keys).

    python -m orgshare.admin create-org --name "Rocket Inc" --stack orgshare-dev   # a deployed stack
    python -m orgshare.admin create-org --name "Rocket Inc" --local                # make run's system

Keys are printed once and stored only as keyed hashes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgshare.domain import accounts, profiles
from orgshare.domain.principal import Mode, Principal
from orgshare.params.accounts import AccountCreate, ApiKeyCreate
from orgshare.params.payments import ConnectorCreate

LOCAL_STATE = Path(".localdata/local.json")
_OUTPUT_TO_ENV = {
    "DirectoryTableName": "DIRECTORY_TABLE",
    "DataTableName": "DATA_TABLE",
    "EventsTableName": "EVENTS_TABLE",
    "IdempotencyTableName": "IDEMPOTENCY_TABLE",
    "LookupKeyArn": "LOOKUP_KEY_ID",  # keys are stored as keyed hashes
}


def configure_from_stack(stack: str) -> None:
    import boto3

    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] in _OUTPUT_TO_ENV:
            os.environ[_OUTPUT_TO_ENV[output["OutputKey"]]] = output["OutputValue"]


def configure_from_local(path: Path = LOCAL_STATE) -> None:
    if not path.exists():
        sys.exit(f"{path} not found: start the local system with 'make run' first")
    os.environ.update(json.loads(path.read_text())["env"])


@dataclass(frozen=True)
class DemoAccount:
    name: str
    kind: str
    id: str
    key: str


@dataclass(frozen=True)
class Demo:
    org: str
    pool: str  # the shared pool
    accounts: list[DemoAccount]  # the platform first

    def ids(self) -> dict[str, object]:
        """What a restart needs to mint new keys: ids only, never a secret."""
        return {"org": self.org, "pool": self.pool, "accounts": [{"name": a.name, "kind": a.kind, "id": a.id} for a in self.accounts]}


DEMO_ACCOUNTS = (
    ("Rocket Rides", "connected"),
    ("Rocket Deliveries", "connected"),
    ("Rocket Rentals", "standard"),
    ("Rocket Repairs", "standard"),
)


def platform_principal(org: str, account: str, pool: str, mode: Mode) -> Principal:
    return Principal(org=org, account=account, kind="platform", pool=pool, mode=mode, key_id="admin", key_account=account)


def seed_demo(mode: Mode = "test") -> Demo:
    """The demo organization: a platform, two connected accounts sharing its pool, two standard
    accounts with their own pools, and a fresh `mode` key for each."""
    new = accounts.create_organization("Rocket Group", "Rocket Platform")
    platform = platform_principal(new.org, new.platform["id"], new.platform["pool"], mode)
    seeded = [DemoAccount("Rocket Platform", "platform", new.platform["id"], new.keys[mode])]
    for name, kind in DEMO_ACCOUNTS:
        params = AccountCreate.model_validate({"type": kind, "business_profile": {"name": name}})
        account = accounts.create_account(platform, params)
        secret = accounts.create_api_key(platform, account["id"], ApiKeyCreate(name="demo"))["secret"]
        seeded.append(DemoAccount(name, kind, account["id"], secret))
        if kind == "connected":  # the connected merchants can take payments at once, on the test connector
            merchant = Principal(org=new.org, account=account["id"], kind="connected", pool=account["pool"], mode=mode, key_id="admin",
                                 key_account=platform.account)  # fmt: skip
            default = profiles.profile_of(merchant, None)
            profiles.create_connector(
                merchant, default["id"], ConnectorCreate(connector_name="test", credentials={"api_key": f"sim_{account['id']}"})
            )
    return Demo(new.org, new.platform["pool"], seeded)


def mint_demo_keys(ids: dict[str, Any], mode: Mode = "test") -> Demo:
    """New keys for an existing demo organization (after a restart with persisted data: the old
    secrets were never stored, so they cannot be shown again)."""
    platform = platform_principal(ids["org"], ids["accounts"][0]["id"], ids["pool"], mode)
    minted = [
        DemoAccount(a["name"], a["kind"], a["id"], accounts.create_api_key(platform, a["id"], ApiKeyCreate(name="demo"))["secret"])
        for a in ids["accounts"]
    ]
    return Demo(ids["org"], ids["pool"], minted)


def demo_checkout(demo: Demo, base_url: str) -> str:
    """A ready checkout for Rocket Rides (a 75.00 USD ride; the card can be saved for the pool): its page's URL."""
    from orgshare.domain import auth
    from orgshare.domain.checkout import sessions
    from orgshare.domain.principal import RequestInfo
    from orgshare.params.checkout import CheckoutSessionCreate

    rides = auth.authenticate(next(a.key for a in demo.accounts if a.name == "Rocket Rides"))
    params = CheckoutSessionCreate.model_validate({
        "mode": "payment", "customer_creation": "always", "saved_payment_method_options": {"payment_method_save": "enabled"},
        "success_url": "https://checkout.rocket-rides.com/success?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://checkout.rocket-rides.com/cart",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 7500, "product_data": {"name": "Ride service"}}, "quantity": 1}],
    })  # fmt: skip
    return str(sessions.create(rides, params, RequestInfo("req_demo"), base_url)["url"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m orgshare.admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-org", help="create an organization, its platform account and a test and a live key")
    create.add_argument("--name", required=True)
    where = create.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack's name (tables from its outputs, AWS credentials from the environment)")
    where.add_argument("--local", nargs="?", const=LOCAL_STATE, type=Path, help="the system 'make run' started (its local.json)")
    args = parser.parse_args(argv)
    if args.stack:
        configure_from_stack(args.stack)
    elif args.local:
        configure_from_local(args.local)
    new = accounts.create_organization(args.name)
    print(json.dumps({"organization": new.org, "platform": new.platform, "keys": new.keys}, indent=2))


if __name__ == "__main__":
    main()
