"""Operator command line: bootstrap an organization (its platform account and first keys).

    python -m orgshare.admin create-org --name "Rocket Inc" --stack orgshare-dev   # a deployed stack
    python -m orgshare.admin create-org --name "Rocket Inc" --local                # make run's system

Keys are printed once and stored only as keyed hashes.

For the demo organization of 'make run' (accounts by business name or id):

    python -m orgshare.admin seed-customers --local --account "Rocket Rentals" --count 25 --cards
    python -m orgshare.admin enable-sharing --local --account "Rocket Rentals" --consent-collected

An organization as JSON lines (a backup, a restore; cards stay sealed: orgshare/org_backup.py):

    python -m orgshare.admin export-org --local --out rocket.jsonl
    python -m orgshare.admin import-org --local --in rocket.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgshare.domain import accounts, profiles
from orgshare.domain.principal import Mode, Principal
from orgshare.errors import ApiError
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


# Sharing for the demo (and for operators): the platform enables sharing for standard accounts;
# demo customers give the migration something to move.

_FIRST_NAMES = ("Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia", "Tim", "Frances")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Perlman")
_DEMO_CARDS = ("tok_visa", "tok_mastercard", "tok_amex")
POLL_SECONDS = 0.25  # how often enable-sharing retrieves the enablement while it waits
_PLAIN_EVERY = 2.0  # seconds between progress lines when stderr is not a terminal (a change of status prints at once)
BAR_WIDTH = 20


class Refused(Exception):
    """What the command line cannot do as asked: printed, exit code 2."""


@dataclass(frozen=True)
class Organization:
    org: str
    pool: str  # the shared pool
    platform: str  # the platform account
    accounts: list[dict[str, Any]]  # every account's directory record


def organization_of(org: str) -> Organization:
    """The organization's shared pool, its platform and all its accounts, from the directory."""
    from orgshare.storage import directory

    found = directory.get_organization(org)
    if found is None:
        raise Refused(f"No such organization: '{org}'.")
    records: list[dict[str, Any]] = []
    while True:
        page = directory.list_accounts(org, limit=100, after=records[-1]["id"] if records else None, before=None, descending=False)
        records += page
        if len(page) < 100:
            break
    platform = next(r["id"] for r in records if r["kind"] == "platform")
    return Organization(org, str(found["shared_pool"]), platform, records)


def business_name(record: dict[str, Any]) -> str | None:
    name = (record.get("business_profile") or {}).get("name")
    return str(name) if name is not None else None


def resolve_account(organization: Organization, wanted: str) -> str:
    """An account id given as such, or the one account whose business name is `wanted` (any case)."""
    if wanted.startswith("acct_"):
        return wanted
    named = [r["id"] for r in organization.accounts if (business_name(r) or "").casefold() == wanted.casefold()]
    if len(named) == 1:
        return str(named[0])
    names = sorted(str(business_name(r)) for r in organization.accounts)
    if not named:
        raise Refused(f"No account named '{wanted}' in {organization.org} (its accounts: {', '.join(names)}).")
    raise Refused(f"{len(named)} accounts are named '{wanted}': give the id (acct_...) instead.")


def _org_id(args: argparse.Namespace) -> str:
    """--org, or the demo organization of the local system --local names (its seed.json)."""
    if args.org:
        return str(args.org)
    if args.local:
        seed = Path(args.local).parent / "seed.json"
        if seed.exists():
            return str(json.loads(seed.read_text())["org"])
        raise Refused(f"{seed} not found: name the organization with --org org_...")
    raise Refused("Name the organization with --org org_... (or use --local: the demo organization of 'make run').")


def acting_as(organization: Organization, account: str, mode: Mode) -> Principal:
    """The platform acting as `account` (as with a Stripe-Account header), in the pool the account
    is in now."""
    from orgshare.domain import auth

    platform = platform_principal(organization.org, organization.platform, organization.pool, mode)
    if account == organization.platform:
        return platform
    try:
        return auth.act_as(platform, account, 0)
    except ApiError:
        raise Refused(f"No such account: '{account}' in {organization.org}.") from None


def seed_customers(principal: Principal, count: int, cards: bool, label: str = "demo", workers: int = 8) -> list[dict[str, Any]]:
    """`count` customers with names and emails (and, with `cards`, a saved test card each) for the
    account `principal` acts as, made by the domain as the API would, `workers` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    from orgshare.domain import customers, payment_methods
    from orgshare.domain.principal import RequestInfo
    from orgshare.ids import new_id
    from orgshare.params.customers import CustomerCreate
    from orgshare.params.payment_methods import CardInput, PaymentMethodAttach, PaymentMethodCreate
    from orgshare.storage import dynamo
    from orgshare.vault import sealing

    domain = "".join(c if c.isalnum() else "-" for c in label.casefold()).strip("-") or "demo"

    def one(n: int) -> dict[str, Any]:
        first, last = _FIRST_NAMES[n % len(_FIRST_NAMES)], _LAST_NAMES[(n // len(_FIRST_NAMES) + n) % len(_LAST_NAMES)]
        request = RequestInfo(new_id("req"))
        params = CustomerCreate.model_validate(
            {"name": f"{first} {last}", "email": f"{first}.{last}.{n + 1}@{domain}.example.com".casefold(),
             "metadata": {"seeded_by": "orgshare.admin"}}
        )  # fmt: skip
        customer = customers.create(principal, params, request)
        row: dict[str, Any] = {"id": customer["id"], "name": customer["name"], "email": customer["email"], "payment_method": None}
        if cards:
            card = CardInput(token=_DEMO_CARDS[n % len(_DEMO_CARDS)])
            pm = payment_methods.create(principal, PaymentMethodCreate(type="card", card=card), request)["id"]
            row["payment_method"] = payment_methods.attach(principal, pm, PaymentMethodAttach(customer=customer["id"]), request)["id"]
        return row

    dynamo.client(), sealing.kms()  # made once before threads use them: boto3's session is not safe to make clients from at once
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(count)))


def progress_line(enablement: dict[str, Any], now: float) -> str:
    """One line saying where an enablement is: the countdown to its switch, then a bar."""
    status, progress = enablement["status"], enablement["progress"]
    if status == "pending":
        left = math.ceil(enablement["switches_at"] - now)
        return f"switching in {left} s" if left > 0 else "switched: waiting for the migration worker"
    total, moved = progress["customers_total"], progress["customers_moved"]
    done = moved / total if total else float(status == "succeeded")
    filled = min(BAR_WIDTH, round(BAR_WIDTH * done))
    line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {moved}/{total} customers, {progress['cards_moved']} cards"
    if progress["other_payment_methods_moved"]:
        line += f", {progress['other_payment_methods_moved']} other payment methods"
    if status == "succeeded":
        line += ": succeeded"
    elif status == "failed":
        line += f": failed ({(enablement.get('failure') or {}).get('message', 'no reason given')})"
    return line


class ProgressBar:
    """Progress on a stream: one line redrawn in place on a terminal, plain lines now and then otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.shown, self.width, self.status, self.at = "", 0, "", -math.inf

    def show(self, enablement: dict[str, Any], now: float) -> None:
        line = progress_line(enablement, now)
        if line == self.shown:
            return
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = max(self.width, len(line))
        elif enablement["status"] != self.status or now - self.at >= _PLAIN_EVERY or enablement["status"] in ("succeeded", "failed"):
            self.stream.write(line + "\n")
            self.at = now
        else:
            return
        self.stream.flush()
        self.shown, self.status = line, enablement["status"]

    def end(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\n")
            self.stream.flush()


def enable_sharing(
    platform: Principal, account_ids: list[str], consent_collected: bool, wait: bool = True, err: Any = None
) -> dict[str, Any]:
    """Creates the enablement as the platform and, with `wait`, follows it to its end with a
    progress bar on `err`; the enablement as last retrieved."""
    from orgshare.domain.organization import enablements
    from orgshare.domain.principal import RequestInfo
    from orgshare.ids import new_id
    from orgshare.params.organization import SharingEnablementCreate

    params = SharingEnablementCreate(accounts=account_ids, consent_collected=consent_collected)
    enablement = enablements.create(platform, params, RequestInfo(new_id("req")))
    if not wait:
        return enablement
    bar = ProgressBar(err if err is not None else sys.stderr)
    try:
        while True:
            bar.show(enablement, time.time())
            if enablement["status"] in ("succeeded", "failed"):
                return enablement
            time.sleep(POLL_SECONDS)
            enablement = enablements.retrieve(platform, enablement["id"])
    finally:
        bar.end()


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 1000")
    return int(text)


def _where(parser: argparse.ArgumentParser, *, org: bool = True) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack's name (tables from its outputs, AWS credentials from the environment)")
    where.add_argument("--local", nargs="?", const=LOCAL_STATE, type=Path, help="the system 'make run' started (its local.json)")
    if org:
        parser.add_argument("--org", help="the organization (default with --local: the demo organization, from seed.json)")


def _seed_customers_command(args: argparse.Namespace) -> int:
    if args.cards and args.mode == "live":
        raise Refused("--cards saves test cards: test mode only.")
    organization = organization_of(_org_id(args))
    account = resolve_account(organization, args.account)
    principal = acting_as(organization, account, args.mode)
    name = next((business_name(r) for r in organization.accounts if r["id"] == account), None) or account
    created = seed_customers(principal, args.count, args.cards, name)
    print(json.dumps({"account": account, "name": name, "mode": args.mode, "customers": created}, indent=2))
    return 0


def _enable_sharing_command(args: argparse.Namespace) -> int:
    organization = organization_of(_org_id(args))
    wanted = [resolve_account(organization, a) for a in args.account]
    platform = platform_principal(organization.org, organization.platform, organization.pool, args.mode)
    try:
        enablement = enable_sharing(platform, wanted, args.consent_collected, wait=not args.no_wait)
    except KeyboardInterrupt:
        print("\nstopped watching: the enablement goes on (GET /v1/organization/sharing_enablements shows it)", file=sys.stderr)
        return 130
    print(json.dumps(enablement, indent=2))
    return 1 if enablement["status"] == "failed" else 0


def _export_command(args: argparse.Namespace) -> int:
    from orgshare import org_backup

    org = _org_id(args)
    try:
        with args.out.open("w") as out:
            count = org_backup.export(org, out)
    except (OSError, org_backup.BadExport) as bad:
        raise Refused(str(bad)) from None
    print(json.dumps({"organization": org, "items": count, "file": str(args.out)}))
    return 0


def _import_command(args: argparse.Namespace) -> int:
    from orgshare import org_backup

    try:
        with args.source.open() as lines:
            org, count = org_backup.restore(lines)
    except (OSError, org_backup.BadExport) as bad:
        raise Refused(f"{args.source}: {bad}") from None
    print(json.dumps({"organization": org, "items": count}))
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m orgshare.admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-org", help="create an organization, its platform account and a test and a live key")
    create.add_argument("--name", required=True)
    _where(create, org=False)
    seed = sub.add_parser("seed-customers", help="demo customers (with --cards, a saved test card each) for one account")
    seed.add_argument("--account", required=True, help="the account: its id (acct_...) or its business name ('Rocket Rentals')")
    seed.add_argument("--count", type=_count, default=10, metavar="N", help="how many (1 to 1000; default 10)")
    seed.add_argument("--cards", action="store_true", help="save a test card (tok_visa, tok_mastercard, tok_amex) for each")
    seed.add_argument("--mode", choices=("test", "live"), default="test")
    _where(seed)
    enable = sub.add_parser(
        "enable-sharing", help="enable sharing for standard accounts (irreversible) and follow their customers' move into the shared pool"
    )
    enable.add_argument("--account", action="append", required=True, help="an account's id or business name; repeat for several")
    enable.add_argument(
        "--consent-collected", action="store_true",
        help="confirm that the accounts' customers were told and agreed that their details and saved cards are shared "
        "with every account of the shared pool (required)",
    )  # fmt: skip
    enable.add_argument("--mode", choices=("test", "live"), default="test")
    enable.add_argument("--no-wait", action="store_true", help="print the new enablement and return (no progress bar)")
    _where(enable)
    export = sub.add_parser("export-org", help="write the organization's items as JSON lines (sealed values stay sealed)")
    export.add_argument("--out", type=Path, required=True)
    _where(export)
    restore = sub.add_parser("import-org", help="write an export-org file's items back (same KMS keys: sealed values open only under them)")
    restore.add_argument("--in", dest="source", type=Path, required=True)
    _where(restore, org=False)
    args = parser.parse_args(argv)
    if args.stack:
        configure_from_stack(args.stack)
    elif args.local:
        configure_from_local(args.local)
    if args.command == "create-org":
        new = accounts.create_organization(args.name)
        print(json.dumps({"organization": new.org, "platform": new.platform, "keys": new.keys}, indent=2))
        return
    from botocore.exceptions import EndpointConnectionError

    commands = {"seed-customers": _seed_customers_command, "enable-sharing": _enable_sharing_command,
                "export-org": _export_command, "import-org": _import_command}  # fmt: skip
    command = commands[args.command]
    try:
        code = command(args)
    except EndpointConnectionError as unreachable:
        print(f"error: cannot reach {unreachable.kwargs.get('endpoint_url')}: is the system running ('make run')?", file=sys.stderr)
        code = 2
    except (Refused, ApiError) as refused:
        code_name = getattr(refused, "code", None)
        print(f"error{f' ({code_name})' if code_name else ''}: {getattr(refused, 'message', refused)}", file=sys.stderr)
        if code_name == "consent_required":
            print("Nothing was enabled. Once you have collected that consent, run this again with --consent-collected.", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
