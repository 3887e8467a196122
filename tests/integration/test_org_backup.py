"""An organization exported as JSON lines and imported back (admin export-org / import-org), as a
restore after its items were lost: what the API shows is the same, its saved card still pays (it
was never opened on the way: the export holds no card number), and a file that is not an export
writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, LocalSystem
from tests.integration.test_connector_modes import add

pytestmark = pytest.mark.integration


def _admin(system: LocalSystem, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orgshare.admin", *args, "--local", str(system.state_dir / "local.json")],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip


def _theirs(system: LocalSystem, org: str) -> list[tuple[str, dict[str, Any]]]:
    """Every stored item naming the organization (outbox records aside: changes in flight)."""
    return [
        (table, item)
        for table, found in system.table_items().items()
        if table != system.env["IDEMPOTENCY_TABLE"]
        for item in found
        if org in json.dumps(item, default=repr) and not item["pk"]["S"].startswith("CHANGE#")
    ]


def test_an_organization_exported_and_imported_back_is_whole_and_its_card_still_pays(local_system: LocalSystem, tmp_path: Path) -> None:
    created: Any = local_system.admin("create-org", "--name", "Backed Up")
    org, client = created["organization"], local_system.client(key=created["keys"]["test"])
    add(client, "test", api_key="sim_backup")  # its connector: credentials sealed too
    cus = client.v1.customers.create(params={"name": "Bea Backup", "email": "bea@example.com", "metadata": {"tier": "gold"}})
    number: Any = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}
    card = client.v1.payment_methods.create(params={"type": "card", "card": number})
    client.v1.payment_methods.attach(card.id, params={"customer": cus.id})
    paid = client.v1.payment_intents.create(params={"amount": 1200, "currency": "eur", "customer": cus.id, "payment_method": card.id,
                                                    "confirm": True})  # fmt: skip

    def shown() -> list[dict[str, Any]]:
        v1 = client.v1
        found = (v1.customers.retrieve(cus.id), v1.payment_methods.retrieve(card.id), v1.payment_intents.retrieve(paid.id))
        return [f.to_dict() for f in found]

    before = shown()

    out = tmp_path / "org.jsonl"
    done = _admin(local_system, "export-org", "--org", org, "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["org"] == org and json.loads(done.stdout)["items"] == len(lines) - 1
    assert "4242424242424242" not in out.read_text()  # sealed on the way out as at rest
    stored = _theirs(local_system, org)
    assert len(stored) == len(lines) - 1  # every item that names it, and no other

    # The organization's items lost (as a table restored from before it existed would be).
    dynamodb = local_system.dynamodb()
    for table, item in stored:
        dynamodb.delete_item(TableName=table, Key={k: item[k] for k in ("pk", "sk")})
    assert _theirs(local_system, org) == []

    bad = tmp_path / "not-an-export.jsonl"
    bad.write_text('{"table": "data", "item": {}}\n')
    refused = _admin(local_system, "import-org", "--in", str(bad))
    assert refused.returncode == 2 and "not an orgshare export" in refused.stderr
    # A file naming this organization that carries another's item (an endpoint under its partition) writes nothing.
    other = local_system.admin("create-org", "--name", "Not Theirs")["organization"]
    forged = {"table": "directory", "item": {"pk": {"S": f"ORG#{other}"}, "sk": {"S": "WE#test#ORG#we_forged"}}}
    crafted = tmp_path / "crafted.jsonl"
    crafted.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")
    refused = _admin(local_system, "import-org", "--in", str(crafted))
    assert refused.returncode == 2 and "another organization" in refused.stderr
    assert _theirs(local_system, org) == [] and "we_forged" not in json.dumps(local_system.table_items(), default=repr)
    # Nor does an export take what is not an organization's whole id (contains("org_") would be every organization).
    assert _admin(local_system, "export-org", "--org", "org_", "--out", str(tmp_path / "all.jsonl")).returncode == 2

    done = _admin(local_system, "import-org", "--in", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"organization": org, "items": len(lines) - 1}
    assert shown() == before
    again = client.v1.payment_intents.create(params={"amount": 300, "currency": "eur", "customer": cus.id, "payment_method": card.id,
                                                     "confirm": True})  # fmt: skip
    assert again.status == "succeeded"  # the card, imported sealed, opened for the charge
